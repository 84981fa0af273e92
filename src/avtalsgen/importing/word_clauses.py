"""Paragraphs that are the clause library's text (rendered with this municipality's
names) become `{clause: key}`, so next year's wording comes from the library."""

from __future__ import annotations

from typing import Any

from .. import clauses as clause_library
from .. import model as m
from .word_yaml import Noted

_LISTS = ("content", "background", "methods", "problem", "cover", "closing")


def _norm(text: str) -> str:
    return " ".join(text.split())


def rendered_library(muni: m.Municipality, doc: m.Document) -> dict[str, list[str]]:
    """Each clause as it would print for this municipality (those that render without
    parameters of their own)."""
    out: dict[str, list[str]] = {}
    params = clause_library.base_params(muni, doc)
    for key, clause in clause_library.load_library().items():
        try:
            out[key] = [_norm(p) for p in clause_library.render_clause(clause, params)]
        except Exception:  # a clause needing values this municipality lacks: skipped
            continue
    # The longest first: a clause that begins like another must not hide it.
    return dict(sorted(out.items(), key=lambda kv: -len(kv[1])))


def replace_clauses(document: dict[str, Any], library: dict[str, list[str]]) -> int:
    """Replace runs of paragraphs equal to a clause, in place; returns how many."""
    found = 0
    for key in _LISTS:
        if isinstance(document.get(key), list):
            document[key], n = _replace(document[key], library)
            found += n
    for section in document.get("sections", []):
        while isinstance(section, Noted):
            section = section.value
        if isinstance(section, dict):
            found += replace_clauses(section, library)
    return found


def _replace(blocks: list[Any], library: dict[str, list[str]]) -> tuple[list[Any], int]:
    out: list[Any] = []
    found = 0
    i = 0
    texts = [_norm(b) if isinstance(b, str) else None for b in blocks]
    while i < len(blocks):
        match = _match_at(texts, i, library)
        if match is None:
            out.append(blocks[i])
            i += 1
            continue
        key, length = match
        out.append({"clause": key})
        found += 1
        i += length
    return out, found


def _match_at(texts: list[str | None], i: int,
              library: dict[str, list[str]]) -> tuple[str, int] | None:
    for key, paragraphs in library.items():
        n = len(paragraphs)
        if texts[i:i + n] == paragraphs:
            return key, n
    return None
