"""Units to sections: list items joined into lists, heading levels inferred for
headings made by direct formatting, sections nested by level, numbered where
avtalsgen's numbering prints the same numbers the document showed, and labelled
fields (Mål:, Ansvarig: …) filled where the order and kinds allow."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..messages import Msg
from .word_body import Unit
from .word_fields import entries_to_blocks, section_fields
from .word_styles import Numbering
from .word_yaml import Noted


@dataclass
class Node:
    unit: Unit | None
    level: int
    entries: list[Any] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    page_break: bool = False
    path: list[int] | None = None  # numbered by avtalsgen: its counters, e.g. [6, 1]
    number_sections: bool = False
    numbering: dict[str, Any] = field(default_factory=dict)


@dataclass
class Built:
    preamble: list[Any]
    sections: list[dict[str, Any]]
    notes: list[Msg]
    headings: int = 0
    number_sections: bool = False  # the document's sections, as numbered sub-sections are
    numbering: dict[str, Any] = field(default_factory=dict)


class Sections:
    def __init__(self, units: list[Unit], numbering: Numbering, doc_type: str,
                 sink: Any, toc: tuple[int, bool] | None = None) -> None:
        self.units = units
        self.toc = toc  # (levels listed, by entry) of the document's contents
        self.numbering = numbering
        self.doc_type = doc_type
        self.sink = sink  # turns tables, charts and signatures into blocks
        self.notes: list[Msg] = []

    def build(self) -> Built:
        headings = [u for u in self.units if u.kind == "heading"]
        self.shown_numbers(headings)
        self.levels(headings)
        root = self.tree(self.entries())
        self.number(root)
        sections = [self.section(child) for child in root.children]
        preamble = entries_to_blocks(root.entries)
        return Built(preamble, sections, self.notes, len(headings), root.number_sections,
                     dict(root.numbering))

    # -- numbers and levels --------------------------------------------------------
    def shown_numbers(self, headings: list[Unit]) -> None:
        """The number Word shows before each numbered heading, counted in order."""
        for unit in headings:
            if unit.num is not None and not unit.typed:
                shown, _counters = self.numbering.count(*unit.num)
                unit.number = shown.strip() or None

    def levels(self, headings: list[Unit]) -> None:
        """Levels of headings made by formatting, then no level skipped anywhere."""
        direct = [h for h in headings if not h.styled]
        by_key, offset = _key_levels(direct)
        last_styled = 0
        for h in headings:
            if h.styled:
                last_styled = h.level
            elif last_styled and not _depth(h):
                h.level = last_styled + 1  # a larger line among styled headings
            else:
                h.level = offset + _depth(h) if _depth(h) else by_key[_key(h)]
        previous = 0
        skipped = False
        for h in headings:
            if h.level > previous + 1:
                h.level = previous + 1
                skipped = True
            previous = h.level
        if skipped:
            self.notes.append(Msg("the document skips heading levels; the headings are "
                                  "nested one level at a time"))

    # -- entries -------------------------------------------------------------------
    def entries(self) -> list[Any]:
        """Units as entries: headings and labels stay units; the rest become blocks,
        consecutive list items one list."""
        out: list[Any] = []
        i = 0
        while i < len(self.units):
            unit = self.units[i]
            if unit.kind == "item":
                j = i + 1
                while j < len(self.units) and _continues(self.units[j - 1], self.units[j]):
                    j += 1
                out.extend(self.list_block(self.units[i:j]))
                i = j
                continue
            if unit.kind in ("heading", "label"):
                out.append(unit)
            elif unit.kind == "table":
                out.append(self.noted(self.sink.table(unit.data, unit.text or None), unit))
            elif unit.kind == "chart":
                out.append(self.noted(self.sink.chart(unit.data), unit))
            elif unit.kind == "signatures":
                out.extend(self.sink.signatures(unit.data))
            elif unit.kind == "none":
                self.notes.extend(unit.notes)
            else:
                out.append(self.noted(unit.data, unit))
            i += 1
        return out

    def noted(self, block: Any, unit: Unit) -> Any:
        for note in unit.notes:
            block = Noted(block, note)
        return block

    def list_block(self, items: list[Unit]) -> list[Any]:
        kind = items[0].list_key[0]
        typed = items[0].list_key[1] == "typed"
        if kind == "numbered" and typed and items[0].list_key[2] != 1:
            # Numbers that do not start at 1 (a list continued after a paragraph) cannot
            # be printed by a numbered block: kept as typed.
            return [self.noted(_typed_again(u), u) for u in items]
        styles = {_item_style(u.data) for u in items}
        values = [_item(u.data) for u in items]
        block: dict[str, Any] = {"bullets" if kind == "bullet" else "numbered": values}
        if kind == "bullet" and len(styles) == 1 and styles != {"normal"}:
            block["style"] = styles.pop()
        out: Any = block
        if any(u.nested for u in items):
            out = Noted(out, Msg("a list with sub-levels was made one level"))
        for unit in items:
            for note in unit.notes:
                out = Noted(out, note)
        return [out]

    # -- the tree ------------------------------------------------------------------
    def tree(self, entries: list[Any]) -> Node:
        root = Node(None, 0)
        stack = [root]
        for entry in entries:
            if not isinstance(entry, Unit) or entry.kind != "heading":
                stack[-1].entries.append(entry)
                continue
            current = stack[-1]
            if _is_problem(entry) and current.unit is not None and entry.level > \
                    current.level and not current.children:
                current.entries.append(entry)
                continue
            page_break = bool(current.entries) and _is_page_break(current.entries[-1])
            if page_break:
                current.entries.pop()
            while stack[-1].level >= entry.level:
                stack.pop()
            node = Node(entry, entry.level, page_break=page_break)
            stack[-1].children.append(node)
            stack.append(node)
        return root

    def number(self, node: Node) -> None:
        """Decide, children first in document order, which groups avtalsgen numbers."""
        self.number_children(node)
        for child in node.children:
            self.number(child)

    def number_children(self, node: Node) -> None:
        children = node.children
        numbered = [c for c in children if c.unit and c.unit.number]
        if not numbered:
            return
        first = children.index(numbered[0])
        lead = children[:first]
        # The document's own sections are numbered too (number_sections on the
        # document), when every one of them is: nothing unnumbered leads them.
        if (node.unit is None and first) or len(numbered) != len(children) - first or \
                not all(not c.children and not _has_labels(c) for c in lead):
            self.keep_numbers(numbered)
            return
        shown = [c.unit.number or "" for c in numbered]  # type: ignore[union-attr]
        plan = _plan(shown, node.path)
        if plan is None:
            self.keep_numbers(numbered)
            return
        fmt, start, nested = plan
        for child in lead:  # unnumbered before the numbered: sub-headings in the content
            assert child.unit is not None
            if child.page_break:
                node.entries.append({"page_break": True})
            node.entries.append({"heading": child.unit.text})
            node.entries.extend(child.entries)
        node.children = numbered
        node.number_sections = True
        if fmt != "{n}." and not nested:
            node.numbering["format"] = fmt
        if start != 1 and not nested:
            node.numbering["start"] = start
        for k, child in enumerate(numbered):
            assert child.unit is not None
            child.path = [*(node.path or []), k + 1] if nested else [start + k]
            if child.unit.typed:
                child.unit.text = child.unit.text[len(child.unit.number or ""):].strip()

    def keep_numbers(self, children: list[Node]) -> None:
        """Numbers avtalsgen cannot reproduce stay in the heading's text."""
        for child in children:
            unit = child.unit
            assert unit is not None
            if not unit.typed and unit.number:
                unit.text = f"{unit.number} {unit.text}"
                unit.typed = True
                unit.notes.append(Msg("the heading's number {number!r} (Word numbering) is "
                                      "now typed in its text", number=unit.number))

    # -- sections ------------------------------------------------------------------
    def section(self, node: Node) -> Any:
        unit = node.unit
        assert unit is not None
        sec: dict[str, Any] = {"heading": unit.text}
        if node.number_sections:
            sec["number_sections"] = True
        if node.numbering:
            sec["numbering"] = dict(node.numbering)
        if self.toc and self.toc[1] and unit.toc_entry != (node.level <= self.toc[0]):
            sec["in_toc"] = unit.toc_entry  # the contents list chosen headings
        if node.page_break:
            sec["page_break_before"] = True
        content, fields, labels, notes = section_fields(node.entries, self.doc_type)
        if content:
            sec["content"] = content
        sec.update(fields)
        if labels:
            sec["labels"] = labels
        if node.children:
            sec["sections"] = [self.section(child) for child in node.children]
        out: Any = sec
        for note in [*unit.notes, *notes]:
            out = Noted(out, note)
        return out


def _key_levels(direct: list[Unit]) -> tuple[dict[tuple[float, bool], int], int]:
    """The level of each look (size, bold) of heading, and how many looks rank above
    the first numbered one. Typed numbers ("1.", "2.1") give levels below those
    unnumbered, larger headings; unnumbered looks take their rank."""
    keys = sorted({_key(h) for h in direct}, key=lambda k: (-k[0], not k[1]))
    depths: dict[tuple[float, bool], int] = {}
    for h in direct:
        if _depth(h):
            depths[_key(h)] = min(depths.get(_key(h), 99), _depth(h))
    first = next((i for i, k in enumerate(keys) if k in depths), len(keys))
    levels = {k: i + 1 for i, k in enumerate(keys[:first])}
    for k in keys[first:]:
        above = [levels[a] for a in keys[:keys.index(k)] if a in levels]
        levels[k] = first + depths[k] if k in depths else max(above, default=0) + 1
    return levels, first


def _key(h: Unit) -> tuple[float, bool]:
    return (round(h.size * 2) / 2, h.bold)


def _depth(h: Unit) -> int:
    if h.typed and h.number:
        return len([x for x in h.number.split(".") if x])
    if h.num is not None:
        return h.num[1] + 1
    return 0


def _continues(a: Unit, b: Unit) -> bool:
    if b.kind != "item" or a.kind != "item":
        return False
    if a.list_key[:2] != b.list_key[:2]:
        return False
    if a.list_key[1] == "typed" and a.list_key[0] == "numbered":
        return b.list_key[2] == a.list_key[2] + 1
    return True


def _typed_again(unit: Unit) -> Any:
    """A typed list item as the paragraph it was, its number and all."""
    prefix = unit.raw[:len(unit.raw) - len(unit.text)]
    if isinstance(unit.data, dict):
        return {**unit.data, "text": prefix + unit.data["text"]}
    return prefix + unit.data


def _item(data: Any) -> Any:
    if isinstance(data, dict):
        rest = {k: v for k, v in data.items() if k != "style"}
        return rest["text"] if list(rest) == ["text"] else rest
    return data


def _item_style(data: Any) -> str:
    return data.get("style", "normal") if isinstance(data, dict) else "normal"


def _is_problem(unit: Unit) -> bool:
    return re.fullmatch(r"\W*problembild\s*:?", unit.text, re.IGNORECASE) is not None


def _is_page_break(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("page_break") is True


def _has_labels(node: Node) -> bool:
    return any(isinstance(e, Unit) for e in node.entries)


def _plan(shown: list[str], parent_path: list[int] | None) -> tuple[str, int, bool] | None:
    """(format, first number, nested) with which avtalsgen prints exactly these numbers,
    or None. Under a numbered parent the numbers nest ("6.1"); else a format does."""
    if parent_path:
        want = [".".join(map(str, [*parent_path, k])) for k in range(1, len(shown) + 1)]
        return ("{n}.", 1, True) if shown == want else None
    match = list(re.finditer(r"\d+", shown[0]))
    if not match:
        return None
    last = match[-1]
    prefix, suffix = shown[0][:last.start()], shown[0][last.end():]
    start = int(last.group())
    fmt = f"{prefix}{{n}}{suffix}"
    if "%" in fmt or len(fmt) > 40 or "{n}" in prefix + suffix:
        return None
    if shown != [f"{prefix}{start + k}{suffix}" for k in range(len(shown))]:
        return None
    return fmt, start, False
