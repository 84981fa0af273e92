"""People who can log in: login name, e-mail and an argon2id password hash."""

from __future__ import annotations

import re
import sqlite3

from argon2 import PasswordHasher

from . import audit
from .database import Database
from .errors import AccountError
from .models import User, utc

NAME_PATTERN = re.compile(r"[a-z0-9._-]{2,40}")
# Loose on purpose: one @, something on each side, a dot in the domain, no spaces.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MAX_EMAIL = 254
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # bounds the work a single login request can ask for


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise AccountError(f"{name!r} is not a valid user name: use 2-40 lower-case letters "
                           "a-z, digits, '.', '_' or '-'")
    return name


def check_email(email: str) -> str:
    email = email.strip().lower() if isinstance(email, str) else ""
    if len(email) > MAX_EMAIL or not EMAIL_PATTERN.fullmatch(email):
        raise AccountError(f"{email!r} is not a valid e-mail address")
    return email


def check_password(password: str, name: str, email: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")
    if password.strip().lower() in (name, email):
        raise AccountError("the password must not be the user name or the e-mail address")


def to_user(row: sqlite3.Row) -> User:
    return User(row["name"], row["email"], utc(row["created"]))


def row(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    """The user's row (with the hash) by login name, or None."""
    found: sqlite3.Row | None = conn.execute(
        "SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    return found


def required(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    found = row(conn, name)
    if found is None:
        raise AccountError(f"no user {name!r}")
    return found


def add_user(db: Database, hasher: PasswordHasher, name: str, email: str, password: str,
             *, by: str | None = None) -> User:
    name, email = check_name(name), check_email(email)
    check_password(password, name, email)
    hashed = hasher.hash(password)  # slow by design: outside the write lock
    now = db.now()
    with db.write() as conn:
        clash = conn.execute("SELECT name, email FROM users WHERE name = ? OR email = ?",
                             (name, email)).fetchone()
        if clash is not None:
            what = f"user {name!r}" if clash["name"] == name else f"e-mail address {email!r}"
            raise AccountError(f"the {what} is already taken")
        conn.execute("INSERT INTO users (name, email, password_hash, created) "
                     "VALUES (?, ?, ?, ?)", (name, email, hashed, now))
        audit.record(conn, now, "user_added", name, detail=_by(by))
    return User(name, email, utc(now))


def users(db: Database) -> list[User]:
    return [to_user(r) for r in db.connection().execute("SELECT * FROM users ORDER BY name")]


def user(db: Database, name: str) -> User | None:
    found = row(db.connection(), name)
    return to_user(found) if found is not None else None


def set_password(db: Database, hasher: PasswordHasher, name: str, password: str,
                 *, by: str | None = None) -> None:
    """A new password ends every session of the user and lifts a lockout of the
    account (an administrator's reset is how a locked-out person gets back in)."""
    current = required(db.connection(), name)
    check_password(password, name, current["email"])
    hashed = hasher.hash(password)
    with db.write() as conn:
        found = required(conn, name)
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hashed, found["id"]))
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (found["id"],))
        conn.execute("DELETE FROM lockouts WHERE key = ?", (f"user:{name}",))
        conn.execute("UPDATE login_failures SET account = NULL WHERE account = ?",
                     (f"user:{name}",))
        audit.record(conn, db.now(), "password_changed", name, detail=_by(by))


def remove_user(db: Database, name: str, *, by: str | None = None) -> None:
    """Roles and sessions go with the account; approvals, comments and the audit trail
    keep the name, since they record what happened."""
    with db.write() as conn:
        found = required(conn, name)
        conn.execute("DELETE FROM users WHERE id = ?", (found["id"],))
        conn.execute("DELETE FROM lockouts WHERE key = ?", (f"user:{name}",))
        audit.record(conn, db.now(), "user_removed", name, detail=_by(by))


def _by(by: str | None) -> str:
    return f"by {by}" if by else ""
