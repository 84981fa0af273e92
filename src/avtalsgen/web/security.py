"""What keeps the local editor safe on a network: CSRF tokens on every state change,
security headers with a Content-Security-Policy without inline script, a bound on
request size, only the server's own host names (no DNS rebinding), no caching of
pages, Secure cookies over HTTPS, and names from URLs checked before they become
paths.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
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
NO_STORE = "no-store"  # every answer but the static files: pages show what a role may see
STATIC_PREFIX = "/static/"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
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


def host_names(names: Iterable[str]) -> list[str]:
    """Host names as a Host header carries them: lower case, IPv6 in brackets; an
    address that listens everywhere (0.0.0.0, ::) names no host and is left out."""
    out = []
    for name in names:
        name = name.strip().lower()
        if name in WILDCARD_HOSTS:
            continue
        if ":" in name and not name.startswith("["):
            name = f"[{name}]"
        if name not in out:
            out.append(name)
    return out


Refusal = Callable[[Scope, Receive, Send], Awaitable[None]]


class TrustedHosts:
    """ASGI middleware: only requests whose Host header names this server (by Starlette's
    TrustedHostMiddleware) reach the app; others get refuse(), a page in Swedish. A page
    on another site that rebinds its DNS name to 127.0.0.1 thus cannot reach the local
    editor through a browser. "*" among the names accepts any host."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str], refuse: Refusal) -> None:
        self.app = app
        self.refuse = refuse
        names = list(allowed_hosts)
        self.check = TrustedHostMiddleware(_passed, allowed_hosts=host_names(names)
                                           if "*" not in names else ["*"],
                                           www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope.pop(_HOST_OK, None)
        await self.check(scope, receive, _discard)
        if scope.pop(_HOST_OK, False):
            await self.app(scope, receive, send)
        else:
            await self.refuse(scope, receive, send)


_HOST_OK = "avtalsgen.host_ok"


async def _passed(scope: Scope, receive: Receive, send: Send) -> None:
    scope[_HOST_OK] = True


async def _discard(message: Message) -> None:
    pass


def _secure_cookie(value: bytes) -> bytes:
    if b"secure" in {part.strip().lower() for part in value.split(b";")}:
        return value
    return value + b"; Secure"


class Guard:
    """ASGI middleware: security headers on every answer, no caching but for the static
    files, every cookie Secure over HTTPS; requests over the size limit are refused
    before they are read."""

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

        cacheable = scope["path"].startswith(STATIC_PREFIX)
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    out.setdefault(key, value)
                if not cacheable:
                    out["cache-control"] = NO_STORE
                if https:
                    message["headers"] = [
                        (k, _secure_cookie(v) if k.lower() == b"set-cookie" else v)
                        for k, v in message["headers"]]
            await send(message)

        await self.app(scope, limited, with_headers)


async def _too_large(send: Send) -> None:
    body = "Begäran är för stor.".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            *((k.encode(), v.encode()) for k, v in HEADERS.items())]})
    await send({"type": "http.response.body", "body": body})
