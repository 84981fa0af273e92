"""The few places where avtalsgen writes WordprocessingML by hand.

docxtpl fills paragraphs; tables with a variable number of columns, the table
of contents field and footnotes need markup of their own, and it lives here.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from markupsafe import Markup

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


def _t(text: str) -> str:
    return f'<w:t xml:space="preserve">{escape(text)}</w:t>'


_TEXT_WITH_BREAKS = re.compile(r"<w:t(?: [^>]*)?>([^<]*[\n\t][^<]*)</w:t>")


def line_breaks(xml: str) -> str:
    """Newlines and tabs inside text become Word line breaks and tabs, in the same run."""
    def split(m: re.Match[str]) -> str:
        text = m.group(1).replace("\n", '</w:t><w:br/><w:t xml:space="preserve">')
        text = text.replace("\t", '</w:t><w:tab/><w:t xml:space="preserve">')
        return f'<w:t xml:space="preserve">{text}</w:t>'

    return _TEXT_WITH_BREAKS.sub(split, xml)


def footnote_ref(footnote: dict[str, Any] | None) -> Markup | str:
    """Close the current run, add a footnote reference run, reopen a text run."""
    if not footnote:
        return ""
    return Markup(
        '</w:t></w:r><w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>'
        f'<w:footnoteReference w:id="{int(footnote["id"])}"/></w:r>'
        '<w:r><w:t xml:space="preserve">')


def add_footnotes(docx: Any, footnotes: list[dict[str, Any]]) -> None:
    """Write the footnote texts into the template's footnotes part."""
    if not footnotes:
        return
    part = next((rel.target_part for rel in docx.part.rels.values()
                 if rel.reltype == FOOTNOTES_RT), None)
    if part is None:
        raise ValueError("the template has no footnotes part (word/footnotes.xml); "
                         "recreate it from tools/make_templates.py")
    root = etree.fromstring(part.blob)
    for note in footnotes:
        xml = (
            f'<w:footnote xmlns:w="{W_NS}" w:id="{int(note["id"])}"><w:p><w:pPr>'
            '<w:pStyle w:val="FootnoteText"/></w:pPr><w:r><w:rPr><w:rStyle '
            'w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r><w:r>'
            f'<w:t xml:space="preserve"> </w:t></w:r>{_runs(note["text"])}</w:p></w:footnote>')
        root.append(etree.fromstring(xml))
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                standalone=True)


def _runs(text: str) -> str:
    """Runs for text with line breaks and tabs, as Word holds them."""
    out = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append("<w:r><w:br/></w:r>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                out.append("<w:r><w:tab/></w:r>")
            if piece:
                out.append(f"<w:r>{_t(piece)}</w:r>")
    return "".join(out)


def table(item: dict[str, Any], width_twips: int = 9070) -> Markup:
    """A table with a repeating, marked header row (accessibility) and a total row."""
    columns = item["columns"]
    n = len(columns)
    if item.get("weights"):
        total = sum(item["weights"])
        widths = [width_twips * w // total for w in item["weights"]]
    else:
        # Numeric tables: a wider label column; text tables: equal columns.
        first = width_twips * 2 // 5 if n > 2 and not item["text_table"] else width_twips // n
        rest = (width_twips - first) // max(n - 1, 1)
        widths = [first] + [rest] * (n - 1)

    fills = item.get("fills") or {}

    def cell(text: str, w: int, *, bold: bool = False, right: bool = False,
             fill: str | None = None) -> str:
        shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
        ppr = '<w:pPr><w:spacing w:after="0"/>' + ('<w:jc w:val="right"/>' if right else "") \
            + "</w:pPr>"
        rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
        runs = _runs(text).replace("<w:r>", f"<w:r>{rpr}") if rpr else _runs(text)
        return (f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{shading}</w:tcPr>'
                f"<w:p>{ppr}{runs}</w:p></w:tc>")

    numeric = not item["text_table"]
    rows = ['<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>'
            + "".join(cell(c, widths[i], bold=True, right=numeric and i > 0)
                      for i, c in enumerate(columns)) + "</w:tr>"]
    for r, row in enumerate(item["rows"]):
        rows.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                    + "".join(cell(c, widths[i], right=numeric and i > 0,
                                   fill=fills.get(f"{r},{i}"))
                              for i, c in enumerate(row)) + "</w:tr>")
    if item["total"]:
        rows.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                    + "".join(cell(c, widths[i], bold=True, right=numeric and i > 0)
                              for i, c in enumerate(item["total"])) + "</w:tr>")
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return Markup(
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="1" w:firstColumn="1" '
        'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        f'<w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>'
        # Word requires a paragraph between a table and what follows in a cell/loop.
        '<w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>')


def toc(entries: list[dict[str, Any]], levels: int = 3) -> Markup:
    """A TOC field over headings 1–levels, its cached result listing the headings.

    Word and LibreOffice recompute it (page numbers) when fields are updated;
    settings ask Word to do so on opening.
    """
    instruction = f" TOC \\o \"1-{int(levels)}\" \\h \\z \\u "
    begin_field = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText '
                   f'xml:space="preserve">{instruction}</w:instrText></w:r>'
                   '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    end_field = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    paras = []
    for i, entry in enumerate(entries):
        begin = begin_field if i == 0 else ""
        end = end_field if i == len(entries) - 1 else ""
        style = f"TOC{min(int(entry['level']), 3)}"
        paras.append(f'<w:p><w:pPr><w:pStyle w:val="{style}"/><w:tabs><w:tab w:val="right" '
                     f'w:leader="dot" w:pos="9060"/></w:tabs></w:pPr>{begin}'
                     f"<w:r>{_t(entry['text'])}</w:r>{end}</w:p>")
    if not paras:
        paras.append(f"<w:p>{begin_field}{end_field}</w:p>")
    return Markup("".join(paras))


def update_fields_on_open(docx: Any) -> None:
    """Ask Word to refresh fields (TOC page numbers) when the file is opened."""
    settings = docx.settings.element
    tag = f"{{{W_NS}}}updateFields"
    if settings.find(tag) is not None:
        return
    el = etree.Element(tag)
    el.set(f"{{{W_NS}}}val", "true")
    # CT_Settings is a sequence: updateFields must precede these siblings.
    for child in settings:
        if etree.QName(child).localname in _AFTER_UPDATE_FIELDS:
            child.addprevious(el)
            return
    settings.append(el)


_AFTER_UPDATE_FIELDS = {
    "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
    "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
    "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
    "smartTagType", "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags",
    "decimalSymbol", "listSeparator"}


def set_image_description(inline_xml: Any, alt: str, title: str) -> None:
    """Alt text on a picture: docPr@descr is what screen readers announce."""
    docpr = inline_xml.find(".//{http://schemas.openxmlformats.org/drawingml/2006/"
                            "wordprocessingDrawing}docPr")
    docpr.set("descr", alt)
    docpr.set("title", title)
