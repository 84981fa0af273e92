"""Accounts for a shared server: who may log in, what each may do in which
municipality, approvals of a saved version by both parties, comments on sections, and
the audit trail, all in one SQLite file beside the municipality folders.

    accounts = Accounts(root / DEFAULT_NAME)
    accounts.add_user("anna", "anna@kommun.se", "a long passphrase")
    accounts.grant("anna", "lulea", "approver", party="kommun")
    user = accounts.authenticate("anna", "a long passphrase", address="10.0.0.7")
    token = accounts.new_session(user, "10.0.0.7")

Every method is safe to call from several threads (each gets its own connection) and
several processes (SQLite's WAL and a 5 s busy timeout).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from . import audit as _audit
from . import login as _login
from . import reviews as _reviews
from . import roles as _roles
from . import sessions as _sessions
from . import users as _users
from .audit import EVENTS
from .database import MIGRATIONS, Database
from .errors import AccountError, LoginError
from .models import PARTIES, ROLES, Approval, Comment, Event, Role, User
from .roles import ACTIONS, check_municipality, check_slug

__all__ = [
    "ACTIONS", "DEFAULT_NAME", "EVENTS", "MIGRATIONS", "PARTIES", "ROLES", "AccountError",
    "Accounts", "Approval", "Comment", "Event", "LoginError", "Role", "User",
    "check_municipality", "check_slug", "default_path",
]

DEFAULT_NAME = ".avtalsgen.sqlite3"
# Password checks running at once in one process: each takes argon2's 64 MiB and a core
# for a while, so a burst of logins (or of guesses) must queue, not multiply the memory.
CHECKS_AT_ONCE = 2


def default_path(root: Path, db: Path | None = None) -> Path:
    """The database a command uses: --db, else $AVTALSGEN_DB, else ROOT/.avtalsgen.sqlite3."""
    if db is not None:
        return Path(db)
    if os.environ.get("AVTALSGEN_DB"):
        return Path(os.environ["AVTALSGEN_DB"])
    return Path(root) / DEFAULT_NAME


class Accounts:
    """The accounts database at `path` (created and migrated on open).

    `clock` gives the time (POSIX seconds) for lockouts, sessions and records, so tests
    need not sleep; `hasher` sets the argon2id cost (tests pass a cheap one).
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time,
                 hasher: PasswordHasher | None = None) -> None:
        self.path = Path(path)
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._db = Database(self.path, clock)
        self._dummy: str | None = None
        self._checks = threading.BoundedSemaphore(CHECKS_AT_ONCE)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Users

    def add_user(self, name: str, email: str, password: str, *, by: str | None = None) -> User:
        """A new user; AccountError for a bad or taken name or e-mail, or a weak password."""
        return _users.add_user(self._db, self.hasher, name, email, password, by=by)

    def users(self) -> list[User]:
        return _users.users(self._db)

    def user(self, name: str) -> User | None:
        return _users.user(self._db, name)

    def set_password(self, name: str, password: str, *, by: str | None = None) -> None:
        """New password; ends the user's sessions and lifts a lockout."""
        _users.set_password(self._db, self.hasher, name, password, by=by)

    def remove_user(self, name: str, *, by: str | None = None) -> None:
        """Remove the account with its roles and sessions (the records keep the name)."""
        _users.remove_user(self._db, name, by=by)

    # Roles

    def grant(self, name: str, slug: str, role: str, party: str | None = None,
              *, by: str | None = None) -> Role:
        return _roles.grant(self._db, name, slug, role, party, by=by)

    def revoke(self, name: str, slug: str, role: str | None = None,
               *, by: str | None = None) -> list[Role]:
        return _roles.revoke(self._db, name, slug, role, by=by)

    def roles(self, name: str) -> dict[str, list[Role]]:
        return _roles.roles(self._db, name)

    def members(self, slug: str) -> list[tuple[User, Role]]:
        return _roles.members(self._db, slug)

    def can(self, name: str, slug: str, action: str) -> bool:
        """Whether the user may do `action` (one of ACTIONS) in the municipality."""
        return _roles.can(self._db, name, slug, action)

    def approver_party(self, name: str, slug: str) -> str | None:
        return _roles.approver_party(self._db, name, slug)

    def municipalities(self, name: str) -> list[str]:
        return _roles.municipalities(self._db, name)

    # Login and sessions

    def authenticate(self, login: str, password: str, address: str) -> User:
        """The user with this name or e-mail and password, or LoginError."""
        with self._checks:
            if self._dummy is None:
                # Same parameters as real hashes, so an unknown name costs the same time.
                self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
            return _login.authenticate(self._db, self.hasher, self._dummy, login, password,
                                       address)

    def new_session(self, user: User | str, address: str) -> str:
        return _sessions.new_session(self._db, user, address)

    def session(self, token: str | None) -> User | None:
        return _sessions.session(self._db, token)

    def end_session(self, token: str | None, address: str = "") -> bool:
        return _sessions.end_session(self._db, token, address)

    def end_sessions(self, name: str) -> int:
        return _sessions.end_sessions(self._db, name)

    # Approvals and comments

    def approve(self, slug: str, version: str, name: str, address: str = "") -> list[Approval]:
        return _reviews.approve(self._db, slug, version, name, address)

    def approvals(self, slug: str, version: str) -> list[Approval]:
        return _reviews.approvals(self._db, slug, version)

    def both_approved(self, slug: str, version: str) -> bool:
        return _reviews.both_approved(self._db, slug, version)

    def withdraw(self, slug: str, reason: str, name: str | None = None,
                 address: str = "", keep: str | None = None) -> list[Approval]:
        """Removes the approvals in the municipality of any version but keep."""
        return _reviews.withdraw(self._db, slug, reason, name, address, keep)

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """One write transaction: the calls inside it join it, and an exception inside
        undoes them all (an approval whose commit failed is not recorded)."""
        return self._db.write()

    def comment(self, slug: str, doc: str, section_path: str, name: str, text: str,
                address: str = "") -> Comment:
        return _reviews.comment(self._db, slug, doc, section_path, name, text, address)

    def comments(self, slug: str, doc: str, include_resolved: bool = False) -> list[Comment]:
        return _reviews.comments(self._db, slug, doc, include_resolved)

    def resolve(self, comment_id: int, name: str, address: str = "") -> Comment:
        return _reviews.resolve(self._db, comment_id, name, address)

    # Audit trail

    def audit(self, event: str, name: str | None = None, slug: str | None = None,
              doc: str | None = None, version: str | None = None, detail: str = "",
              address: str = "") -> Event:
        """Record an event the caller performed (save, download …)."""
        return _audit.add(self._db, event, name, slug, doc, version, detail, address)

    def audit_log(self, slug: str | None = None, limit: int = 1000) -> list[Event]:
        """Newest first; one municipality's when slug is given."""
        return _audit.log(self._db, slug, limit)
