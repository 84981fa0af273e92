"""The audit trail: who did what, to which municipality, document and version, when and
from where. Rows are only ever added; the library's own changes write theirs in the
same transaction as the change, so neither exists without the other."""

from __future__ import annotations

import sqlite3

from .database import Database
from .errors import AccountError
from .models import Event, utc

EVENTS = frozenset({
    "login", "login_failed", "logout", "save", "approve", "withdraw", "grant", "revoke",
    "download", "comment", "resolve", "reopen", "user_added", "user_removed", "password_changed",
})
MAX_DETAIL = 2000  # a note, not a copy of the document


def record(conn: sqlite3.Connection, now: float, event: str, name: str | None = None,
           slug: str | None = None, doc: str | None = None, version: str | None = None,
           detail: str = "", address: str = "") -> Event:
    """Add one row through an open connection (inside the caller's transaction)."""
    if event not in EVENTS:
        raise AccountError(f"unknown audit event {event!r}: use one of "
                           f"{', '.join(sorted(EVENTS))}")
    detail = detail[:MAX_DETAIL]
    cursor = conn.execute(
        "INSERT INTO audit (time, event, name, slug, doc, version, detail, address) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (now, event, name, slug, doc, version, detail, address or ""))
    return Event(int(cursor.lastrowid or 0), utc(now), event, name, slug, doc, version,
                 detail, address or "")


def add(db: Database, event: str, name: str | None = None, slug: str | None = None,
        doc: str | None = None, version: str | None = None, detail: str = "",
        address: str = "") -> Event:
    """Add one row in its own transaction (events the caller performs: save, download)."""
    with db.write() as conn:
        return record(conn, db.now(), event, name, slug, doc, version, detail, address)


def log(db: Database, slug: str | None = None, limit: int = 1000) -> list[Event]:
    """The newest `limit` rows, newest first; only one municipality's when slug is given."""
    where, args = ("WHERE slug = ?", [slug]) if slug is not None else ("", [])
    rows = db.connection().execute(
        f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", [*args, max(0, limit)])
    return [Event(r["id"], utc(r["time"]), r["event"], r["name"], r["slug"], r["doc"],
                  r["version"], r["detail"], r["address"]) for r in rows]
