"""Login sessions: a random token for the browser's cookie, only its sha256 on disk.

A session ends after 8 hours without use or 12 hours after login, whichever is first.
Its last use is written at most once a minute (TOUCH), so most requests only read the
database instead of queueing for its write lock.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3

from . import audit
from .database import Database
from .errors import AccountError
from .models import User
from .users import required, to_user

IDLE = 8 * 3600
ABSOLUTE = 12 * 3600
TOUCH = 60  # seconds: last_seen may lag the last use by this much (of an 8 h idle limit)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_session(db: Database, user: User | str, address: str) -> str:
    """A new token for the user (a User or a name); give it to the browser only."""
    name = user.name if isinstance(user, User) else user
    token = secrets.token_urlsafe(32)
    now = db.now()
    with db.write() as conn:
        user_id = required(conn, name)["id"]
        # Expired sessions are of no use to anyone: drop them while writing anyway.
        conn.execute("DELETE FROM sessions WHERE last_seen <= ? OR created <= ?",
                     (now - IDLE, now - ABSOLUTE))
        conn.execute("INSERT INTO sessions (token_hash, user_id, address, created, last_seen) "
                     "VALUES (?, ?, ?, ?, ?)", (_digest(token), user_id, address or "", now, now))
    return token


def session(db: Database, token: str | None) -> User | None:
    """The user of a live session, noting its use; None for an unknown or expired one."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    digest = _digest(token)
    now = db.now()
    found = _find(db.connection(), digest)
    if found is None:
        return None
    if not _live(found, now) or now - found["last_seen"] >= TOUCH:
        with db.write() as conn:
            found = _find(conn, digest)  # again, inside the transaction
            if found is None:
                return None
            if not _live(found, now):
                conn.execute("DELETE FROM sessions WHERE token_hash = ?", (digest,))
                return None
            conn.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?",
                         (now, digest))
    return to_user(found)


def _find(conn: sqlite3.Connection, digest: str) -> sqlite3.Row | None:
    found: sqlite3.Row | None = conn.execute(
        "SELECT users.*, sessions.created AS started, sessions.last_seen FROM sessions "
        "JOIN users ON users.id = sessions.user_id WHERE token_hash = ?", (digest,)).fetchone()
    return found


def _live(found: sqlite3.Row, now: float) -> bool:
    return now - found["last_seen"] < IDLE and now - found["started"] < ABSOLUTE


def end_session(db: Database, token: str | None, address: str = "") -> bool:
    """Log out; False when there was no such session."""
    if not isinstance(token, str) or not token:
        return False
    with db.write() as conn:
        found = conn.execute(
            "SELECT users.name FROM sessions JOIN users ON users.id = sessions.user_id "
            "WHERE token_hash = ?", (_digest(token),)).fetchone()
        if found is None:
            return False
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (_digest(token),))
        audit.record(conn, db.now(), "logout", found["name"], address=address)
    return True


def end_sessions(db: Database, name: str) -> int:
    """End every session of the user (after a password change, say); how many ended."""
    with db.write() as conn:
        try:
            user_id = required(conn, name)["id"]
        except AccountError:
            return 0  # a removed user's sessions went with the account
        ended = conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount
        if ended:
            audit.record(conn, db.now(), "logout", name, detail=f"{ended} sessions ended")
    return int(ended)
