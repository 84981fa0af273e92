"""What keeps the local editor safe on a network: CSRF tokens on every state change,
security headers with a Content-Security-Policy without inline script, a bound on
request size, and names from URLs checked before they become paths.
"""

from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..model import SLUG_PATTERN
from . import formfields

MAX_REQUEST_BYTES = 2_000_000  # a form for one document; configs are at most 5 MB on disk
MAX_UPLOAD_BYTES = 20_000_000  # a Word document or a spreadsheet to import
UPLOAD_SUFFIX = "/importera"
CSRF_COOKIE = "avtalsgen_csrf"
CSRF_FIELD = formfields.CSRF
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'")
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
}
_SLUG = re.compile(SLUG_PATTERN)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(cookie: str | None, sent: str | None) -> bool:
    return bool(cookie and sent) and hmac.compare_digest(str(cookie), str(sent))


def inside(root: Path, name: str) -> Path:
    """root/name for a slug-like name, refused (404) unless it stays inside root."""
    if not _SLUG.fullmatch(name or ""):
        raise HTTPException(404)
    path = root / name
    try:
        if not path.resolve().is_relative_to(root.resolve()):
            raise HTTPException(404)
    except OSError:
        raise HTTPException(404) from None
    return path


class Guard:
    """ASGI middleware: security headers on every answer; requests over the size limit
    are refused before they are read."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        limit = MAX_UPLOAD_BYTES if scope["path"].endswith(UPLOAD_SUFFIX) else self.max_bytes
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, "För stor begäran.")
            return message

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    out.setdefault(key, value)
            await send(message)

        await self.app(scope, limited, with_headers)


async def _too_large(send: Send) -> None:
    body = "Begäran är för stor.".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            *((k.encode(), v.encode()) for k, v in HEADERS.items())]})
    await send({"type": "http.response.body", "body": body})
