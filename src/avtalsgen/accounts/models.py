"""What the accounts layer hands out: plain, frozen records (never password hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

ROLES = ("reader", "editor", "approver")
PARTIES = ("kommun", "polis")


def utc(timestamp: float) -> datetime:
    """A stored POSIX time as an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, UTC)


@dataclass(frozen=True)
class User:
    name: str
    email: str
    created: datetime


@dataclass(frozen=True)
class Role:
    slug: str
    role: str  # reader, editor or approver
    party: str | None = None  # kommun or polis, for an approver only

    def __str__(self) -> str:
        return f"{self.role} ({self.party})" if self.party else self.role


@dataclass(frozen=True)
class Approval:
    slug: str
    version: str
    party: str
    name: str
    time: datetime


@dataclass(frozen=True)
class Comment:
    id: int
    slug: str
    doc: str
    section_path: str
    name: str
    text: str
    time: datetime
    resolved_by: str | None = None
    resolved_at: datetime | None = None

    @property
    def resolved(self) -> bool:
        return self.resolved_by is not None


@dataclass(frozen=True)
class Event:
    id: int
    time: datetime
    event: str
    name: str | None
    slug: str | None
    doc: str | None
    version: str | None
    detail: str
    address: str
