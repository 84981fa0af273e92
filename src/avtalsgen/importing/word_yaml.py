"""Imported config as YAML text: plain data, with a comment before every item the
import was not sure of, long paragraphs folded as `>-` where they read back exactly,
and strings quoted where YAML would read them as something else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import FoldedScalarString

from ..store import dump

FOLD_WIDTH = 88
COMMENT_PREFIX = "avtalsgen import: "
# What a folded block cannot hold verbatim: control and line-separator characters.
_UNFOLDABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]|  |^\\s|\\s$")


@dataclass
class Noted:
    """A value with a note on what was uncertain about it (a comment in the YAML)."""

    value: Any
    note: Any  # a catalogued message (Msg)


def plain(value: Any) -> Any:
    """The data without notes."""
    if isinstance(value, Noted):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def notes_of(value: Any) -> list[Any]:
    """Every note in the data, in order."""
    if isinstance(value, Noted):
        return [value.note, *notes_of(value.value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in notes_of(v)]
    if isinstance(value, list):
        return [n for v in value for n in notes_of(v)]
    return []


def note_places(value: Any, path: tuple[Any, ...] = ()) -> dict[Any, str]:
    """Each note's place: the section it is in, as the web editor's address gives it
    ('1.0': sections[1].sections[0]); '' for one outside the sections (the cover).
    A note met twice keeps its first place."""
    places: dict[Any, str] = {}
    if isinstance(value, Noted):
        places[value.note] = section_path(path)
        for note, place in note_places(value.value, path).items():
            places.setdefault(note, place)
        return places
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        for note, place in note_places(child, (*path, key)).items():
            places.setdefault(note, place)
    return places


def section_path(path: tuple[Any, ...]) -> str:
    """'1.0' for a path inside sections[1].sections[0], else ''."""
    numbers: list[str] = []
    i = 0
    while i + 1 < len(path) and path[i] == "sections" and isinstance(path[i + 1], int):
        numbers.append(str(path[i + 1]))
        i += 2
    return ".".join(numbers)


# Table rows, columns and totals read best on one line each: [Ålder, "2014", "2015"].
FLOW_KEYS = ("columns", "values")
# Text that flow style writes plainly and PyYAML reads back (no ? : , [ ] { } # …).
_FLOW_SAFE = re.compile(r"^\w(?:[\w .\-–/()+]*[\w)])?$")


def to_text(data: Any, header: str | None = None) -> str:
    """YAML for data; folded paragraphs and one-line table rows unless that would change
    anything (the text is read back and compared)."""
    for fold, flow in ((True, True), (False, True), (False, False)):
        text = dump(tree(data, header, fold=fold, flow=flow))
        try:
            if yaml.safe_load(text) == plain(data):
                return text
        except yaml.YAMLError:  # ruamel's flow style is not always read back by PyYAML
            continue
    raise ValueError("the imported data cannot be written as YAML that reads back the same")


def tree(data: Any, header: str | None = None, *, fold: bool = True,
         flow: bool = True) -> Any:
    """ruamel nodes for data, notes as comments, header as the first comment."""
    node = _Tree(fold, flow).node(data, 0)
    if header:
        node.yaml_set_start_comment(header)
    return node


class _Tree:
    def __init__(self, fold: bool, flow: bool) -> None:
        self.fold = fold
        self.flow = flow

    def node(self, value: Any, column: int, key: Any = None) -> Any:
        """ruamel nodes for value, whose keys (or dashes) stand at column."""
        if isinstance(value, Noted):
            return self.node(value.value, column, key)
        if isinstance(value, dict):
            node = CommentedMap()
            for k, item in value.items():
                node[k] = self.node(item, column + 2, k)
                if isinstance(item, Noted):
                    node.yaml_set_comment_before_after_key(k, before=_comment(item),
                                                           indent=column)
            return node
        if isinstance(value, list):
            seq = CommentedSeq()
            for i, item in enumerate(value):
                seq.append(self.node(item, column + 2, "row" if key == "rows" else None))
                if isinstance(item, Noted):
                    seq.yaml_set_comment_before_after_key(i, before=_comment(item),
                                                          indent=column)
            if self.flow and (key in FLOW_KEYS or key == "row") and all(
                    not isinstance(v, str) or not v or _FLOW_SAFE.match(v) for v in value):
                seq.fa.set_flow_style()
            return seq
        if self.fold and isinstance(value, str):
            return _folded(value, column)
        return value


def _comment(item: Noted) -> str:
    notes = [item.note]
    inner = item.value
    while isinstance(inner, Noted):
        notes.append(inner.note)
        inner = inner.value
    lines = []
    for note in notes:
        lines.extend(_wrap(COMMENT_PREFIX + " ".join(str(note).split()), 90))
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line]


def _folded(text: str, column: int) -> Any:
    """A long paragraph as a folded (>-) block, folded at single spaces."""
    width = max(40, FOLD_WIDTH - column)
    if len(text) <= width or "\n" in text or _UNFOLDABLE.search(text):
        return text
    folds, start, last = [], 0, -1
    for i, ch in enumerate(text):
        if ch != " ":
            continue
        if i - start > width and last > start:
            folds.append(last)
            start = last + 1
        last = i
    if len(text) - start > width and last > start:
        folds.append(last)
    node = FoldedScalarString(text)
    node.fold_pos = folds
    return node
