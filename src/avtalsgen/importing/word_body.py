"""The body of a Word document for import, as a list of units: headings (by style, or
by direct formatting: short and bold or larger), labels, paragraphs, list items (by
style, Word numbering or typed "-", "•", "1."), tables with their captions and
source notes, pictures with their captions, Word charts with their figures, signature
blocks and page breaks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .. import model as m
from ..context import SAMPLE_MARK
from ..messages import Msg
from ..validate import chart_data_problem
from ..validation_messages import reason
from . import word_forms as forms
from .word_charts import ChartData
from .word_pages import back_page
from .word_read import Docx, Para, Picture, Table
from .word_signatures import PLACE_DATE, is_signature_start, read_signatures, signature_table
from .word_tables import Imported, convert

# A typed bullet: "- ", "– ", "* " need a space after them ("--" is no bullet); "•" not.
_BULLET = re.compile(r"^(?:[-–*·▪◦‣●○■□➢►]\s+|•\s*)(?=\S)")
_NUMBERED = re.compile(r"^(\d{1,2})[.)]\s+(?=\S)")
# "1." "6.1" "2.3.1" before a heading; a single number needs its point.
_HEADING_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,3}\.?|\d{1,2}\.)[ \t]+(?=\S)")
_CAPTION = re.compile(r"^(Figur|Bild|Diagram|Linjediagram|Stapeldiagram|Cirkeldiagram|"
                      r"Tabell)\s+(\d+)\s*[.:]?\s*", re.IGNORECASE)
# The names avtalsgen gives a chart drawn as a picture (captions.CHART_NAMES).
_CHART_SHAPE = re.compile(r"^(Linjediagram|Stapeldiagram|Cirkeldiagram)\b")
_SOURCE = re.compile(r"^Källa:\s*(.+)$", re.DOTALL)
_SAMPLE = re.compile(r"^EXEMPELDATA: siffrorna är påhittade och kommer inte från källan"
                     r"(?: \(källa: (?P<source>.+)\))?\. Byt ut dem")
_PROBLEM = re.compile(r"^\W*problembild\s*:?$", re.IGNORECASE)
FOOTNOTE_MARK = "{fotnot}"
QUOTE_STYLES = ("quote", "intense quote")

@dataclass
class Unit:
    kind: str  # heading, label, para, item, table, chart, image, signatures, page_break
    text: str = ""
    data: Any = None  # the block (or item) as config data
    level: int = 0  # a heading's level; 0 while it is to be inferred
    number: str | None = None  # the number shown before a heading ("6.1")
    typed: bool = False  # that number is typed in the text
    num: tuple[str, int] | None = None  # a heading's Word numbering
    size: float = 0.0
    bold: bool = False
    styled: bool = False  # a heading by its style (Heading N), not by formatting
    list_key: Any = None  # list items with the same key form one list
    raw: str = ""  # a typed list item as written, number and all
    style: str = ""  # the paragraph's style name
    nested: bool = False
    toc_entry: bool = False  # a heading that carries its own contents entry (TC field)
    notes: list[Msg] = field(default_factory=list)


class Body:
    def __init__(self, doc: Docx, indexes: list[int], picture_name: Any) -> None:
        self.doc = doc
        self.units: list[Unit] = []
        self.indexes = set(indexes)
        self.picture_name = picture_name  # saves a picture, returns its file name
        self.content_notes: list[Msg] = []  # what content() noted, for the unit made next
        self.captions: dict[int, str] = {}  # caption and note paragraphs already used
        self.picture_count = 0
        self.chart_count = 0

    def read(self) -> list[Unit]:
        body = self.doc.body
        i = min(self.indexes, default=0)
        end = max(self.indexes, default=-1) + 1
        while i < end:
            el = body[i]
            if i not in self.indexes:
                pass
            elif isinstance(el, Table):
                self.table(i, el)
            elif is_signature_start(body, i):
                found = read_signatures(body, i)
                if found is not None:
                    unit, i = found
                    self.units.append(unit)
                    continue
                self.paragraph(i, el)
            else:
                self.paragraph(i, el)
            i += 1
        return back_page(self.units)

    # -- paragraphs ----------------------------------------------------------------
    def paragraph(self, i: int, p: Para) -> None:
        if i in self.captions:
            return
        if p.break_before:
            self.page_break()
        self.pictures(i, p, before=True)
        text = p.text.strip()
        if text:
            unit = self.classify(p, text)
            unit.style = unit.style or p.style
            if unit.kind in ("heading", "label") and p.footnotes:
                _notes_into_text(unit, p)
            unit.notes.extend(self.content_notes)
            self.content_notes = []
            self.units.append(unit)
        self.pictures(i, p, before=False)
        if p.break_after:
            self.page_break()

    def page_break(self) -> None:
        self.units.append(Unit("page_break", data={"page_break": True}))

    def classify(self, p: Para, text: str) -> Unit:
        style = p.style
        if p.textbox:
            return self.para(p, text, note=Msg("text from a text box or shape, kept as a "
                                                 "paragraph where the box stood"))
        level = forms.heading_style_level(p)
        if level:
            unit = Unit("heading", text, level=level, num=p.num, size=p.size, bold=True,
                        styled=True, toc_entry=any(f.startswith("TC ") for f in p.fields))
            return _typed_heading_number(unit)
        if style == "label":
            return Unit("label", text)
        list_kind = self.list_kind(p)
        if list_kind == "numbered" and p.bold and not style.startswith("list") and \
                self.looks_like_heading(p, text):
            return Unit("heading", text, num=p.num, size=p.size, bold=True)
        if list_kind:
            return self.item(p, text, list_kind)
        if style in ("caption", "table note") or style.startswith("toc "):
            return self.para(p, text)
        if forms.is_label(p, text):
            return Unit("label", text)
        if p.bold_prefix and not text.endswith(":") and forms.label_prefix(p.text, p):
            return self.label_and_text(p)
        if self.looks_like_heading(p, text):
            if _PROBLEM.match(text):  # "Problembild" in bold: the field, not a section
                return Unit("label", text)
            unit = Unit("heading", text, num=p.num, size=p.size, bold=p.bold)
            return _typed_heading_number(unit)
        typed = _BULLET.match(text) or _NUMBERED.match(text)
        if typed:
            return self.typed_item(p, text, typed)
        return self.para(p, text)

    def looks_like_heading(self, p: Para, text: str) -> bool:
        """Short, no final full stop, and bold or clearly larger than the text; in a
        document with heading styles, a bold line is emphasis rather than a heading."""
        if len(text) > forms.MAX_HEADING or text.endswith((":", ";", ",")) or "\n" in text:
            return False
        if text.endswith(".") and not forms.own_heading_style(p, text):
            return False
        if p.footnotes or p.style in QUOTE_STYLES:
            return False
        larger = p.size >= self.doc.body_size + 1.5
        if self.doc.has_heading_styles:
            return larger
        return larger or p.bold

    def list_kind(self, p: Para) -> str | None:
        style = p.style
        if style.startswith("list bullet"):
            return "bullet"
        if style.startswith(("list number", "list numbered")):
            return "numbered"
        if p.num is not None:
            return "bullet" if self.doc.numbering.is_bullet(*p.num) else "numbered"
        return None

    def item(self, p: Para, text: str, kind: str) -> Unit:
        key: Any = (kind, self.doc.numbering.list_id(p.num[0])) if kind == "numbered" and \
            p.num else (kind, "style")
        unit = Unit("item", text, data=self.content(p, text), list_key=key)
        unit.nested = bool(p.num and p.num[1] > 0) or bool(re.search(r"\d$", p.style))
        return unit

    def typed_item(self, p: Para, text: str, match: re.Match[str]) -> Unit:
        stripped = text[match.end():]
        if match.re is _BULLET:
            key: Any = ("bullet", "typed")
        else:
            key = ("numbered", "typed", int(match.group(1)))
        offset = p.text.index(text) + match.end()
        return Unit("item", stripped, data=self.content(p, stripped, offset), list_key=key,
                    raw=text)

    def label_and_text(self, p: Para) -> Unit:
        """"Mål: Minska brotten." with "Mål:" in bold: a label and a paragraph."""
        label = p.text[:p.bold_prefix].strip()
        rest = p.text[p.bold_prefix:].strip()
        offset = p.text.index(rest, p.bold_prefix)
        unit = Unit("label", label)
        self.units.append(unit)
        return Unit("para", rest, data=self.content(p, rest, offset))

    def para(self, p: Para, text: str, note: Msg | None = None) -> Unit:
        unit = Unit("para", text, data=self.content(p, text))
        if note:
            unit.notes.append(note)
        return unit

    def content(self, p: Para, text: str, offset: int | None = None) -> Any:
        """A paragraph's text as a block: plain text, or {text, footnote, style}."""
        start = p.text.index(text) if offset is None else offset
        notes = [(at - start, note) for at, note in p.footnotes]
        block: dict[str, Any] = {}
        if notes:
            text, first = _with_footnotes(text, notes, self.content_notes)
            block["footnote"] = first
        block = {"text": text, **block}
        if p.style in QUOTE_STYLES:
            block["style"] = "quote"
        elif p.style.startswith(forms.PLAIN_STYLES):
            pass
        elif p.italic:
            block["style"] = "emphasis"
        elif p.bold:
            block["style"] = "strong"
        return block if len(block) > 1 else text

    # -- pictures ------------------------------------------------------------------
    def pictures(self, i: int, p: Para, *, before: bool) -> None:
        """The pictures at the start of a paragraph (before its text), or the others."""
        text_at = len(p.text) - len(p.text.lstrip())
        for at, picture in p.pictures:
            if (at <= text_at or not p.text.strip()) == before:
                self.units.append(self.image(i, picture))

    def image(self, i: int, picture: Picture) -> Unit:
        if picture.chart:
            return self.chart(i, picture)
        caption, chart_kind = self.caption_after(i)
        # A chart drawn as a picture: "Linjediagram 2." under it (earlier versions), or
        # "Figur 2." under a picture named by its chart's kind.
        chart_kind = chart_kind or _chart_shape(picture.shape)
        name = self.picture_name(picture)
        if name is None:
            text = caption or picture.alt
            unit = Unit("para", text, data=text) if text else Unit("none")
            unit.notes.append(Msg("the picture {name} is not PNG or JPEG and could not be "
                                  "converted (EMF/WMF/SVG); put it in by hand",
                                  name=picture.name))
            return unit
        notes = []
        alt = picture.alt
        self.picture_count += 1
        if not caption:
            caption = alt or f"Bild {self.picture_count}"
            notes.append(Msg("the picture {name} has no caption: {caption!r} was used",
                             name=name, caption=caption))
        if not alt:
            alt = caption
            notes.append(Msg("the picture {name} has no alt text: its caption was used",
                             name=name))
        if chart_kind:
            notes.append(Msg("the picture {name} was a chart ({kind}); it is kept as a picture: "
                             "to redraw it, give its figures as a statistics table",
                             name=name, kind=chart_kind))
        image: dict[str, Any] = {"file": name, "caption": caption, "alt": alt}
        if picture.width_cm:
            image["width"] = round(min(max(picture.width_cm, 1.0), 16.0), 1)
        return Unit("image", caption, data={"image": image}, notes=notes)

    def chart(self, i: int, picture: Picture) -> Unit:
        """A Word chart: a chart block with the statistics table it is drawn from; without
        figures to read, its caption as text."""
        data = picture.chart_data
        problem = picture.chart_problem if data is None else _undrawable(data)
        if data is None or problem:
            caption, _label = self.caption_after(i)
            text = caption or picture.alt or "diagram"
            unit = Unit("para", text, data=text)
            unit.notes.append(Msg("a Word chart cannot be imported ({problem}); its caption is "
                                  "kept as text ({text!r}): draw it from a statistics table "
                                  "instead", problem=problem, text=text[:50]))
            return unit
        # A caption above the chart is taken first: the one below may be the next one's.
        caption = self.caption_before()
        if caption is None:
            caption, _label = self.caption_after(i)
        after = i + 2 if i + 1 in self.captions else i + 1  # where a source note may be
        self.chart_count += 1
        notes = list(data.notes)
        caption, marked = _unmark(caption or "")
        alt, alt_marked = _unmark(picture.alt)
        if data.title and data.title != caption:
            notes.append(Msg("the chart's title {title!r} is not drawn: avtalsgen's charts "
                             "have a caption instead", title=data.title[:50]) if caption else
                         Msg("the chart has no caption: its title {title!r} was used",
                             title=data.title[:50]))
        if not caption:
            caption = data.title or alt or f"Diagram {self.chart_count}"
            if not data.title:
                notes.append(Msg("the chart has no caption: {caption!r} was used",
                                 caption=caption[:50]))
        if not alt:
            alt = caption
            notes.append(Msg("the chart has no alt text: its caption was used"))
        table = data.table()
        table.update(self.table_note(after) or {})
        if data.sample or marked or alt_marked:
            table["sample_data"] = True
        chart: dict[str, Any] = {"kind": data.kind, "caption": caption, "alt": alt}
        if data.stacked:
            chart["stacked"] = True
        return Unit("chart", caption, data={"chart": chart, "table": table}, notes=notes)

    def caption_before(self) -> str | None:
        """A chart's caption just before it ("Diagram 2. …" as the last paragraph)."""
        last = self.units[-1] if self.units else None
        if last is None or last.kind != "para" or not isinstance(last.data, str):
            return None
        match = _CAPTION.match(last.text)
        if not match or match.group(1).lower() == "tabell" or not (
                last.style == "caption" or re.search(r"[.:]\s*$", match.group(0))):
            return None
        text = last.text[match.end():].strip()
        if not text:
            return None
        self.units.pop()
        return text

    def caption_after(self, i: int) -> tuple[str | None, str | None]:
        """A caption paragraph right after a picture: its text without "Figur 3."."""
        body = self.doc.body
        j = i + 1
        if j < len(body) and isinstance(body[j], Para) and j in self.indexes and \
                j not in self.captions:
            p = body[j]
            assert isinstance(p, Para)
            match = _CAPTION.match(p.text.strip())
            if match and match.group(1).lower() == "tabell":
                return None, None  # the caption of a table that follows
            if p.style == "caption" or (match and len(p.text) < 300) or \
                    self.typed_caption(p):
                text = p.text.strip()[match.end():] if match else p.text.strip()
                if text:
                    self.captions[j] = text
                    kind = match.group(1) if match and "diagram" in match.group(1).lower() \
                        else None
                    return text, kind
        return None, None

    def typed_caption(self, p: Para) -> bool:
        """A caption typed by hand under a picture: a short line in italics or smaller
        than the text, not a sentence that runs on."""
        text = p.text.strip()
        return bool(text) and len(text) <= 200 and "\n" not in text and not p.bold and (
            p.italic or 0 < p.size <= self.doc.body_size - 1) and p.num is None

    # -- tables --------------------------------------------------------------------
    def table(self, i: int, table: Table) -> None:
        signatures = signature_table(table)
        if signatures is not None:
            last = self.units[-1] if self.units else None
            if signatures["place_date"] is None and last is not None and \
                    last.kind == "para" and PLACE_DATE.match(last.text):
                signatures["place_date"] = self.units.pop().text  # typed above the table
            self.units.append(Unit("signatures", data=signatures))
            return
        title, caption = self.table_captions()
        imported = convert(table, title)
        if imported is None:
            return
        self.source_note(i, imported)
        unit = Unit("table", data=imported, notes=list(imported.notes))
        if caption:
            unit.text = caption
        self.units.append(unit)

    def table_captions(self) -> tuple[str | None, str | None]:
        """(title, numbered caption) from the caption paragraphs just before a table."""
        title = caption = None
        while self.units and self.units[-1].kind == "para" and (isinstance(
                self.units[-1].data, str) or "footnote" not in self.units[-1].data):
            last = self.units[-1]
            match = _CAPTION.match(last.text)
            if match and match.group(1).lower() == "tabell" and caption is None \
                    and title is None:
                caption = last.text[match.end():].strip() or None
            elif last.style == "caption" and title is None:
                title = last.text
            else:
                break
            self.units.pop()
        return title, caption

    def source_note(self, i: int, imported: Imported) -> None:
        """"Källa: …" (or avtalsgen's sample-data note) right after a table."""
        if imported.kind != "measures":
            imported.data.update(self.table_note(i + 1) or {})

    def table_note(self, j: int) -> dict[str, Any] | None:
        """The source, or avtalsgen's sample-data note, in the paragraph at j (or the first
        after it with text), as table fields; that paragraph is then used up."""
        body = self.doc.body

        def para(k: int) -> Para | None:
            found = body[k] if k < len(body) else None
            return found if isinstance(found, Para) else None

        while (empty := para(j)) is not None and not empty.text.strip() and not empty.pictures:
            j += 1
        note = para(j)
        if note is None or j in self.captions:
            return None
        text = note.text.strip()
        source, sample = _SOURCE.match(text), _SAMPLE.match(text)
        found: dict[str, Any] = {}
        if source and "\n" not in text:
            found["source"] = source.group(1).strip()
        elif sample:
            if sample.group("source"):
                found["source"] = sample.group("source")
            found["sample_data"] = True
        else:
            return None
        self.captions[j] = text
        return found


def _undrawable(data: ChartData) -> Msg | None:
    """Why avtalsgen would refuse to draw the chart's figures (a pie with a negative
    slice, say), or None."""
    try:
        chart = m.Chart.model_validate({"table": "x", "kind": data.kind, "caption": "x",
                                        "alt": "x", "stacked": data.stacked})
        problem = chart_data_problem(chart, m.Table.model_validate(data.table()))
        return problem
    except ValidationError as e:  # figures no table can hold: the chart stays its caption
        return Msg("its figures do not make a table: {reason}", reason=reason(e.errors()[0]))


def _unmark(text: str) -> tuple[str, bool]:
    """Text without avtalsgen's sample-data mark at its end, and whether it had one."""
    stripped = text.strip()
    if stripped.endswith(SAMPLE_MARK):
        return stripped[:-len(SAMPLE_MARK)].rstrip(), True
    return stripped, False


def _typed_heading_number(unit: Unit) -> Unit:
    match = _HEADING_NUMBER.match(unit.text)
    if match and unit.num is None:
        unit.number = match.group(1)
        unit.typed = True
    return unit


def _notes_into_text(unit: Unit, p: Para) -> None:
    """A heading or label holds no footnote: its notes go into its text."""
    unit.text += "".join(f" (fotnot: {note})" for _at, note in p.footnotes)
    unit.notes.append(Msg("the heading {text!r} had a footnote; it is now in its text as "
                          "'(fotnot: …)'", text=unit.text[:40]) if unit.kind == "heading" else
                      Msg("the label {text!r} had a footnote; it is now in its text as "
                          "'(fotnot: …)'", text=unit.text[:40]))


def _with_footnotes(text: str, notes: list[tuple[int, str]],
                    report: list[Msg]) -> tuple[str, str]:
    """The first footnote stays a footnote (its place marked {fotnot} unless at the end);
    any further ones go into the text as "(fotnot: …)" where they stood."""
    end = len(text.rstrip())
    marks = []
    for n, (at, note) in enumerate(notes):
        at = max(0, min(at, len(text)))
        if n == 0:
            marks.append((at, n, FOOTNOTE_MARK if at < end else ""))
        else:
            marks.append((at, n, f" (fotnot: {note})"))
            report.append(Msg("a paragraph has more than one footnote: {note!r} is now in its "
                              "text as '(fotnot: …)'", note=note[:50]))
    for at, _n, mark in sorted(marks, reverse=True):
        text = text[:at] + mark + text[at:]
    return text, notes[0][1]


def _chart_shape(shape: str) -> str | None:
    """The chart kind a picture's shape name tells ("Stapeldiagram"), if it tells one."""
    match = _CHART_SHAPE.match(shape)
    return match.group(1) if match else None
