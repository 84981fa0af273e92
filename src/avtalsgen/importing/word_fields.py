"""A section's labelled fields from the paragraphs after "Mål:", "Ansvarig:" … : the
fields print after the section's content, in the order written, each kind of value in
its own way. So the labels that become fields are the last run of labels whose
values fit; labels before that stay labels in the content, so nothing moves."""

from __future__ import annotations

import re
from typing import Any

from ..messages import Msg
from .word_body import Unit
from .word_yaml import Noted, plain

FIELDS = {
    "mål": "goals", "delmål": "sub_goals", "åtagande": "commitments",
    "åtaganden": "commitments", "ansvarig": "responsible", "ansvar": "responsible",
    "ansvariga": "responsible", "tidplan": "timeline", "tidsplan": "timeline",
    "metod": "methods", "metoder": "methods", "tillvägagångssätt": "methods",
    "bakgrund": "background", "uppföljning": "follow_up", "problembild": "problem",
}
DEFAULT_LABELS = {"background": "Bakgrund:", "problem": "Problembild", "goals": "Mål:",
                  "responsible": "Ansvarig:", "timeline": "Tidplan:", "methods": "Metod:",
                  "follow_up": "Uppföljning:"}
BLOCK_FIELDS = ("background", "methods", "problem")
TEXT_FIELDS = ("commitments", "responsible", "timeline")
_SUB_GOAL = re.compile(r"^Delmål (\d+):\s*")


def field_of(unit: Unit) -> str | None:
    """The labelled field a label (or the heading "Problembild") stands for."""
    text = unit.text.strip()
    if unit.kind == "label" and not text.endswith(":") and not re.match(
            r"\W*(delmål|problembild)", text, re.IGNORECASE):
        return None
    word = re.sub(r"^\W+|[\s:]+$", "", text).lower()
    return FIELDS.get(word)


def entries_to_blocks(entries: list[Any]) -> list[Any]:
    """Entries as content blocks: labels as label blocks, "Problembild" as a heading."""
    out = []
    for entry in entries:
        if isinstance(entry, Unit):
            block: Any = {"heading": entry.text} if entry.kind == "heading" else \
                {"label": entry.text}
            for note in entry.notes:
                block = Noted(block, note)
            out.append(block)
        else:
            out.append(entry)
    return out


def section_fields(entries: list[Any], doc_type: str) -> tuple[list[Any], dict[str, Any],
                                                               dict[str, str], list[Msg]]:
    """(content, fields, label overrides, notes) of a section."""
    starts = [i for i, e in enumerate(entries) if isinstance(e, Unit) and field_of(e)]
    for k in starts:
        parsed = _fields(entries[k:], doc_type)
        if parsed is not None:
            fields, labels = parsed
            notes = [n for e in entries[k:] if isinstance(e, Unit) for n in e.notes]
            return entries_to_blocks(entries[:k]), fields, labels, notes
    blocks = entries_to_blocks(entries)
    if starts:
        kept = ", ".join(repr(entries[i].text) for i in starts)
        blocks[starts[0]] = Noted(blocks[starts[0]], Msg(
            "{labels} kept as labels with the text after them: that text is not what the "
            "field holds (or not in an order the section can print)", labels=kept))
    return blocks, {}, {}, []


def _fields(entries: list[Any], doc_type: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The entries as labelled fields, or None when they do not fit."""
    groups: list[tuple[str, str, list[Any]]] = []
    for entry in entries:
        key = field_of(entry) if isinstance(entry, Unit) else None
        if key is not None:
            groups.append((key, entry.text.strip(), []))
        elif isinstance(entry, Unit):
            groups[-1][2].append({"label": entry.text})  # another label: a block
        else:
            groups[-1][2].append(entry)
    groups = _split_sub_goals(groups)
    fields: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for key, label, values in groups:
        if key in fields or not values:
            return None
        value = _value(key, values, fields)
        if value is None:
            return None
        fields[key] = value
        default = _default_label(key, value, doc_type)
        if default is not None and label != default:
            labels[key] = label
    return fields, labels


def _split_sub_goals(groups: list[tuple[str, str, list[Any]]]) -> list[tuple[str, str,
                                                                            list[Any]]]:
    """"Delmål 1: …" paragraphs after the goals are the sub-goals."""
    out = []
    for key, label, values in groups:
        if key == "goals":
            at = next((i for i, v in enumerate(values) if isinstance(v, str)
                       and _SUB_GOAL.match(v)), None)
            if at is not None and at > 0:
                out.append((key, label, values[:at]))
                out.append(("sub_goals", "", values[at:]))
                continue
        out.append((key, label, values))
    return out


def _value(key: str, values: list[Any], fields: dict[str, Any]) -> Any:
    if key in BLOCK_FIELDS:
        return values
    if key == "sub_goals":
        return _sub_goals(values)
    if key in TEXT_FIELDS:
        return values if all(isinstance(v, str) for v in values) else None
    if key == "follow_up":
        block = plain(values[0]) if len(values) == 1 else None
        if isinstance(block, dict) and list(block) == ["bullets"]:
            return block["bullets"]
        return None
    # goals: paragraphs, or one numbered list
    block = plain(values[0]) if len(values) == 1 else None
    if isinstance(block, dict) and list(block) == ["numbered"]:
        fields["goals_numbered"] = True
        return block["numbered"]
    if all(_is_item(v) for v in values):
        return values
    return None


def _is_item(value: Any) -> bool:
    value = plain(value)
    return isinstance(value, str) or (isinstance(value, dict) and "text" in value and
                                      set(value) <= {"text", "footnote"})


def _sub_goals(values: list[Any]) -> list[str] | None:
    out = []
    for n, value in enumerate(values, start=1):
        if not isinstance(value, str):
            return None
        match = _SUB_GOAL.match(value)
        if match and int(match.group(1)) != n:
            return None
        text = value[match.end():] if match else re.sub(r"^\d{1,2}[.)]\s+", "", value)
        if not text.strip():
            return None
        out.append(text)
    return out


def _default_label(key: str, value: Any, doc_type: str) -> str | None:
    if key == "sub_goals":
        return None
    if key == "commitments":
        return "Åtaganden:" if len(value) > 1 else "Åtagande:"
    if key == "methods" and doc_type == "appendices":
        return "Tillvägagångssätt:"
    return DEFAULT_LABELS[key]
