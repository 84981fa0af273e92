"""Fair shares of the slow work (previews, downloads, page images) between users.

Each user (a session on a shared server, else the client's address) gets at most
RUNNING slow requests running at a time and WAITING more queued behind them; a request
beyond that is answered 429 at once with Retry-After. The gate (`Gate`) sits before
the login check, and queued requests wait on the event loop, not in a thread, so one
user's flood of requests never takes the thread pool (or the session lookups) the
other users' pages need. Users with nothing running are forgotten, and at most
MAX_USERS users are tracked at once (past that, new users get 429 too).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import re
import threading
from dataclasses import dataclass, field

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import SESSION_COOKIE

RUNNING = 2
WAITING = 8
MAX_USERS = 1000
RETRY_AFTER_S = 5
BUSY = "För många förfrågningar på en gång; försök igen om en stund."


class Busy(HTTPException):
    def __init__(self) -> None:
        super().__init__(429, BUSY, headers={"retry-after": str(RETRY_AFTER_S)})


@dataclass
class _Share:
    running: int = 0
    waiting: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = \
        field(default_factory=collections.deque)


class Queues:
    """Per-user bounded queues. Thread-safe, and usable from several event loops (a test
    client runs one per request): the state is under a lock, and a queued request is
    woken on its own loop."""

    def __init__(self, running: int = RUNNING, waiting: int = WAITING,
                 max_users: int = MAX_USERS) -> None:
        self.running, self.waiting, self.max_users = running, waiting, max_users
        self._shares: dict[str, _Share] = {}
        self._lock = threading.Lock()

    def users(self) -> int:
        with self._lock:
            return len(self._shares)

    async def acquire(self, key: str) -> None:
        """A running slot for key, after waiting in key's queue; Busy if it is full."""
        with self._lock:
            share = self._shares.get(key)
            if share is None:
                if len(self._shares) >= self.max_users:
                    raise Busy
                share = self._shares[key] = _Share()
            if share.running < self.running:
                share.running += 1
                return
            if len(share.waiting) >= self.waiting:
                raise Busy
            loop = asyncio.get_running_loop()
            ticket = (loop, loop.create_future())
            share.waiting.append(ticket)
        try:
            await ticket[1]
        except BaseException:  # cancelled: leave the queue, or pass on the slot given
            with self._lock:
                if ticket in share.waiting:
                    share.waiting.remove(ticket)
                    return_slot = False
                else:
                    return_slot = True
            if return_slot:
                self.release(key)
            raise

    def release(self, key: str) -> None:
        """Hand the slot to the next queued request of key, or free it."""
        with self._lock:
            share = self._shares[key]
            if share.waiting:
                loop, future = share.waiting.popleft()  # the slot passes on: still running
                loop.call_soon_threadsafe(_wake, future)
                return
            share.running -= 1
            if share.running == 0:
                del self._shares[key]


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


# The slow routes: the HTML preview, downloads (.docx, .pdf) and page images.
SLOW_PATH = re.compile(r"/k/[^/]+/dok/[^/]+/(forhandsvisning|ladda-ner\.[^/]+|sidor)")


def user_key(scope: Scope) -> str:
    """Whose share a request counts against: its session on a shared server (known
    from the cookie alone, before the session is looked up), else the client's
    address."""
    token = Request(scope).cookies.get(SESSION_COOKIE)
    if token:
        return "session:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    client = scope.get("client")
    return f"address:{client[0] if client else ''}"


class Gate:
    """ASGI middleware, outside the login check: a request for a slow route waits for
    its user's share (on the event loop, holding no thread) or is refused at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not SLOW_PATH.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        queues: Queues = scope["app"].state.queues
        key = user_key(scope)
        try:
            await queues.acquire(key)
        except Busy:
            await busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            queues.release(key)


async def busy(scope: Scope, receive: Receive, send: Send) -> None:
    """The 429 answer: short, in Swedish, made without the templates (it is sent many
    times in a flood)."""
    body = (f'<!doctype html><html lang="sv"><meta charset="utf-8"><title>För många '
            f'förfrågningar</title><p class="problem">{BUSY}</p></html>')
    await HTMLResponse(body, status_code=429,
                       headers={"retry-after": str(RETRY_AFTER_S)})(scope, receive, send)
