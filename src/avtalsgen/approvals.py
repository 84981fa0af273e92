"""Approvals bind content, and "final" is derived from them, never stored.

An approval records, for one party, the municipality's content key (a hash of every
file its documents are made from, `content_key`) and the commit it was given on. The
municipality is final while a kommun approval and a polis approval both match the
current content key. Any change by any route (the editor, an import, `measures
import`, git, a hand edit on disk) changes the key, so the documents are drafts again
and the approvals show as withdrawn by that change; nobody has to remember to
withdraw them.

The record is `approvals.yaml` in the municipality's folder, written only by avtalsgen
(the shared server when a party approves or someone reopens, the local editor's
"Markera som slutlig"), one commit per change, under the repository's lock. It is not
part of the content key: recording an approval does not change what was approved.

Without a record, `status: final` in municipality.yaml keeps its old meaning for a
single editor working with the CLI (`render` treats it as `--final`); once a record
exists, only the approvals count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import AvtalsgenError
from .formatting import datum_kort

RECORD = "approvals.yaml"
PARTIES = ("kommun", "polis")
MAX_RECORD_BYTES = 64_000
MAX_ENTRIES = 20  # two parties and a local mark, with room for old entries
HEAD = ("# Godkännanden av kommunens dokument: skrivs av avtalsgen när en part godkänner\n"
        "# eller någon återöppnar dokumenten. Ändra inte för hand.\n")


class StaleApproval(AvtalsgenError):
    """The content changed since the approver looked at it."""


@dataclass(frozen=True)
class Approval:
    """One party's approval of one content (party None: marked final by the single
    editor of a local setup, no party named)."""

    party: str | None
    name: str
    time: dt.datetime
    content: str
    commit: str = ""

    def plain(self) -> dict[str, Any]:
        return {"party": self.party, "name": self.name, "time": self.time.isoformat(),
                "content": self.content, "commit": self.commit}


@dataclass(frozen=True)
class State:
    """What the municipality is now, derived from its files and its approvals."""

    content: str  # the current content key
    valid: tuple[Approval, ...] = ()  # approvals of the current content
    withdrawn: tuple[Approval, ...] = ()  # approvals of content that has changed since
    recorded: bool = False  # an approval record exists: only approvals make it final
    declared_final: bool = False  # `status: final` in municipality.yaml
    problem: str = ""  # the record could not be read (then nothing is approved)
    parties: frozenset[str] = field(default_factory=frozenset)

    @property
    def final(self) -> bool:
        if self.recorded:
            return set(PARTIES) <= self.parties or any(a.party is None for a in self.valid)
        return self.declared_final

    @property
    def lines(self) -> list[str]:
        """The approval lines a final document prints under its title."""
        if not self.final:
            return []
        return [f"Godkänd för {a.party}en av {a.name} {datum_kort(a.time.date())}"
                for party in PARTIES for a in self.valid if a.party == party]

    def approved_by(self, party: str) -> Approval | None:
        return next((a for a in self.valid if a.party == party), None)


def content_key(folder: Path) -> str:
    """Every non-hidden file in the folder by relative path and content, except the
    approval record itself: what the documents are made from."""
    from .inputs import folder_digest

    digest = folder_digest(Path(folder), skip=frozenset({RECORD}))
    if digest is None:  # unreadable or too many files: matches no approval
        return "unreadable-" + hashlib.sha256(os.urandom(16)).hexdigest()
    return digest


def read_record(folder: Path) -> tuple[list[Approval], bool, str]:
    """(approvals, whether a record exists, problem) of a folder."""
    path = Path(folder) / RECORD
    if path.is_symlink():
        return [], True, f"{RECORD} är en symbolisk länk"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], False, ""
    except OSError as e:
        return [], True, f"{RECORD} kan inte läsas ({e.strerror})"
    if len(raw) > MAX_RECORD_BYTES:
        return [], True, f"{RECORD} är större än {MAX_RECORD_BYTES} byte"
    try:
        data = yaml.safe_load(raw.decode("utf-8")) or {}
        entries = data.get("approvals") or []
        if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
            raise ValueError("approvals is not a short list")
        found = [_entry(e) for e in entries]
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError, AttributeError,
            KeyError) as e:
        return [], True, f"{RECORD} kan inte läsas: {e}"
    return found, True, ""


def _entry(e: dict[str, Any]) -> Approval:
    party = e.get("party")
    if party not in (*PARTIES, None):
        raise ValueError(f"unknown party {party!r}")
    time = e["time"]
    time = time if isinstance(time, dt.datetime) else dt.datetime.fromisoformat(str(time))
    if time.tzinfo is None:
        time = time.replace(tzinfo=dt.UTC)
    return Approval(party, str(e["name"]), time, str(e["content"]), str(e.get("commit") or ""))


def state(folder: Path, declared_final: bool = False) -> State:
    """The municipality's state now: final only while the approvals match its content."""
    entries, recorded, problem = read_record(folder)
    current = content_key(folder)
    valid = tuple(a for a in entries if a.content == current)
    return State(current, valid, tuple(a for a in entries if a.content != current),
                 recorded, declared_final, problem,
                 frozenset(a.party for a in valid if a.party is not None))


# ---------------------------------------------------------------------------------------
# changing the record: each change one commit, under the repository's lock


def _write(folder: Path, entries: list[Approval], author: str, message: str) -> None:
    """Write the record and commit it (the caller holds the transaction)."""
    from . import store

    body = yaml.safe_dump({"approvals": [a.plain() for a in entries]}, allow_unicode=True,
                          sort_keys=False)
    store.write_and_commit(Path(folder) / RECORD, (HEAD + body).encode("utf-8"),
                           author=author, message=message)


def approve(folder: Path, party: str | None, name: str, seen: str,
            check: Callable[[], None] = lambda: None,
            now: dt.datetime | None = None) -> State:
    """Record party's approval of the content the approver saw (seen: its content key).
    Refused with StaleApproval unless that is still the content inside the lock; check()
    runs inside the lock too (the final checks: invalid data is never approved)."""
    from . import store

    folder = Path(folder)
    with store.transaction(folder):  # the lock saves take to write
        current = content_key(folder)
        if seen != current:
            raise StaleApproval("Innehållet har ändrats sedan sidan visades. Granska den "
                                "nya versionen innan du godkänner.")
        check()
        entries, _recorded, _problem = read_record(folder)
        # Approvals of other content are history (kept in git), not part of the record.
        keep = [a for a in entries if a.content == current and a.party != party]
        new = Approval(party, name, now or dt.datetime.now(dt.UTC).replace(microsecond=0),
                       current, store.last_commit(folder) or "")
        who = f"för {party}en" if party else "som slutlig"
        _write(folder, [*keep, new], name, f"{folder.name}: godkänd {who} av {name}")
    return state(folder)


def reopen(folder: Path, name: str, reason: str) -> list[Approval]:
    """Withdraw every approval (the documents are drafts again) and say why in the
    commit; returns what was withdrawn."""
    from . import store

    folder = Path(folder)
    with store.transaction(folder):  # the lock saves take to write
        entries, _recorded, _problem = read_record(folder)
        # An empty record, not none: from now on only approvals make it final.
        _write(folder, [], name, f"{folder.name}: återöppnad som utkast av {name}: {reason}")
    return entries


def withdrawn_by(folder: Path, approval: Approval) -> Any:
    """The first commit after the approval that changed the content (a store.Commit), or
    None when the change is not committed (a hand edit on disk)."""
    from . import store

    return store.first_change_after(folder, approval.commit, exclude=RECORD)
