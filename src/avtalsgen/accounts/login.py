"""Checking a password, with limits on guessing.

5 failures for one account within 15 minutes lock it for 15 minutes; 20 failures from
one address within 15 minutes block the address for 15 minutes; a success forgets the
account's failures. An unknown login name is verified against a dummy hash and locked
like a real account, so neither the time taken nor a lockout tells which names exist.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import audit
from .database import Database
from .errors import LoginError
from .models import User, utc
from .users import to_user

WINDOW = 15 * 60
LOCK = 15 * 60
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WRONG = "wrong user name or password"


def _find(conn: sqlite3.Connection, login: str) -> sqlite3.Row | None:
    column = "email" if "@" in login else "name"
    found: sqlite3.Row | None = conn.execute(
        f"SELECT * FROM users WHERE {column} = ?", (login,)).fetchone()
    return found


def _locked_until(conn: sqlite3.Connection, key: str, now: float) -> float | None:
    found = conn.execute("SELECT locked_until FROM lockouts WHERE key = ?", (key,)).fetchone()
    return found["locked_until"] if found and found["locked_until"] > now else None


def _refusal(until: float, what: str) -> LoginError:
    local = datetime.fromtimestamp(until).astimezone().strftime("%H:%M")
    return LoginError(f"too many failed logins: {what} is locked until {local}; "
                      "try again then", utc(until))


def authenticate(db: Database, hasher: PasswordHasher, dummy_hash: str, login: str,
                 password: str, address: str) -> User:
    """The user whose name or e-mail is `login`, if the password is theirs; otherwise
    LoginError (with locked_until set when the account or address is locked)."""
    login = (login or "").strip().lower()[:300]
    address = (address or "")[:100]
    now = db.now()
    conn = db.connection()
    found = _find(conn, login)
    name = found["name"] if found is not None else None
    account = f"user:{name}" if name else f"unknown:{login}"
    for key, what in ((f"address:{address}", "this address"), (account, "this account")):
        until = _locked_until(conn, key, now)
        if until is not None:
            with db.write() as w:
                audit.record(w, now, "login_failed", name,
                             detail=f"{what} is locked{_unknown(name, login, '; ')}",
                             address=address)
            raise _refusal(until, what)
    ok = _verify(hasher, found["password_hash"] if found is not None else dummy_hash,
                 password if isinstance(password, str) else "")
    if ok and found is not None:
        with db.write() as w:
            w.execute("UPDATE login_failures SET account = NULL WHERE account = ?", (account,))
            if hasher.check_needs_rehash(found["password_hash"]):
                # Stronger parameters since this hash was made: upgrade it while we can.
                w.execute("UPDATE users SET password_hash = ? WHERE id = ?",
                          (hasher.hash(password), found["id"]))
            audit.record(w, now, "login", name, address=address)
        return to_user(found)
    _failed(db, now, name, login, account, address)


def _unknown(name: str | None, login: str, before: str = "") -> str:
    """For the audit trail: what an unknown login was (cut short: it may be a typo'd
    password pasted into the name field)."""
    return "" if name else f"{before}unknown login {login[:60]!r}"


def _verify(hasher: PasswordHasher, hashed: str, password: str) -> bool:
    try:
        return bool(hasher.verify(hashed, password))
    except (VerificationError, InvalidHashError):
        return False


def _failed(db: Database, now: float, name: str | None, login: str, account: str,
            address: str) -> NoReturn:
    with db.write() as w:
        # Old failures count for nothing: keep the table small.
        w.execute("DELETE FROM login_failures WHERE time <= ?", (now - WINDOW,))
        w.execute("DELETE FROM lockouts WHERE locked_until <= ?", (now,))
        w.execute("INSERT INTO login_failures (account, address, time) VALUES (?, ?, ?)",
                  (account, address, now))
        audit.record(w, now, "login_failed", name, detail=_unknown(name, login),
                     address=address)
        locked: tuple[float, str] | None = None
        for column, value, key, limit, what in (
                ("account", account, account, ACCOUNT_LIMIT, "this account"),
                ("address", address, f"address:{address}", ADDRESS_LIMIT, "this address")):
            count = w.execute(f"SELECT count(*) FROM login_failures WHERE {column} = ? "
                              "AND time > ?", (value, now - WINDOW)).fetchone()[0]
            if count >= limit:
                w.execute("INSERT OR REPLACE INTO lockouts (key, locked_until) VALUES (?, ?)",
                          (key, now + LOCK))
                locked = locked or (now + LOCK, what)
    if locked is not None:
        raise _refusal(*locked)
    raise LoginError(WRONG)
