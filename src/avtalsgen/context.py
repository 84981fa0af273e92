"""Stage 3: a validated model becomes the template context.

The structure of a document (sections, numbering, labels, clauses, organisation
groups, appendices) is flattened here into one list of `body` items, each a
plain dict with a `kind`. The templates then need a single loop that lays out
each kind with a named Word style: structure is data, layout is the template.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from . import clauses as clause_library
from . import followup, indicators
from . import model as m
from .captions import AXIS_NOT_FROM_ZERO as AXIS_NOT_FROM_ZERO
from .captions import CHART_NAMES, SAMPLE_MARK, Numbering, chart_notes, sample_notes
from .formatting import datum_kort, period, procent, tal
from .signatures import signatures_item

Item = dict[str, Any]

# Where the author wants the footnote reference: "… arbete{fotnot} och …".
FOOTNOTE_MARK = "{fotnot}"
MAX_HEADING_LEVEL = 4

DEFAULT_LABELS = {
    "background": "Bakgrund:",
    "problem": "Problembild",
    "goals": "Mål:",
    "responsible": "Ansvarig:",
    "timeline": "Tidplan:",
    "methods": "Metod:",
    "follow_up": "Uppföljning:",
}
# In appendices (bilagor), a measure's method is its "Tillvägagångssätt".
APPENDIX_LABELS = {"methods": "Tillvägagångssätt:"}
MEASURE_COLUMNS = ["Orsak", "Åtgärd", "Operativa mål", "När", "Vem", "Uppföljning"]
# Status is written out as a word as well as a fill: never colour alone.
STATUS = {"green": ("Grön", "C6EFCE"), "yellow": ("Gul", "FFEB9C"), "red": ("Röd", "FFC7CE")}


# What templates may use: the top-level names and every field of every item.
CONTEXT_NAMES = frozenset({"doc", "kommun", "polis", "period", "body", "footnotes", "draft",
                           "logo", "numberings", "header", "approvals"})
CONTEXT_ATTRIBUTES = frozenset({
    # doc
    "name", "type", "title", "subtitle", "adopted", "title_page",
    # kommun, polis (and demonym)
    "short_name", "header", "demonym", "indefinite", "definite",
    # draft
    "version", "date",
    # body items (kind: heading, paragraph, label, bullet, numbered, table, chart,
    # signatures, toc, page_break)
    "kind", "level", "text", "style", "footnote", "number", "id", "columns", "rows",
    "total", "notes", "text_table", "fills", "weights", "xml", "chart", "table",
    "caption", "alt", "image", "place_date", "parties", "last", "signatories", "entries",
    "levels", "dotted",
    "num", "label", "caption_text", "caption_xml", "file", "width", "in_toc", "footnote_at",
    "column_styles", "title_first", "path", "by_entry", "toc_entry",
    # signatories, footnotes
    "party",
})


class _Builder:
    """Collects body items for one document, numbering charts and footnotes."""

    def __init__(self, muni: m.Municipality, stats: m.Statistics) -> None:
        self.muni = muni
        self.stats = stats
        self.items: list[Item] = []
        self.floats = Numbering()  # Figur 1…n, Tabell 1…n
        self.footnote_count = 0
        # Word numbering instances (w:num): kind "headings" or "list", format, start.
        self.numberings: list[Item] = []
        self.last_group: tuple[Item, int, str] | None = None  # for numbering: continue
        self.library = clause_library.load_library()

    # -- primitives ----------------------------------------------------------------
    def heading(self, text: str, level: int, number: str | None = None,
                num: Item | None = None, in_toc: bool | None = None) -> None:
        self.items.append({"kind": "heading", "level": min(level, MAX_HEADING_LEVEL),
                           "text": text, "number": number, "num": num, "in_toc": in_toc})

    def new_numbering(self, kind: str, fmt: str = "{n}.", start: int = 1) -> int:
        self.numberings.append({"kind": kind, "format": fmt, "start": start})
        return len(self.numberings)  # w:numId, from 1

    def paragraph(self, text: str, style: str = "normal",
                  footnote: str | None = None) -> None:
        self.items.append(self._with_footnote(
            {"kind": "paragraph", "style": style, "text": text}, footnote))

    def _with_footnote(self, item: Item, footnote: str | None) -> Item:
        """The footnote reference goes where the text says {fotnot}, else at its end."""
        item["footnote"] = self._footnote(footnote)
        if footnote is not None and FOOTNOTE_MARK in item["text"]:
            item["footnote_at"] = item["text"].index(FOOTNOTE_MARK)
            item["text"] = item["text"].replace(FOOTNOTE_MARK, "", 1)
        return item

    def _footnote(self, text: str | None) -> Item | None:
        if text is None:
            return None
        self.footnote_count += 1
        return {"id": self.footnote_count, "text": text}

    def label(self, text: str) -> None:
        self.items.append({"kind": "label", "text": text})

    def list_items(self, items: list[m.Item], kind: str, style: str = "normal") -> None:
        num_id = self.new_numbering("list") if kind == "numbered" else None
        for n, item in enumerate(items, start=1):
            text, footnote = (item, None) if isinstance(item, str) else (item.text,
                                                                         item.footnote)
            entry = self._with_footnote({"kind": kind, "text": text, "style": style},
                                        footnote)
            if kind == "numbered":
                entry["number"] = f"{n}."
                entry["num"] = {"id": num_id, "level": 0}
            self.items.append(entry)

    # -- blocks --------------------------------------------------------------------
    def blocks(self, blocks: list[Any], level: int, doc: m.Document | None) -> None:
        for block in blocks:
            self.block(block, level, doc)

    def block(self, block: Any, level: int, doc: m.Document | None) -> None:
        if isinstance(block, str):
            self.paragraph(block)
        elif isinstance(block, m.TextBlock):
            self.paragraph(block.text, block.style, block.footnote)
        elif isinstance(block, m.HeadingBlock):
            self.heading(block.heading, level + 1, in_toc=block.in_toc)
        elif isinstance(block, m.BulletsBlock):
            self.list_items(block.bullets, "bullet", block.style)
        elif isinstance(block, m.NumberedBlock):
            self.list_items(block.numbered, "numbered")
        elif isinstance(block, m.LabelBlock):
            self.label(block.label)
        elif isinstance(block, m.ClauseBlock):
            if block.text is not None:
                paragraphs = block.text
            else:
                params = {**clause_library.base_params(self.muni, doc), **block.params}
                paragraphs = clause_library.render_clause(self.library[block.clause], params)
            for text in paragraphs:
                self.paragraph(text)
        elif isinstance(block, m.TableBlock):
            item = table_item(block.table, self.stats.tables[block.table])
            item["column_styles"] = list(block.column_styles)
            if block.caption:
                item.update(self.floats.table(block.caption))
            self.items.append(item)
        elif isinstance(block, m.ChartBlock):
            self.items.append(self.chart(block.chart))
        elif isinstance(block, m.ImageBlock):
            self.picture(block.image)
        elif isinstance(block, m.GroupBlock):
            self.group(getattr(self.muni.organisation, block.group), level, doc)
        elif isinstance(block, m.SignaturesBlock):
            self.items.append(signatures_item(self.muni.signing, {
                "kommun": self.muni.kommun.name, "polis": self.muni.polis.name}))
        elif isinstance(block, m.MeasuresBlock) and doc is not None and doc.type == "follow_up":
            self.items.extend(followup.items(block.measures, self.stats, self.chart))
        elif isinstance(block, m.MeasuresBlock):
            self.items.append(measures_item(block.measures, self.stats))
        elif isinstance(block, m.PageBreakBlock):
            self.items.append({"kind": "page_break"})
        elif isinstance(block, m.IndicatorsBlock):
            names = list(block.indicators) or list(self.stats.indicators)  # []: all
            self.items += [self.chart(c, t) for c, t in followup.charts_of(names, self.stats)]
        else:  # pragma: no cover - the model admits no other block
            raise TypeError(f"unknown block {block!r}")

    def chart(self, chart: m.Chart, table: m.Table | None = None) -> Item:
        """A chart's item, the next figure; table: its data, else the statistics'."""
        table = table or self.stats.tables[chart.table]
        text = chart.caption + (f" {SAMPLE_MARK}" if table.sample_data else "")
        return {
            "kind": "chart",
            "chart": chart.model_dump(),
            "table": table.model_dump(),
            **self.floats.figure(text),
            "shape": CHART_NAMES[chart.kind],  # the picture's name in Word: what it was
            "alt": chart.alt + (f" {SAMPLE_MARK}" if table.sample_data else ""),
            "notes": chart_notes(chart, table),
        }

    def picture(self, image: m.Image) -> None:
        self.items.append({"kind": "picture", "file": image.file, "width": image.width,
                           **self.floats.figure(image.caption), "alt": image.alt,
                           "notes": []})

    def group(self, group: m.Group, level: int, doc: m.Document | None) -> None:
        self.heading(group.heading or group.name, level + 1)
        self.blocks(group.mandate, level + 1, doc)
        if group.members:
            if group.members_intro:
                self.paragraph(group.members_intro)
            self.list_items(group.members, "bullet")
        self.blocks(group.reporting, level + 1, doc)

    # -- sections ------------------------------------------------------------------
    def section(self, sec: m.Section, level: int, number: str | None,
                doc: m.Document, num: Item | None = None) -> None:
        if sec.page_break_before:
            self.items.append({"kind": "page_break"})
        self.heading(sec.heading, level, number, num, sec.in_toc)
        self.blocks(sec.content, level, doc)
        labels = {**DEFAULT_LABELS, **(APPENDIX_LABELS if doc.type == "appendices" else {}),
                  "commitments": "Åtaganden:" if len(sec.commitments) > 1 else "Åtagande:",
                  **{k: v for k, v in sec.labels.model_dump().items() if v is not None}}
        for key in sec.labelled_fields():
            self.labelled(sec, key, labels.get(key, ""), level, doc)
        self.children(sec, level, number, doc, num)

    def labelled(self, sec: m.Section, key: str, label: str, level: int,
                 doc: m.Document) -> None:
        """One labelled field of a section; an empty label prints no label paragraph."""
        values = getattr(sec, key)
        if not values:
            return
        if key == "problem":  # a sub-heading rather than a label
            if label:
                self.heading(label, level + 1)
            self.blocks(sec.problem, level + 1, doc)
            return
        if label and key != "sub_goals":
            self.label(label)
        if key in ("background", "methods"):
            self.blocks(values, level, doc)
        elif key == "goals" and sec.goals_numbered:
            self.list_items(values, "numbered")
        elif key == "follow_up":
            self.list_items(values, "bullet")
        elif key == "sub_goals":
            for n, sub_goal in enumerate(values, start=1):
                self.paragraph(f"Delmål {n}: {sub_goal}")
        else:
            for value in values:
                text, note = (value, None) if isinstance(value, str) else (value.text,
                                                                           value.footnote)
                self.paragraph(text, footnote=note)

    def children(self, sec: m.Section | _TopLevel, level: int, number: str | None, doc: m.Document,
                 num: Item | None) -> None:
        """Sub-sections; numbered ones continue their parent's Word numbering one level
        down ("6." → "6.1"), or start a group of their own under an unnumbered parent."""
        if not sec.number_sections:
            for child in sec.sections:
                self.section(child, level + 1, None, doc)
            return
        nested = bool(num and number)
        if nested:
            assert num is not None
            group = {"id": num["id"], "level": num["level"] + 1}
            first = 1
        else:
            group, first = self.heading_numbering(sec.numbering or m.Numbering())
        fmt = (sec.numbering or m.Numbering()).format
        for i, child in enumerate(sec.sections, start=first):
            # Deeper levels read "6.1" from the numbers alone, as Word's "%1.%2" does.
            path = [*num["path"], i] if nested and num else [i]
            child_number = ".".join(map(str, path)) if nested else fmt.replace("{n}", str(i))
            self.section(child, level + 1, child_number, doc, {**group, "path": path})
        if not nested:
            self.last_group = (group, first + len(sec.sections) - 1, fmt)

    def heading_numbering(self, numbering: m.Numbering) -> tuple[Item, int]:
        """The Word numbering of a group of numbered sections, and its first number."""
        if numbering.continue_ and self.last_group is not None:
            last_num, last, fmt = self.last_group
            if fmt == numbering.format:  # the same list in Word: it counts on
                return last_num, last + 1
            start = last + 1
        else:
            start = numbering.start
        num_id = self.new_numbering("headings", numbering.format, start)
        return {"id": num_id, "level": 0}, start


@dataclass(frozen=True)
class _TopLevel:
    """A document's sections seen as the sub-sections of a numbered section."""

    sections: list[m.Section]
    numbering: m.Numbering | None
    number_sections: bool = True


def table_item(table_id: str, table: m.Table) -> Item:
    """A table with every cell already formatted the Swedish way."""
    def fmt(cell: m.Cell) -> str:
        if cell is None:
            return "–"
        if isinstance(cell, bool) or not isinstance(cell, (int, float)):
            return str(cell)
        if table.unit == "percent":
            return procent(cell, table.decimals)
        return tal(cell, table.decimals)

    def header(cell: m.Cell) -> str:
        # Column headings are labels (often years), never grouped as numbers.
        return "" if cell is None else str(cell)

    rows = [[str(row[0]) if row[0] is not None else "", *(fmt(c) for c in row[1:])]
            for row in table.rows]
    total = None
    if table.total is not None:
        # A sum the source left blank (null in values) is printed blank, not computed.
        given = table.total.values or [0] * len(table.column_sums())
        total = [table.total.label, *(fmt(v if g is not None else None)
                                      for v, g in zip(table.column_sums(), given,
                                                      strict=True))]
    return {"kind": "table", "id": table_id, "title": table.title,
            "columns": [header(c) for c in table.columns], "rows": rows, "total": total,
            "notes": sample_notes(table), "text_table": table.unit == "text", "fills": {}}


def measures_item(measures: m.Measures, stats: m.Statistics | None = None) -> Item:
    """Brå's action-plan table: causes numbered 1, 2; measures 1.1, 1.2 after their cause.

    A cause is written once, in its first measure's row; `merge_down` names the columns
    whose empty cells continue the cell above, so the cause's cell spans its measures.
    """
    rows: list[list[str]] = []
    fills: dict[str, str] = {}
    for i, cause in enumerate(measures.causes, start=1):
        for j, measure in enumerate(cause.measures, start=1):
            follow_up = indicators.follow_up_text(measure)
            if measure.status:
                word, colour = STATUS[measure.status]
                follow_up = f"{follow_up}\nStatus: {word}" if follow_up else f"Status: {word}"
                fills[f"{len(rows)},5"] = colour
            rows.append([f"{i}. {cause.cause}" if j == 1 else "",
                         f"{i}.{j} {measure.measure}",
                         indicators.goal_text(measure, stats or m.Statistics()),
                         indicators.time_text(measure), indicators.who_text(measure),
                         follow_up])
    return {"kind": "table", "id": None, "title": measures.title,
            "columns": list(MEASURE_COLUMNS), "rows": rows, "total": None, "notes": [],
            "text_table": True, "fills": fills, "weights": [20, 20, 17, 10, 15, 18],
            "merge_down": [0]}


def default_subtitle(muni: m.Municipality, doc: m.Document | None = None) -> str:
    return f"{muni.kommun.name} och {muni.polis.name} {years(muni, doc)}"


def years(muni: m.Municipality, doc: m.Document | None) -> str:
    """The document's own years ("2020–2021"), or else the agreement's."""
    span = doc.period if doc is not None and doc.period else muni.period
    return period(span.start, span.end)


def party(p: m.Party) -> dict[str, Any]:
    return {"name": p.name, "short_name": p.short_name,
            "header": p.name if p.header_name is None else p.header_name,
            "demonym": p.demonym.model_dump() if p.demonym else None}


def build_context(muni: m.Municipality, stats: m.Statistics,
                  documents: dict[str, m.Document], name: str,
                  *, draft: dict[str, Any] | None = None,
                  approvals: list[str] | None = None,
                  builder: type[_Builder] | None = None) -> dict[str, Any]:
    """Everything a template sees for one document; approvals: the lines a final
    document prints (derived from the approvals of its content, see approvals.py);
    builder: a _Builder subclass that also notes where items come from (the editor's
    document view)."""
    doc = documents[name]
    b = (builder or _Builder)(muni, stats)
    b.blocks(doc.cover, 0, doc)
    has_cover_break = doc.title_page or bool(doc.cover) or doc.toc is not None
    if has_cover_break:
        b.items.append({"kind": "page_break"})
    toc_index = None
    if doc.toc is not None:
        toc_index = len(b.items)
        b.items.append({"kind": "toc", "title": doc.toc, "entries": [],
                        "levels": doc.toc_levels})
        b.items.append({"kind": "page_break"})
    if doc.number_sections:  # numbered as a section numbers its sub-sections
        b.children(_TopLevel(doc.sections, doc.numbering), 0, None, doc, None)
    else:
        for sec in doc.sections:
            b.section(sec, 1, None, doc)
    b.blocks(doc.closing, 1, doc)
    for n, appendix_name in enumerate(doc.appendices, start=1):
        appendix = documents[appendix_name]
        b.items.append({"kind": "page_break"})
        b.heading(f"Bilaga {n} {appendix.title}", 1)
        b.blocks(appendix.cover, 1, appendix)
        for sec in appendix.sections:
            b.section(sec, 2, None, appendix)
        b.blocks(appendix.closing, 2, appendix)
    if toc_index is not None:
        listed = [it for it in b.items if it["kind"] == "heading" and (
            it["in_toc"] if it["in_toc"] is not None else it["level"] <= doc.toc_levels)]
        toc = b.items[toc_index]
        toc["entries"] = [
            {"level": it["level"],
             "text": f"{it['number']} {it['text']}" if it["number"] else it["text"]}
            for it in listed]
        # A choice by heading (in_toc) must survive Word updating the field: the contents
        # are then built from TC entries on the chosen headings instead of by level.
        toc["by_entry"] = any(it["in_toc"] is not None for it in b.items
                              if it["kind"] == "heading")
        if toc["by_entry"]:
            for it, entry in zip(listed, toc["entries"], strict=True):
                it["toc_entry"] = entry
    subtitle = doc.subtitle if doc.subtitle is not None else default_subtitle(muni, doc)
    adopted = None
    if doc.adopted:
        adopted = f"Antagen av {doc.adopted.by} {datum_kort(doc.adopted.date)}"
    return {
        "doc": {"name": name, "type": doc.type, "title": doc.title, "subtitle": subtitle,
                "adopted": adopted, "title_page": doc.title_page},
        "kommun": party(muni.kommun),
        "polis": party(muni.polis),
        # The document's own dates or years where it has them (the cover's "Period:").
        "period": (f"{datum_kort(doc.validity.start)} – {datum_kort(doc.validity.end)}"
                   if doc.validity else years(muni, doc)),
        "body": b.items,
        "footnotes": [it["footnote"] for it in b.items if it.get("footnote")],
        "draft": draft,
        "logo": muni.logo,
        "header": muni.header,
        "numberings": b.numberings,
        # Who approved the final version for each party, printed under the title.
        "approvals": [] if draft else list(approvals or []),
    }


def properties(muni: m.Municipality, doc: m.Document, subtitle: str,
               draft: dict[str, Any] | None = None,
               approvals: list[str] | None = None) -> dict[str, Any]:
    """Document properties, taken from the config so output is reproducible."""
    day = muni.version_date or muni.signing.date or dt.date(muni.period.start, 1, 1)
    stamp = dt.datetime.combine(day, dt.time())

    def short(text: str) -> str:
        # Word's core properties hold at most 255 characters; the body has it all.
        text = " ".join(text.split())  # one line: PDF viewers show it as it is
        return text if len(text) <= 255 else text[:254] + "…"

    return {
        "title": short(f"UTKAST: {doc.title}" if draft else doc.title),
        "content_status": "Utkast" if draft else "Slutlig",
        "version": short(muni.version),
        "subject": short(subtitle),
        "author": short(f"{muni.kommun.name}; {muni.polis.name}"),  # Word: authors by ";"
        "language": "sv-SE",
        "keywords": "samverkansöverenskommelse; brottsförebyggande; trygghet",
        "created": stamp,
        "modified": stamp,
        "approved": "" if draft else short("; ".join(approvals or [])),
    }
