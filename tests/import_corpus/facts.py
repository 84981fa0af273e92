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
    ("period", start, end)              ("validity", start, end)  a document's own dates
    ("signing", place, date)            ("signatory", name, title, party)
    ("chart", kind, caption, ((series, ((category, value), ...)), ...))
    ("image", caption)   ("text", paragraph)   ("toc",)   ("cover_text", text)
    ("header", text)  ("footer", text)  the document's page header/footer texts
    ("flag", topic)                     the import report asks to review this topic

Text is compared with its spaces collapsed; a number as YAML holds it (11.0 is not 11).
The facts are what the documents print: a clause block counts as its paragraphs, an
organisation group as its heading, text and members, an appendix as its sections
under "Bilaga N …", a total without values as its sums (see _Printed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from avtalsgen import model as m

FOOTNOTE_MARK = "{fotnot}"
FIELDS = ("background", "problem", "goals", "sub_goals", "commitments", "responsible",
          "timeline", "methods", "follow_up")
Fact = tuple[Any, ...]


def norm(value: Any) -> str:
    """A cell or text as compared: spaces collapsed, None as ''. A footnote mark at the
    end of a text is where a footnote goes anyway (context._with_footnote): dropped."""
    if value is None:
        return ""
    if isinstance(value, dict):  # a TextBlock item
        value = value.get("text", "")
    text = re.sub(r"\s+", " ", str(value)).strip()
    return text[:-len(FOOTNOTE_MARK)].rstrip() if text.endswith(FOOTNOTE_MARK) else text


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8")) if path.exists() else None


def folder_facts(folder: Path, documents: list[str] | None = None,
                 flags: list[str] | None = None) -> set[Fact]:
    """Every fact of a municipality folder (its documents, or those named): what the
    documents print. The municipality's signing counts where a document prints its
    signatures, a statistics table where a document shows it; a folder without
    documents (a spreadsheet imported on its own) shows all of them."""
    muni = _load(folder / "municipality.yaml") or {}
    stats = (_load(folder / "statistics.yaml") or {}).get("tables") or {}
    names = documents if documents is not None else muni.get("documents") or []
    facts: set[Fact] = set()
    for party in ("kommun", "polis"):
        info = muni.get(party) or {}
        if info.get("name"):
            facts.add(("party", party, norm(info["name"])))
        if info.get("header_name"):
            facts.add(("header_name", party, norm(info["header_name"])))
    if muni.get("period"):
        facts.add(("period", muni["period"].get("start"), muni["period"].get("end")))
    printed = _Printed(folder, muni, stats)
    for name in names:
        facts |= printed.document(name)
    if printed.signatures or not names:
        facts |= signing_facts(muni.get("signing") or {})
    if not names:
        for table in stats.values():
            facts |= table_facts(table)
    facts |= {("flag", topic) for topic in flags or []}
    return facts


def signing_facts(signing: dict[str, Any]) -> set[Fact]:
    facts: set[Fact] = set()
    if signing.get("place") or signing.get("date") or signing.get("place_text"):
        day = signing.get("date")
        facts.add(("signing", norm(signing.get("place") or signing.get("place_text")),
                   day.isoformat() if isinstance(day, dt.date) else norm(day)))
    for person in signing.get("signatories") or []:
        facts.add(("signatory", norm(person.get("name")), norm(person.get("title")),
                   person.get("party")))
    return facts


def document_facts(doc: dict[str, Any], stats: dict[str, Any]) -> set[Fact]:
    """The facts of one document read on its own (no municipality: clauses and groups
    as their keys)."""
    return _Printed(None, {}, stats).facts_of(doc)


class _Printed:
    """The facts of documents as they print: a clause block as its paragraphs (rendered
    with the municipality's names, as context.py does), an organisation group as its
    heading, mandate, members and reporting, an appendix as "Bilaga N <title>" over its
    sections one level down. Each of these is written one way by hand and may come back
    from Word the other way (a clause the importer cannot render without the kommun's
    demonym, a group as sub-sections); what prints is the same."""

    def __init__(self, folder: Path | None, muni: dict[str, Any],
                 stats: dict[str, Any]) -> None:
        self.folder, self.muni, self.stats = folder, muni, stats
        self.statistics = _statistics(folder)
        self.signatures = False
        self.doc: dict[str, Any] = {}

    def document(self, name: str) -> set[Fact]:
        assert self.folder is not None
        return self.facts_of(_load(self.folder / f"{name}.yaml") or {})

    def facts_of(self, doc: dict[str, Any]) -> set[Fact]:
        self.doc = doc
        facts: set[Fact] = set()
        if doc.get("toc"):
            facts.add(("toc",))
        validity = doc.get("validity") or {}
        if validity:
            facts.add(("validity", str(validity.get("start")), str(validity.get("end"))))
        if doc.get("title_page", True):  # without a title page the cover is the text
            for block in doc.get("cover") or []:
                if isinstance(block, (str, dict)) and norm(block):
                    facts.add(("cover_text", norm(block if isinstance(block, str)
                                                  else block.get("text"))))
        for key in ("header", "footer"):
            for text in _texts(doc.get(key)):
                facts.add((key, norm(text)))
        self.blocks(doc.get("cover") or [], 1, facts)
        self.blocks(doc.get("closing") or [], 1, facts)
        for section in doc.get("sections") or []:
            self.section(section, 1, facts)
        for n, name in enumerate(doc.get("appendices") or [], start=1):
            appendix = _load(self.folder / f"{name}.yaml") if self.folder else None
            if not appendix:
                facts.add(("appendix", name))
                continue
            facts.add(("heading", 1, norm(f"Bilaga {n} {appendix.get('title')}")))
            self.doc = appendix
            self.blocks(appendix.get("cover") or [], 2, facts)
            for section in appendix.get("sections") or []:
                self.section(section, 2, facts)
            self.blocks(appendix.get("closing") or [], 3, facts)
        return facts

    def section(self, section: dict[str, Any], level: int, facts: set[Fact]) -> None:
        facts.add(("heading", level, norm(section.get("heading"))))
        for key in ("content", "background", "problem", "methods"):
            self.blocks(section.get(key) or [], level + 1, facts)
        for key in FIELDS:
            items = section.get(key)
            if items:
                facts.add(("field", key, tuple(norm(i) for i in self.expanded(items))))
        for sub in section.get("sections") or []:
            self.section(sub, level + 1, facts)

    def expanded(self, blocks: list[Any]) -> list[Any]:
        """Blocks with each clause as its paragraphs."""
        out: list[Any] = []
        for block in blocks:
            clause = self.clause(block) if isinstance(block, dict) else None
            out += [block] if clause is None else clause
        return out

    def clause(self, block: dict[str, Any]) -> list[str] | None:
        if "clause" not in block:
            return None
        if block.get("text") is not None:
            return list(block["text"])
        from avtalsgen import clauses
        from avtalsgen import model as m

        try:
            muni = m.Municipality.model_validate(self.muni)
            doc = m.Document.model_validate(self.doc)
            params = {**clauses.base_params(muni, doc), **(block.get("params") or {})}
            return clauses.render_clause(clauses.load_library()[block["clause"]], params)
        except Exception:  # no municipality or an unknown clause: compared by its key
            return [f"clause: {block['clause']}"]

    def blocks(self, blocks: list[Any], level: int, facts: set[Fact]) -> None:
        for block in self.expanded(blocks):
            if isinstance(block, str):
                facts.add(("text", norm(block)))
            elif not isinstance(block, dict):
                continue
            elif "text" in block:
                facts.add(("text", norm(block["text"])))
            elif "heading" in block:
                facts.add(("heading", level, norm(block["heading"])))
            elif "bullets" in block or "numbered" in block:
                kind = "bullets" if "bullets" in block else "numbered"
                facts.add(("list", kind, tuple(norm(i) for i in block[kind])))
            elif "table" in block and isinstance(block["table"], str):
                table = self.stats.get(block["table"])
                if table:
                    facts |= table_facts(table, block.get("caption"))
            elif "chart" in block:
                facts |= chart_facts(block["chart"], self.stats)
            elif "indicators" in block:  # a line chart per indicator, as it prints
                facts |= indicator_facts(block["indicators"], self.statistics)
            elif "measures" in block:
                facts |= measures_facts(block["measures"], self.statistics)
            elif "image" in block:
                facts.add(("image", norm(block["image"].get("caption"))))
            elif "group" in block:
                self.group(block["group"], level, facts)
            elif "signatures" in block:
                self.signatures = True

    def group(self, key: str, level: int, facts: set[Fact]) -> None:
        group = (self.muni.get("organisation") or {}).get(key)
        if not group:
            facts.add(("group", key))
            return
        facts.add(("heading", level, norm(group.get("heading") or group.get("name"))))
        self.blocks(group.get("mandate") or [], level + 1, facts)
        if group.get("members"):
            if group.get("members_intro"):
                facts.add(("text", norm(group["members_intro"])))
            facts.add(("list", "bullets", tuple(norm(i) for i in group["members"])))
        self.blocks(group.get("reporting") or [], level + 1, facts)


def _texts(value: Any) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    return [value] if isinstance(value, str) else [norm(v) for v in value]


def chart_facts(chart: dict[str, Any], stats: dict[str, Any]) -> set[Fact]:
    """A chart as it shows: its kind, caption and series, each a name over (category,
    value) pairs. The table's first column heading prints nowhere in a chart, and a
    table read by columns (series: columns) shows what its transpose read by rows does."""
    table = stats.get(chart.get("table")) or {}
    columns = [norm(c) for c in table.get("columns") or []]
    rows = [[norm(c) for c in row] for row in table.get("rows") or []]
    if chart.get("series") == "columns":
        series = tuple((columns[j], tuple((row[0], row[j]) for row in rows))
                       for j in range(1, len(columns)))
    else:
        series = tuple((row[0], tuple(zip(columns[1:], row[1:], strict=False)))
                       for row in rows)
    return {("chart", chart.get("kind"), norm(chart.get("caption")), series)}


def indicator_facts(names: list[str], statistics: Any) -> set[Fact]:
    """An indicators block's charts (avtalsgen.followup.charts_of), each as a chart."""
    from avtalsgen.followup import charts_of

    facts: set[Fact] = set()
    for chart, table in charts_of(list(names) or list(statistics.indicators), statistics):
        facts |= chart_facts(chart.model_dump(), {chart.table: table.model_dump()})
    return facts


def table_facts(table: dict[str, Any], caption: str | None = None) -> set[Fact]:
    """A table's cells, source, decimals, total and the one title it prints: the table
    block's numbered caption where it has one (then the table's title does not print)."""
    rows = [tuple(norm(c) for c in table.get("columns") or [])]
    rows += [tuple(norm(c) for c in row) for row in table.get("rows") or []]
    facts: set[Fact] = {("table", tuple(rows))}
    if table.get("source"):
        facts.add(("table_source", norm(table["source"])))
    if table.get("decimals") is not None:
        facts.add(("table_decimals", table["decimals"]))
    if caption or table.get("title"):
        facts.add(("table_title", norm(caption or table["title"])))
    total = table.get("total")
    if total:
        values = total.get("values") or _sums(table)
        facts.add(("table_total", tuple(norm(v) for v in values)))
    return facts


def _sums(table: dict[str, Any]) -> list[Any]:
    """A total without values prints its column sums (context.table_item)."""
    from avtalsgen import model as m

    try:
        sums = m.Table.model_validate(table).column_sums()
    except Exception:
        return []
    return [round(v, 9) if isinstance(v, float) else v for v in sums]


def _statistics(folder: Path | None) -> Any:
    """The folder's statistics as the model reads them (indicators too), or none."""
    try:
        data = _load(folder / "statistics.yaml") if folder is not None else None
        return m.Statistics.model_validate(data or {})
    except Exception:
        return m.Statistics()


def measures_facts(measures: dict[str, Any], statistics: Any = None) -> set[Fact]:
    """Brå's table as it prints: the Mål, Vem and Uppföljning cells hold, besides the
    text given, the measure's indicator, owner and progress (avtalsgen.indicators), which
    an import reads back as text or as fields; either way the printed cells compare."""
    from avtalsgen import indicators

    stats = statistics if statistics is not None else m.Statistics()
    rows = []
    for cause in measures.get("causes") or []:
        for measure in cause.get("measures") or []:
            try:
                model = m.Measure.model_validate(measure)
            except Exception:  # not valid: compare the text as written
                goal, who, follow = (measure.get(k) for k in ("goal", "who", "follow_up"))
            else:
                goal = indicators.goal_text(model, stats)
                who = indicators.who_text(model)
                follow = indicators.follow_up_text(model)
            rows.append((norm(cause.get("cause")), norm(measure.get("measure")),
                         norm(goal), norm(measure.get("when")), norm(who), norm(follow)))
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
