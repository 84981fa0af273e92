"""Shared mode: every page but the login page, the accessibility statement and the
static files needs a session.

The session cookie holds a random token whose sha256 the accounts database keeps; the
middleware puts the session's user in the request state (`request.state.user`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SESSION_COOKIE = "avtalsgen_session"
SESSION_MAX_AGE = 12 * 3600  # the accounts layer ends a session 12 h after login anyway
LOGIN_PATH = "/logga-in"
# The accessibility statement: DOS-lagen asks that anyone can read it.
OPEN_PATHS = (LOGIN_PATH, "/tillganglighet")
OPEN_PREFIXES = ("/static/",)


def safe_next(value: str | None) -> str:
    """A path to go to after login: only a relative one on this site, else /."""
    value = str(value or "")
    if value.startswith("/") and not value.startswith(("//", "/\\")) \
            and "\\" not in value and all(c.isprintable() for c in value):
        return value
    return "/"


class RequireLogin:
    """ASGI middleware: without a live session, 303 to the login page with ?next=."""

    def __init__(self, app: ASGIApp, accounts: Any) -> None:
        self.app = app
        self.accounts = accounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(OPEN_PREFIXES):  # no session needed: no database lookup
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        # A database write at times (the session's last use): off the event loop.
        user = await run_in_threadpool(self.accounts.session,
                                       request.cookies.get(SESSION_COOKIE))
        scope.setdefault("state", {})["user"] = user
        if user is None and path not in OPEN_PATHS:
            target = path + (f"?{request.url.query}" if request.url.query else "")
            response = RedirectResponse(f"{LOGIN_PATH}?next={quote(safe_next(target), safe='')}",
                                        status_code=303)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
