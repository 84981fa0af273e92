"""The structure of an imported (or hand-written) municipality folder as a set of facts,
and a score of how many expected facts an import produced.

A fact is a tuple whose first item names its kind:

    ("heading", level, text)            a section or sub-heading, level 1 = top
    ("list", "bullets"|"numbered", (item, ...))
    ("table", ((cell, ...), ...))       columns then rows (then a total row), as text
    ("table_source", text)  ("table_title", text)  ("table_total", (value, ...))
    ("table_decimals", n)
    ("measures", ((cause, measure, goal, when, who, follow_up), ...))
    ("field", name, (text, ...))        a labelled field of a section (goals, ...)
    ("party", "kommun"|"polis", name)   ("header_name", party, text)
    ("period", start, end)
    ("signing", place, date)            ("signatory", name, title, party)
    ("image", caption)   ("text", paragraph)   ("toc",)   ("cover_text", text)
    ("header", text)  ("footer", text)  the document's page header/footer texts
    ("flag", topic)                     the import report asks to review this topic

Text is compared with its spaces collapsed; a number as YAML holds it (11.0 is not 11).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FIELDS = ("background", "problem", "goals", "sub_goals", "commitments", "responsible",
          "timeline", "methods", "follow_up")
Fact = tuple[Any, ...]


def norm(value: Any) -> str:
    """A cell or text as compared: spaces collapsed, None as ''."""
    if value is None:
        return ""
    if isinstance(value, dict):  # a TextBlock item
        value = value.get("text", "")
    return re.sub(r"\s+", " ", str(value)).strip()


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8")) if path.exists() else None


def folder_facts(folder: Path, documents: list[str] | None = None,
                 flags: list[str] | None = None) -> set[Fact]:
    """Every fact of a municipality folder (its documents, or those named)."""
    muni = _load(folder / "municipality.yaml") or {}
    stats = (_load(folder / "statistics.yaml") or {}).get("tables") or {}
    facts: set[Fact] = set()
    for party in ("kommun", "polis"):
        info = muni.get(party) or {}
        if info.get("name"):
            facts.add(("party", party, norm(info["name"])))
        if info.get("header_name"):
            facts.add(("header_name", party, norm(info["header_name"])))
    if muni.get("period"):
        facts.add(("period", muni["period"].get("start"), muni["period"].get("end")))
    signing = muni.get("signing") or {}
    if signing.get("place") or signing.get("date") or signing.get("place_text"):
        day = signing.get("date")
        facts.add(("signing", norm(signing.get("place") or signing.get("place_text")),
                   day.isoformat() if isinstance(day, dt.date) else norm(day)))
    for person in signing.get("signatories") or []:
        facts.add(("signatory", norm(person.get("name")), norm(person.get("title")),
                   person.get("party")))
    for name in documents if documents is not None else muni.get("documents") or []:
        doc = _load(folder / f"{name}.yaml") or {}
        facts |= document_facts(doc, stats)
    for table in stats.values():
        facts |= table_facts(table)
    facts |= {("flag", topic) for topic in flags or []}
    return facts


def document_facts(doc: dict[str, Any], stats: dict[str, Any]) -> set[Fact]:
    facts: set[Fact] = set()
    if doc.get("toc"):
        facts.add(("toc",))
    for block in doc.get("cover") or []:
        if isinstance(block, (str, dict)) and norm(block):
            facts.add(("cover_text", norm(block if isinstance(block, str)
                                          else block.get("text"))))
    for key in ("header", "footer"):
        for text in _texts(doc.get(key)):
            facts.add((key, norm(text)))
    _blocks(doc.get("cover") or [], 1, facts, stats)
    _blocks(doc.get("closing") or [], 1, facts, stats)
    for section in doc.get("sections") or []:
        _section(section, 1, facts, stats)
    return facts


def _texts(value: Any) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    return [value] if isinstance(value, str) else [norm(v) for v in value]


def _section(section: dict[str, Any], level: int, facts: set[Fact],
             stats: dict[str, Any]) -> None:
    facts.add(("heading", level, norm(section.get("heading"))))
    for key in ("content", "background", "problem", "methods"):
        _blocks(section.get(key) or [], level + 1, facts, stats)
    for key in FIELDS:
        items = section.get(key)
        if items:
            facts.add(("field", key, tuple(norm(i) for i in items)))
    for sub in section.get("sections") or []:
        _section(sub, level + 1, facts, stats)


def _blocks(blocks: list[Any], level: int, facts: set[Fact], stats: dict[str, Any]) -> None:
    for block in blocks:
        if isinstance(block, str):
            facts.add(("text", norm(block)))
        elif not isinstance(block, dict):
            continue
        elif "text" in block and "clause" not in block:
            facts.add(("text", norm(block["text"])))
        elif "heading" in block:
            facts.add(("heading", level, norm(block["heading"])))
        elif "bullets" in block or "numbered" in block:
            kind = "bullets" if "bullets" in block else "numbered"
            facts.add(("list", kind, tuple(norm(i) for i in block[kind])))
        elif "table" in block and isinstance(block["table"], str):
            table = stats.get(block["table"])
            if table:
                facts |= table_facts(table)
        elif "measures" in block:
            facts |= measures_facts(block["measures"])
        elif "image" in block:
            facts.add(("image", norm(block["image"].get("caption"))))


def table_facts(table: dict[str, Any]) -> set[Fact]:
    rows = [tuple(norm(c) for c in table.get("columns") or [])]
    rows += [tuple(norm(c) for c in row) for row in table.get("rows") or []]
    facts: set[Fact] = {("table", tuple(rows))}
    if table.get("source"):
        facts.add(("table_source", norm(table["source"])))
    if table.get("decimals") is not None:
        facts.add(("table_decimals", table["decimals"]))
    if table.get("title"):
        facts.add(("table_title", norm(table["title"])))
    total = table.get("total")
    if total:
        facts.add(("table_total", tuple(norm(v) for v in total.get("values") or [])))
    return facts


def measures_facts(measures: dict[str, Any]) -> set[Fact]:
    rows = []
    for cause in measures.get("causes") or []:
        for measure in cause.get("measures") or []:
            rows.append((norm(cause.get("cause")), norm(measure.get("measure")),
                         norm(measure.get("goal")), norm(measure.get("when")),
                         norm(measure.get("who")), norm(measure.get("follow_up"))))
    return {("measures", tuple(rows))}


@dataclass
class Score:
    """Expected facts found, unwanted facts absent."""

    expected: int = 0
    met: int = 0
    missing: list[Fact] = field(default_factory=list)
    unwanted: list[Fact] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.expected += other.expected
        self.met += other.met
        self.missing += other.missing
        self.unwanted += other.unwanted

    @property
    def ratio(self) -> float:
        return self.met / self.expected if self.expected else 1.0


def compare(found: set[Fact], expect: list[Fact], absent: list[Fact]) -> Score:
    score = Score(expected=len(expect) + len(absent))
    for fact in expect:
        if _has(found, fact):
            score.met += 1
        else:
            score.missing.append(fact)
    for fact in absent:
        if _has(found, fact):
            score.unwanted.append(fact)
        else:
            score.met += 1
    return score


def _has(found: set[Fact], fact: Fact) -> bool:
    """A fact is there as written; ("text", x) also matches a paragraph holding x."""
    if fact in found:
        return True
    if fact[0] in ("text", "cover_text", "any_text"):
        return any(f[0] in ("text", "cover_text") and fact[-1] in f[-1] for f in found)
    if fact[0] == "heading_text":  # a heading at any level
        return any(f[0] == "heading" and f[2] == fact[1] for f in found)
    return False
