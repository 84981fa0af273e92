"""Reading a .docx for import: the package checked first, then its body as a flat list
of paragraphs and tables carrying what the importer needs (style, effective bold and
size, list numbering, footnotes, pictures, page breaks, fields), read with lxml
straight from the parts so that nothing python-docx hides (merged cells, fields,
footnotes) is lost."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..errors import ConfigError, Problem
from ..messages import Msg
from . import limits
from .word_charts import C, ChartData, read_chart
from .word_runs import CHART_URI, EMU_PER_CM, MAIN_RT, MC, PKG, WP, A, R, Runs, V, W
from .word_styles import Numbering, Styles

MAX_DOCX_BYTES = limits.MAX_UPLOAD_BYTES
MAX_PARTS = limits.MAX_PARTS
MAX_UNPACKED = limits.MAX_UNPACKED_BYTES  # all parts together (a zip bomb stops here)
MAX_XML_PART = limits.MAX_PART_BYTES
MAX_COLUMNS = 64  # a cell spanning more is a damaged table

# No entities, no DTDs, no network: a document's XML is data.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=True, remove_blank_text=False)


@dataclass
class Picture:
    """A picture in the text (or a Word chart, which has no picture to save)."""

    data: bytes | None
    name: str
    alt: str
    width_cm: float | None
    chart: bool = False
    chart_data: ChartData | None = None  # a chart's figures, read from its cache
    chart_problem: Msg | None = None  # why a chart has none
    shape: str = ""  # the shape's name in Word (docPr name): "Linjediagram" for a chart


@dataclass
class Para:
    text: str
    style: str  # lower-case style name: "normal", "heading 1", "list bullet", "caption" …
    bold: bool = False  # all of the text is bold
    italic: bool = False
    size: float = 11.0  # points, of most of the text
    bold_prefix: int = 0  # length of the bold text it starts with ("Mål:" in "Mål: X")
    num: tuple[str, int] | None = None  # Word list numbering: (numId, level)
    outline: int | None = None
    footnotes: list[tuple[int, str]] = field(default_factory=list)  # (offset, text)
    pictures: list[tuple[int, Picture]] = field(default_factory=list)
    break_before: bool = False
    break_after: bool = False
    fields: list[str] = field(default_factory=list)  # "TOC", "SEQ Figur", "PAGE" …
    in_toc: bool = False  # inside a table-of-contents field or content control
    textbox: bool = False  # text from a text box or shape


@dataclass
class Cell:
    text: str
    merged: bool = False  # continues the cell above (vMerge) or to its left (gridSpan)
    bold: bool = False


@dataclass
class Table:
    rows: list[list[Cell]]
    header_rows: int = 1
    notes: list[Msg] = field(default_factory=list)  # what a cell could not hold


@dataclass
class Docx:
    body: list[Para | Table]
    header: list[str]  # the page header's lines (party names, draft mark)
    numbering: Numbering
    notes: list[Msg] = field(default_factory=list)  # what the reader could not keep
    body_size: float = 11.0
    has_heading_styles: bool = False
    footer: list[str] = field(default_factory=list)  # the page footers' lines


def problem(source: Path, message: Msg) -> ConfigError:
    return ConfigError([Problem(source, None, "", message)])


def open_docx(source: Path) -> Docx:
    """The document's body and what goes with it; ConfigError when it is not a usable
    .docx (too large, not a zip, damaged, no main part)."""
    source = Path(source)
    try:
        size = source.stat().st_size
        if not source.is_file():
            raise problem(source, Msg("not a file"))
        if size > MAX_DOCX_BYTES:
            raise problem(source, Msg("the document is larger than {mb} MB; save it without "
                                      "large pictures or split it",
                                      mb=MAX_DOCX_BYTES // 1_000_000))
        with open(source, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise problem(source, Msg("cannot read the file: {reason}",
                                   reason=e.strerror or str(e))) from None
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise problem(source, Msg("this is an old Word file (.doc) or a password-protected "
                                  "document; open it in Word and save it as .docx without a "
                                  "password"))
    try:
        with zipfile.ZipFile(source) as package:
            return _Reader(source, package).read()
    except zipfile.BadZipFile as e:
        raise problem(source, Msg("not a Word document (.docx): {reason}", reason=str(e))) from None
    except etree.XMLSyntaxError as e:
        raise problem(source, Msg("the document is damaged (XML: {reason})",
                                  reason=str(e))) from None
    except (OSError, EOFError, ValueError, NotImplementedError, KeyError) as e:
        raise problem(source, Msg("the document is damaged: {reason}", reason=str(e))) from None


class _Reader:
    def __init__(self, source: Path, package: zipfile.ZipFile) -> None:
        self.source = source
        self.zip = package
        infos = package.infolist()
        limits.check_parts(infos)  # sizes and ratios, before any part is unpacked
        self.names = {i.filename for i in infos}
        self.notes: list[Msg] = []
        self.field_stack: list[list[Any]] = []  # [instruction, shown?] per open field
        self.fields_broken = False
        self.toc_depth = 0  # inside table-of-contents content controls

    # -- parts ---------------------------------------------------------------------
    def xml(self, name: str) -> etree._Element | None:
        if name not in self.names:
            return None
        if self.zip.getinfo(name).file_size > MAX_XML_PART:
            raise problem(self.source, Msg("the part {name} is too large", name=name))
        blob = self.zip.read(name)
        if b"<!DOCTYPE" in blob[:4096] or b"<!ENTITY" in blob[:4096]:
            raise problem(self.source, Msg("the part {name} declares a DTD; refused", name=name))
        return etree.fromstring(blob, _PARSER)

    def rels(self, part: str) -> dict[str, tuple[str, str, bool]]:
        """rId -> (type, resolved target, external) of a part."""
        folder, base = posixpath.split(part)
        root = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        out: dict[str, tuple[str, str, bool]] = {}
        for rel in [] if root is None else root.iter(f"{PKG}Relationship"):
            target = rel.get("Target", "")
            external = rel.get("TargetMode") == "External"
            if not external:
                target = posixpath.normpath(target.lstrip("/") if target.startswith("/")
                                            else posixpath.join(folder, target))
            out[rel.get("Id", "")] = (rel.get("Type", ""), target, external)
        return out

    def main_part(self) -> str:
        for kind, target, _ext in self.rels("").values():
            if kind == MAIN_RT:
                return target
        return "word/document.xml"

    def related(self, kind: str) -> str | None:
        return next((t for k, t, ext in self.part_rels.values()
                     if k.endswith("/" + kind) and not ext), None)

    # -- the document --------------------------------------------------------------
    def read(self) -> Docx:
        main = self.main_part()
        root = self.xml(main)
        if root is None or root.find(f"{W}body") is None:
            raise problem(self.source, Msg("not a Word document: it has no document body "
                                          "(word/document.xml)"))
        _count(root)
        self.part_rels = self.rels(main)
        styles_part = self.related("styles")
        numbering_part = self.related("numbering")
        self.styles = Styles(self.xml(styles_part) if styles_part else None)
        self.numbering = Numbering(self.xml(numbering_part) if numbering_part else None)
        self.footnotes = self._notes("footnotes", "footnote")
        self.endnotes = self._notes("endnotes", "endnote")
        self.field_stack = []  # a field left open in a note must not hide the body
        element = root.find(f"{W}body")
        if element is None:
            raise problem(self.source, Msg("the document has no body"))
        body: list[Para | Table] = []
        self._blocks(element, body)
        if self.field_stack:  # a field never ends: read again, fields as plain text
            self.notes.append(Msg("the document has a field that is never closed; its text "
                                  "is read as ordinary text"))
            self.field_stack, self.fields_broken, body = [], True, []
            self._blocks(element, body)
        if root.find(f".//{W}ins") is not None or root.find(f".//{W}del") is not None:
            self.notes.append(Msg("the document has tracked changes not accepted: read as if "
                                  "accepted (insertions kept, deletions left out)"))
        if self.related("comments"):
            self.notes.append(Msg("the document has comments: they are not imported"))
        doc = Docx(body, self._header(), self.numbering, self.notes,
                   footer=list(dict.fromkeys(self._header("footer"))))
        doc.body_size = _body_size(body)
        doc.has_heading_styles = any(isinstance(p, Para) and p.style.startswith("heading ")
                                     and not p.in_toc for p in body)
        return doc

    def _notes(self, kind: str, tag: str) -> dict[str, str]:
        part = self.related(kind)
        root = self.xml(part) if part else None
        out: dict[str, str] = {}
        for note in [] if root is None else root.iter(f"{W}{tag}"):
            if note.get(f"{W}type") not in (None, "normal"):
                continue  # separators
            lines = [self._paragraph(p, inner=True).text for p in note.iter(f"{W}p")]
            out[note.get(f"{W}id", "")] = "\n".join(lines).strip()
        return out

    def _header(self, part: str = "header") -> list[str]:
        """The lines of the page headers (or footers), tabs kept (they part the two
        party names)."""
        lines: list[str] = []
        for kind, target, ext in sorted(self.part_rels.values(), key=lambda r: r[1]):
            root = self.xml(target) if kind.endswith(f"/{part}") and not ext else None
            for p in [] if root is None else root.iter(f"{W}p"):
                text = "".join((el.text or "") if el.tag == f"{W}t" else "\t"
                               for el in p.iter(f"{W}t", f"{W}tab"))
                if text.strip():
                    lines.append(text.strip(" "))
        return lines

    def _blocks(self, parent: etree._Element, out: list[Para | Table]) -> None:
        for child in parent:
            tag = child.tag
            if tag == f"{W}p":
                para = self._paragraph(child)
                out.append(para)
                out.extend(self._textboxes(child))
            elif tag == f"{W}tbl":
                out.append(self._table(child))
            elif tag == f"{W}sdt":
                gallery = child.find(f"{W}sdtPr/{W}docPartObj/{W}docPartGallery")
                toc = gallery is not None and "content" in (gallery.get(f"{W}val") or
                                                           "").lower()
                self.toc_depth += toc
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    self._blocks(content, out)
                self.toc_depth -= toc
            elif tag in (f"{W}customXml", f"{MC}AlternateContent", f"{MC}Choice"):
                self._blocks(child, out)

    def _textboxes(self, p: etree._Element) -> list[Para]:
        """Text in text boxes and shapes, as paragraphs of their own after p."""
        found = []
        for box in p.iter(f"{W}txbxContent"):
            if any(a.tag == f"{MC}Fallback" for a in box.iterancestors()):
                continue  # the same text again, for older readers
            for inner in box.iter(f"{W}p"):
                para = self._paragraph(inner, inner=True)
                if para.text.strip():
                    para.textbox = True
                    found.append(para)
        return found

    # -- paragraphs ----------------------------------------------------------------
    def _paragraph(self, p: etree._Element, inner: bool = False) -> Para:
        ppr = p.find(f"{W}pPr")
        style_id = _val(ppr, f"{W}pStyle") if ppr is not None else None
        style_id = style_id or self.styles.default_paragraph
        para = Para("", self.styles.name(style_id))
        para.in_toc = bool(self.toc_depth) or any(f[0].strip().startswith("TOC")
                                                  for f in self.field_stack)
        run = Runs(self, para, style_id, inner)
        run.walk(p)
        run.finish()
        if ppr is not None:
            self._paragraph_properties(ppr, para, style_id)
        else:
            para.num = self.styles.numbering(style_id)
            para.outline = self.styles.outline(style_id)
        para.in_toc = para.in_toc or any(f.startswith("TOC") for f in para.fields)
        return para

    def _paragraph_properties(self, ppr: etree._Element, para: Para, style_id: str) -> None:
        num = ppr.find(f"{W}numPr")
        if num is not None:
            num_id = _val(num, f"{W}numId")
            level = _val(num, f"{W}ilvl")
            para.num = (num_id, int(level or 0)) if num_id not in (None, "0") else None
        else:
            para.num = self.styles.numbering(style_id)
        outline = _val(ppr, f"{W}outlineLvl")
        para.outline = int(outline) if outline and outline.isdigit() else \
            self.styles.outline(style_id)
        brk = ppr.find(f"{W}pageBreakBefore")
        if brk is not None and brk.get(f"{W}val") not in ("0", "false", "off"):
            para.break_before = True
        sect = ppr.find(f"{W}sectPr")
        if sect is not None and _val(sect, f"{W}type") != "continuous":
            para.break_after = True

    def picture(self, drawing: etree._Element) -> Picture | None:
        """The picture of a w:drawing or VML w:pict, with its alt text and width."""
        docpr = drawing.find(f".//{WP}docPr")
        alt = (docpr.get("descr") or docpr.get("title") or "").strip() \
            if docpr is not None else ""
        extent = drawing.find(f".//{WP}extent")
        width = int(extent.get("cx", "0")) / EMU_PER_CM if extent is not None else None
        graphic = drawing.find(f".//{A}graphicData")
        if graphic is not None and graphic.get("uri") == CHART_URI:
            return self._chart(graphic, alt, width)
        blip = drawing.find(f".//{A}blip")
        rid = blip.get(f"{R}embed") if blip is not None else None
        if rid is None:
            image = drawing.find(f".//{V}imagedata")
            rid = image.get(f"{R}id") if image is not None else None
        rel = self.part_rels.get(rid or "")
        if rel is None or rel[2] or rel[1] not in self.names:
            return None
        shape = (docpr.get("name") or "").strip() if docpr is not None else ""
        return Picture(self.zip.read(rel[1]), rel[1], alt, width, shape=shape)

    def _chart(self, graphic: etree._Element, alt: str, width: float | None) -> Picture:
        """A Word chart with its figures, or with why they cannot be read."""
        picture = Picture(None, "chart", alt, width, chart=True)
        ref = graphic.find(f"{C}chart")
        rel = self.part_rels.get(ref.get(f"{R}id", "") if ref is not None else "")
        if rel is None or rel[2] or rel[1] not in self.names:
            picture.chart_problem = Msg("its chart part is missing")
            return picture
        try:
            root = self.xml(rel[1])
        except etree.XMLSyntaxError:
            picture.chart_problem = Msg("its chart part is damaged")
            return picture
        found = read_chart(root) if root is not None else Msg("its chart part is missing")
        if isinstance(found, Msg):
            picture.chart_problem = found
        else:
            picture.chart_data = found
        return picture

    # -- tables --------------------------------------------------------------------
    def _table(self, tbl: etree._Element) -> Table:
        rows: list[list[Cell]] = []
        header = 0
        notes: list[Msg] = []
        for tr in tbl.iterchildren(f"{W}tr"):
            trpr = tr.find(f"{W}trPr")
            if trpr is not None and trpr.find(f"{W}tblHeader") is not None and \
                    header == len(rows):
                header += 1
            before = _int(_val(trpr, f"{W}gridBefore")) if trpr is not None else 0
            row = [Cell("", merged=True) for _ in range(before)]
            for tc in _cells(tr):
                tcpr = tc.find(f"{W}tcPr")
                span = min(max(1, _int(_val(tcpr, f"{W}gridSpan"))) if tcpr is not None
                           else 1, MAX_COLUMNS)
                vmerge = tcpr.find(f"{W}vMerge") if tcpr is not None else None
                cont = vmerge is not None and vmerge.get(f"{W}val") in (None, "continue")
                row.append(self._cell(tc, cont, notes))
                row.extend(Cell("", merged=True) for _ in range(span - 1))
            rows.append(row)
        width = max((len(r) for r in rows), default=0)
        for row in rows:
            row.extend(Cell("", merged=True) for _ in range(width - len(row)))
        return Table(rows, max(header, 1), notes)

    def _cell(self, tc: etree._Element, merged: bool, notes: list[Msg]) -> Cell:
        lines, bold = [], True
        for p in tc.iter(f"{W}p"):
            para = self._paragraph(p, inner=True)
            text = para.text.strip()
            for _at, note in para.footnotes:
                text += f" (fotnot: {note})"
                notes.append(Msg("a footnote in a table cell was put in the cell as text: "
                                 "{note!r}", note=note[:60]))
            if para.pictures:
                notes.append(Msg("a picture in a table cell could not be kept (cell {text!r})",
                                 text=text))
            if text:
                lines.append(text)
                bold = bold and para.bold
        if tc.find(f".//{W}tbl") is not None:
            notes.append(Msg("a table inside a table cell was flattened into the cell's text"))
        # A continuation cell has no text of its own; if it has (a damaged table), it stays.
        return Cell("\n".join(lines), merged, bold and bool(lines))


def _count(root: etree._Element) -> None:
    """Refuse a body with more paragraphs, table rows or cells than any real document
    has, before the slow walk over them."""
    hint = "dela upp dokumentet och läs in delarna var för sig."
    for tag, limit, what in ((f"{W}p", limits.MAX_PARAGRAPHS, "stycken"),
                             (f"{W}tr", limits.MAX_TABLE_ROWS, "tabellrader"),
                             (f"{W}tc", limits.MAX_TABLE_CELLS, "tabellceller")):
        found = sum(1 for _ in root.iter(tag))
        if found > limit:
            raise limits.too_many(found, limit, what, hint)


def _cells(tr: etree._Element) -> list[etree._Element]:
    """The cells of a row, also those wrapped in content controls or custom XML."""
    out = []
    for child in tr:
        if child.tag == f"{W}tc":
            out.append(child)
        elif child.tag in (f"{W}sdt", f"{W}customXml"):
            out.extend(child.iter(f"{W}tc"))
    return out


def _val(parent: etree._Element | None, tag: str) -> str | None:
    if parent is None:
        return None
    el = parent.find(tag)
    return None if el is None else el.get(f"{W}val")


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _body_size(body: list[Para | Table]) -> float:
    """The font size of most of the running text."""
    sizes: dict[float, int] = {}
    for p in body:
        if isinstance(p, Para) and not p.in_toc and len(p.text) > 40:
            sizes[p.size] = sizes.get(p.size, 0) + len(p.text)
    return max(sizes.items(), key=lambda kv: kv[1])[0] if sizes else 11.0
