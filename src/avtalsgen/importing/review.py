"""The review list an import leaves behind: every place the importer was unsure of, in
the order that matters (parties, period, signing first), each ticked "Klart" by a
person once checked. Kept beside the municipality's files in a hidden folder that git
ignores (like a comment, not part of what the documents are made from, so ticking
changes no approval and makes no commit), written atomically under the folder's lock."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from .. import output, store
from ..messages import render, tr
from .report import CONFIDENCE_NAMES, TOPIC_NAMES, ImportReport

FOLDER = ".avtalsgen-granskning"
FILE = f"{FOLDER}/granskning.json"
MAX_NOTES = 500  # a larger list is no review; the oldest ticked ones go first
MAX_FILE_BYTES = 1_000_000


def _load(folder: Path) -> list[dict[str, Any]]:
    path = Path(folder) / FILE
    if path.is_symlink():
        return []
    try:
        raw = path.read_bytes()
    except OSError:
        return []
    if len(raw) > MAX_FILE_BYTES:
        return []
    try:
        notes = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    return [n for n in notes if isinstance(n, dict) and isinstance(n.get("id"), str)] \
        if isinstance(notes, list) else []


def _save(folder: Path, notes: list[dict[str, Any]]) -> None:
    ignore = Path(folder) / FOLDER / ".gitignore"
    if not ignore.exists():  # the list is working state, not the municipality's history
        output.write_atomic(ignore, b"*\n")
    if len(notes) > MAX_NOTES:
        ticked = [n for n in notes if n.get("done_by")]
        drop = {n["id"] for n in ticked[:len(notes) - MAX_NOTES]}
        notes = [n for n in notes if n["id"] not in drop][-MAX_NOTES:]
    output.write_atomic(Path(folder) / FILE,
                        json.dumps(notes, ensure_ascii=False, indent=1).encode("utf-8"))


def record(folder: Path, report: ImportReport, source: str, doc: str | None) -> int:
    """Add the report's review list to the folder's; returns how many were added."""
    folder = Path(folder)
    added = []
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    for topic, confidence, note in report.review():
        text = render(note, "sv")
        key = hashlib.sha256(f"{source}\0{doc}\0{text}\0{stamp}".encode()).hexdigest()[:16]
        added.append({"id": key, "source": source, "doc": doc,
                      "topic": tr(TOPIC_NAMES[topic], "sv"),
                      "confidence": tr(CONFIDENCE_NAMES[confidence], "sv"),
                      "text": text, "section": report.places.get(note) or None,
                      "time": stamp, "done_by": None, "done_at": None})
    if added:
        with store.transaction(folder):
            _save(folder, [*_load(folder), *added])
    return len(added)


def notes(folder: Path, open_only: bool = False) -> list[dict[str, Any]]:
    found = _load(folder)
    return [n for n in found if not n.get("done_by")] if open_only else found


def done(folder: Path, note_id: str, name: str) -> bool:
    """Tick a note "Klart"; False when there is no such open note."""
    folder = Path(folder)
    with store.transaction(folder):
        found = _load(folder)
        for note in found:
            if note["id"] == note_id and not note.get("done_by"):
                note["done_by"] = name
                note["done_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
                _save(folder, found)
                return True
    return False
