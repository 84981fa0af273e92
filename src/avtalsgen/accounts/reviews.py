"""The review round: approvals of one saved version and comments on sections.

A document is final only when a kommun approver and a polis approver have approved the
same saved version; any later edit withdraws every approval. Comments are kept here,
never in the document, exactly as written.
"""

from __future__ import annotations

import sqlite3

from . import audit
from .database import Database
from .errors import AccountError
from .models import PARTIES, Approval, Comment, utc
from .roles import approver_party, can, check_slug
from .users import required

MAX_COMMENT = 5000
MAX_NAME = 200  # versions, document names, section paths: identifiers, not prose


def _check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME \
            or not value.isprintable():
        raise AccountError(f"{value!r} is not a valid {what}")
    return value


def _approval(r: sqlite3.Row) -> Approval:
    return Approval(r["slug"], r["version"], r["party"], r["name"], utc(r["time"]))


def approvals(db: Database, slug: str, version: str) -> list[Approval]:
    rows = db.connection().execute(
        "SELECT * FROM approvals WHERE slug = ? AND version = ? ORDER BY party",
        (slug, version))
    return [_approval(r) for r in rows]


def both_approved(db: Database, slug: str, version: str) -> bool:
    return {a.party for a in approvals(db, slug, version)} == set(PARTIES)


def approve(db: Database, slug: str, version: str, name: str,
            address: str = "") -> list[Approval]:
    """Approve a saved version for the approver's own party (recorded from the role, so
    a kommun approver cannot approve for the polis); again by the same party replaces."""
    check_slug(slug)
    _check_id(version, "version")
    with db.write() as conn:
        required(conn, name)
        party = approver_party(db, name, slug)
        if party is None:
            raise AccountError(f"{name} is not an approver in {slug}")
        conn.execute("INSERT INTO approvals (slug, version, party, name, time) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (slug, version, party) "
                     "DO UPDATE SET name = excluded.name, time = excluded.time",
                     (slug, version, party, name, db.now()))
        audit.record(conn, db.now(), "approve", name, slug, version=version, detail=party,
                     address=address)
    return approvals(db, slug, version)


def withdraw(db: Database, slug: str, reason: str, name: str | None = None,
             address: str = "", keep: str | None = None) -> list[Approval]:
    """Remove every approval in the municipality (of any version but keep) and say why
    in the audit trail; returns what was removed. Nothing to remove writes nothing."""
    with db.write() as conn:
        removed = [_approval(r) for r in conn.execute(
            "SELECT * FROM approvals WHERE slug = ? AND version IS NOT ? "
            "ORDER BY version, party", (slug, keep))]
        if removed:
            conn.execute("DELETE FROM approvals WHERE slug = ? AND version IS NOT ?",
                         (slug, keep))
            what = ", ".join(f"{a.party} ({a.name}) on {a.version}" for a in removed)
            audit.record(conn, db.now(), "withdraw", name, slug,
                         version=removed[-1].version, detail=f"{reason}: {what}",
                         address=address)
    return removed


def _comment(r: sqlite3.Row) -> Comment:
    return Comment(r["id"], r["slug"], r["doc"], r["section_path"], r["name"], r["text"],
                   utc(r["time"]), r["resolved_by"],
                   utc(r["resolved_at"]) if r["resolved_at"] is not None else None)


def comment(db: Database, slug: str, doc: str, section_path: str, name: str, text: str,
            address: str = "") -> Comment:
    check_slug(slug)
    _check_id(doc, "document name")
    _check_id(section_path, "section")
    if not isinstance(text, str) or not text.strip():
        raise AccountError("a comment needs some text")
    if len(text) > MAX_COMMENT:
        raise AccountError(f"a comment is at most {MAX_COMMENT} characters "
                           f"(this one has {len(text)})")
    now = db.now()
    with db.write() as conn:
        if not can(db, name, slug, "comment"):
            raise AccountError(f"{name} may not comment in {slug}")
        cursor = conn.execute(
            "INSERT INTO comments (slug, doc, section_path, name, text, time) "
            "VALUES (?, ?, ?, ?, ?, ?)", (slug, doc, section_path, name, text, now))
        made = int(cursor.lastrowid or 0)
        audit.record(conn, now, "comment", name, slug, doc,
                     detail=f"comment {made} on {section_path}", address=address)
    return Comment(made, slug, doc, section_path, name, text, utc(now))


def comments(db: Database, slug: str, doc: str, include_resolved: bool = False) -> list[Comment]:
    open_only = "" if include_resolved else "AND resolved_by IS NULL"
    rows = db.connection().execute(
        f"SELECT * FROM comments WHERE slug = ? AND doc = ? {open_only} ORDER BY id",
        (slug, doc))
    return [_comment(r) for r in rows]


def resolve(db: Database, comment_id: int, name: str, address: str = "") -> Comment:
    with db.write() as conn:
        found = conn.execute("SELECT * FROM comments WHERE id = ?", (comment_id,)).fetchone()
        if found is None:
            raise AccountError(f"no comment {comment_id}")
        if not can(db, name, found["slug"], "resolve_comment"):
            raise AccountError(f"{name} may not resolve comments in {found['slug']}")
        if found["resolved_by"] is not None:
            raise AccountError(f"comment {comment_id} is already resolved "
                               f"(by {found['resolved_by']})")
        conn.execute("UPDATE comments SET resolved_by = ?, resolved_at = ? WHERE id = ?",
                     (name, db.now(), comment_id))
        audit.record(conn, db.now(), "resolve", name, found["slug"], found["doc"],
                     detail=f"comment {comment_id} on {found['section_path']}",
                     address=address)
        resolved = conn.execute("SELECT * FROM comments WHERE id = ?",
                                (comment_id,)).fetchone()
    return _comment(resolved)
