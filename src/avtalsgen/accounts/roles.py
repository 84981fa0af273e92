"""Who may do what in which municipality: roles per (user, municipality).

reader sees, downloads and comments; editor also edits, saves and resolves comments;
approver (for the kommun or the polis) also approves a saved version. editor and
approver each imply reader; approver does not imply editor.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..model import SLUG_PATTERN
from . import audit
from .database import Database
from .errors import AccountError
from .models import PARTIES, ROLES, Role, User
from .users import required, to_user

ACTIONS: dict[str, frozenset[str]] = {
    "view": frozenset(ROLES),
    "download": frozenset(ROLES),
    "comment": frozenset(ROLES),
    "edit": frozenset({"editor"}),
    "save": frozenset({"editor"}),
    "resolve_comment": frozenset({"editor"}),
    "approve": frozenset({"approver"}),
}
_SLUG = re.compile(SLUG_PATTERN)


def check_slug(slug: str) -> str:
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        raise AccountError(f"{slug!r} is not a valid municipality name (use lower-case "
                           "letters, digits, - and _)")
    return slug


def check_municipality(root: Path, slug: str) -> Path:
    """The folder of a municipality under root; roles are only granted for real ones."""
    folder = Path(root) / check_slug(slug)
    if not (folder / "municipality.yaml").is_file():
        raise AccountError(f"{slug!r} is not a municipality under {root} "
                           f"(no {folder / 'municipality.yaml'})")
    return folder


def grant(db: Database, name: str, slug: str, role: str, party: str | None = None,
          *, by: str | None = None) -> Role:
    """Give a role; granting approver again with the other party replaces the party."""
    check_slug(slug)
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role: use {', '.join(ROLES)}")
    if role == "approver" and party not in PARTIES:
        raise AccountError("an approver approves for a party: give kommun or polis")
    if role != "approver" and party is not None:
        raise AccountError(f"only an approver has a party, not a {role}")
    with db.write() as conn:
        user_id = required(conn, name)["id"]
        conn.execute("INSERT INTO roles (user_id, slug, role, party, granted) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, slug, role) "
                     "DO UPDATE SET party = excluded.party, granted = excluded.granted",
                     (user_id, slug, role, party, db.now()))
        given = Role(slug, role, party)
        detail = " ".join(filter(None, [str(given), f"by {by}" if by else ""]))
        audit.record(conn, db.now(), "grant", name, slug, detail=detail)
    return given


def revoke(db: Database, name: str, slug: str, role: str | None = None,
           *, by: str | None = None) -> list[Role]:
    """Take one role (or every role there, when role is None); returns what was taken."""
    check_slug(slug)
    if role is not None and role not in ROLES:
        raise AccountError(f"{role!r} is not a role: use {', '.join(ROLES)}")
    with db.write() as conn:
        user_id = required(conn, name)["id"]
        which = "" if role is None else "AND role = ?"
        args = [user_id, slug] + ([] if role is None else [role])
        taken = [Role(r["slug"], r["role"], r["party"]) for r in conn.execute(
            f"SELECT * FROM roles WHERE user_id = ? AND slug = ? {which}", args)]
        if not taken:
            what = f"the role {role}" if role else "any role"
            raise AccountError(f"{name} does not have {what} in {slug}")
        conn.execute(f"DELETE FROM roles WHERE user_id = ? AND slug = ? {which}", args)
        detail = ", ".join(str(r) for r in taken) + (f" by {by}" if by else "")
        audit.record(conn, db.now(), "revoke", name, slug, detail=detail)
    return taken


def roles(db: Database, name: str) -> dict[str, list[Role]]:
    """The user's roles, by municipality; an unknown user has none."""
    found: dict[str, list[Role]] = {}
    for r in db.connection().execute(
            "SELECT roles.* FROM roles JOIN users ON users.id = roles.user_id "
            "WHERE users.name = ? ORDER BY slug, role", (name,)):
        found.setdefault(r["slug"], []).append(Role(r["slug"], r["role"], r["party"]))
    return found


def members(db: Database, slug: str) -> list[tuple[User, Role]]:
    rows = db.connection().execute(
        "SELECT users.*, roles.slug, roles.role, roles.party FROM roles "
        "JOIN users ON users.id = roles.user_id WHERE roles.slug = ? "
        "ORDER BY users.name, roles.role", (slug,))
    return [(to_user(r), Role(r["slug"], r["role"], r["party"])) for r in rows]


def _held(db: Database, name: str, slug: str) -> dict[str, str | None]:
    rows = db.connection().execute(
        "SELECT roles.role, roles.party FROM roles JOIN users ON users.id = roles.user_id "
        "WHERE users.name = ? AND roles.slug = ?", (name, slug))
    return {r["role"]: r["party"] for r in rows}


def can(db: Database, name: str, slug: str, action: str) -> bool:
    if action not in ACTIONS:
        raise AccountError(f"{action!r} is not an action: use {', '.join(ACTIONS)}")
    return bool(ACTIONS[action] & _held(db, name, slug).keys())


def approver_party(db: Database, name: str, slug: str) -> str | None:
    """kommun or polis when the user approves in this municipality, else None."""
    return _held(db, name, slug).get("approver")


def municipalities(db: Database, name: str) -> list[str]:
    rows = db.connection().execute(
        "SELECT DISTINCT roles.slug FROM roles JOIN users ON users.id = roles.user_id "
        "WHERE users.name = ? ORDER BY roles.slug", (name,))
    return [r["slug"] for r in rows]
