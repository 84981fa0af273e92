"""The SQLite file behind accounts: one connection per thread, WAL, foreign keys on,
and the schema brought up to date by numbered migrations (PRAGMA user_version).

A schema change is one more script appended to MIGRATIONS; never edit a published one,
because databases already at that version will not run it again.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import AccountError

BUSY_TIMEOUT_MS = 5000

MIGRATIONS: tuple[str, ...] = (
    # 1: people, their roles per municipality, failed logins, sessions, the audit trail.
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL UNIQUE,  -- lower-cased, so unique regardless of case
        password_hash TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE roles (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        slug TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('reader', 'editor', 'approver')),
        party TEXT CHECK (party IN ('kommun', 'polis')),
        granted REAL NOT NULL,
        PRIMARY KEY (user_id, slug, role),
        CHECK ((role = 'approver') = (party IS NOT NULL))
    ) WITHOUT ROWID;
    CREATE INDEX roles_slug ON roles(slug);
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,  -- sha256 of the token: a copied file opens no session
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        address TEXT NOT NULL,
        created REAL NOT NULL,
        last_seen REAL NOT NULL
    );
    CREATE INDEX sessions_user ON sessions(user_id);
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        account TEXT,  -- 'user:NAME' or 'unknown:LOGIN'; NULL once a success resets it
        address TEXT NOT NULL,
        time REAL NOT NULL
    );
    CREATE INDEX login_failures_account ON login_failures(account, time);
    CREATE INDEX login_failures_address ON login_failures(address, time);
    CREATE TABLE lockouts (
        key TEXT PRIMARY KEY,  -- an account key as above, or 'address:ADDRESS'
        locked_until REAL NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        time REAL NOT NULL,
        event TEXT NOT NULL,
        name TEXT,
        slug TEXT,
        doc TEXT,
        version TEXT,
        detail TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_slug ON audit(slug, id);
    """,
    # 2: the review round: approvals of a saved version, comments on sections. Names,
    # not user ids: the record must outlive a removed account.
    """
    CREATE TABLE approvals (
        slug TEXT NOT NULL,
        version TEXT NOT NULL,
        party TEXT NOT NULL CHECK (party IN ('kommun', 'polis')),
        name TEXT NOT NULL,
        time REAL NOT NULL,
        PRIMARY KEY (slug, version, party)
    ) WITHOUT ROWID;
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        doc TEXT NOT NULL,
        section_path TEXT NOT NULL,
        name TEXT NOT NULL,
        text TEXT NOT NULL,
        time REAL NOT NULL,
        resolved_by TEXT,
        resolved_at REAL
    );
    CREATE INDEX comments_doc ON comments(slug, doc, id);
    """,
)


def statements(script: str) -> list[str]:
    """The statements of a script, split where SQLite itself says one is complete (so a
    ';' inside a string or a trigger body does not split it)."""
    found: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                found.append(buffer.strip())
            buffer = ""
    if _has_code(buffer):
        raise ValueError(f"incomplete SQL statement in a migration: {buffer.strip()!r}")
    return found


def _has_code(text: str) -> bool:
    """Anything but blank lines, comment lines and the ';' a split adds."""
    return any(line.strip(" \t;") and not line.strip().startswith("--")
               for line in text.splitlines())


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Apply the scripts after the file's user_version, all in one transaction: a failure
    leaves the file as it was. Returns the version reached."""
    target = len(migrations)
    if schema_version(conn) == target:
        return target
    # executescript() would commit the open transaction first: run statement by statement.
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)  # again: another process may have migrated meanwhile
        if current > target:
            raise AccountError(f"the accounts database is at schema version {current}, this "
                               f"avtalsgen knows {target}: update avtalsgen")
        for number in range(current + 1, target + 1):
            for statement in statements(migrations[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return target


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL once (it stays so). The switch needs the file to itself and
    SQLite does not wait for that, so processes opening a new file together retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Database:
    """The accounts file, shared by threads (each gets its own connection) and by
    processes (WAL lets readers go on while one writes; writers wait up to 5 s)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time,
                 migrations: Sequence[str] = MIGRATIONS) -> None:
        self.path = Path(path)
        self.clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        if not self.path.parent.is_dir():
            raise AccountError(f"{self.path.parent}: no such folder for the accounts database")
        if not self.path.exists():
            # Password hashes and sessions: readable by the server's user only.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        try:
            migrate(self.connection(), migrations)
        except sqlite3.DatabaseError as e:
            self.close()
            if isinstance(e, sqlite3.OperationalError):
                raise  # locked for longer than the timeout, a full disk: not the user's
            raise AccountError(f"{self.path}: not a usable accounts database ({e})") from None

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not be shared mid-use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; write() takes them explicitly.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            _use_wal(conn)
        except sqlite3.DatabaseError as e:
            conn.close()
            if isinstance(e, sqlite3.OperationalError):
                raise
            raise AccountError(f"{self.path}: not a usable accounts database ({e})") from None
        conn.row_factory = sqlite3.Row
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, locked at once (BEGIN IMMEDIATE) so concurrent writers
        wait for the busy timeout rather than fail halfway; a nested use joins the outer."""
        conn = self.connection()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def now(self) -> float:
        return float(self.clock())

    def close(self) -> None:
        """Close every thread's connection; a later call opens new ones."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
