"""The last page of a Word document for import: a back page with only the parties'
logo lines ("EKBY KOMMUN", "POLISEN" in bold) is no section of the document."""

from __future__ import annotations

from typing import Any

from ..messages import Msg

MAX_BACK_LINES = 6
MAX_BACK_WORDS = 8


def back_page(units: list[Any]) -> list[Any]:
    """Short unstyled bold lines alone after the last page break become bold text (with
    a note) instead of headings without content."""
    breaks = [i for i, u in enumerate(units) if u.kind == "page_break"]
    if not breaks:
        return units
    tail = units[breaks[-1] + 1:]
    if not tail or len(tail) > MAX_BACK_LINES or not all(
            u.kind in ("heading", "para", "image") and not u.styled and
            len(u.text.split()) <= MAX_BACK_WORDS for u in tail) or not any(
            u.kind == "heading" for u in tail):
        return units
    for unit in tail:
        if unit.kind == "heading":
            unit.kind, unit.data = "para", {"text": unit.text, "style": "strong"}
            unit.notes.append(Msg("a line on the back page (a logo or the parties' names) is "
                                  "kept as bold text, not a heading; remove it if the "
                                  "template prints the parties"))
    return units
