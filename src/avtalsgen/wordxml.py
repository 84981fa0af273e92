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

from .fontmetrics import em_width

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


# --- tables --------------------------------------------------------------------------

# Table text is measured at the template's font, Calibri 11 pt, with the metrics of the
# metric-compatible Carlito that come with the package (fontmetrics), never a system font.
_TABLE_PT = 11
_SMALLER_PT = (10, 9, 8)  # for a table whose longest words do not fit side by side at 11 pt
_CELL_MARGINS = 108 + 108  # Word's default left and right cell margins, twips
_WORD_SAFETY = 60  # twips: rounding, borders, small differences between renderers
_HEADER_FILL = "DCE3EC"
# Where a line may break: whitespace (not the non-breaking kinds), after a hyphen before a
# letter. What lies between is a word, and no word may be broken.
_LINE_BREAK = re.compile(r"[^\S\u00a0\u2007\u202f]+|(?<=-)(?=[^\W\d_])")


def _word_twips(word: str, size_pt: float, bold: bool) -> float:
    """How wide a word is set at size_pt, in twips."""
    return em_width(word, bold) * size_pt * 20


def _min_widths(rows: list[tuple[list[str], bool]], n: int, size_pt: float) -> list[int]:
    """Per column: its longest word (bold rows in bold) plus cell margins and a safety."""
    need = [0.0] * n
    for cells, bold in rows:
        for i, text in enumerate(cells[:n]):
            for word in _LINE_BREAK.split(text):
                if word:
                    need[i] = max(need[i], _word_twips(word, size_pt, bold))
    return [int(w) + 1 + _CELL_MARGINS + _WORD_SAFETY for w in need]


def _distribute(base: list[int], mins: list[int], width: int) -> list[int]:
    """The `base` widths if each column gets its minimum; otherwise every column short of
    its minimum gets just that and the others share the rest in proportion to `base`."""
    if all(b >= m for b, m in zip(base, mins, strict=True)):
        return list(base)
    fixed: dict[int, int] = {}
    while True:
        free = [i for i in range(len(base)) if i not in fixed]
        room = width - sum(fixed.values())
        weight = sum(base[i] for i in free)
        share = {i: room * base[i] // weight for i in free} if weight else {}
        short = [i for i in free if share[i] < mins[i]]
        if not short:
            return [fixed[i] if i in fixed else share[i] for i in range(len(base))]
        fixed.update((i, mins[i]) for i in short)


def _layout(rows: list[tuple[list[str], bool]], base: list[int],
            width: int) -> tuple[int, list[int]]:
    """(font size in pt, column widths): the largest size at which no word breaks."""
    for size in (_TABLE_PT, *_SMALLER_PT):
        mins = _min_widths(rows, len(base), size)
        if sum(mins) <= width:
            return size, _distribute(base, mins, width)
    # A word wider than the text even at the smallest size: share the width in proportion
    # to what each column needs (that word has to break).
    return size, [width * m // sum(mins) for m in mins]


def _vertical_merges(rows: list[list[str]], columns: Any) -> dict[tuple[int, int], str]:
    """{(row, column): "restart" | "continue"}: in the `columns` given, an empty cell
    continues the cell above it (a cause spanning its measures)."""
    merges: dict[tuple[int, int], str] = {}
    for c in columns:
        start = None
        for r, row in enumerate(rows):
            if start is not None and row[c] == "":
                merges[(start, c)] = "restart"
                merges[(r, c)] = "continue"
            else:
                start = r
    return merges


_VMERGE = {"restart": '<w:vMerge w:val="restart"/>', "continue": "<w:vMerge/>"}


def table(item: dict[str, Any], width_twips: int = 9070) -> Markup:
    """A table with a repeating, marked and shaded header row (accessibility), a total
    row, and columns no narrower than their longest word (a smaller font if need be)."""
    columns = item["columns"]
    n = len(columns)
    if item.get("weights"):
        total = sum(item["weights"])
        base = [width_twips * w // total for w in item["weights"]]
    else:
        # Numeric tables: a wider label column; text tables: equal columns.
        first = width_twips * 2 // 5 if n > 2 and not item["text_table"] else width_twips // n
        rest = (width_twips - first) // max(n - 1, 1)
        base = [first] + [rest] * (n - 1)
    body = item["rows"]
    measured = [(columns, True), *((row, False) for row in body)]
    if item["total"]:
        measured.append((item["total"], True))
    size, widths = _layout(measured, base, width_twips)
    # Run and paragraph-mark size, only when smaller than the template's.
    sz = "" if size == _TABLE_PT else f'<w:sz w:val="{2 * size}"/><w:szCs w:val="{2 * size}"/>'

    fills = item.get("fills") or {}
    merges = _vertical_merges(body, item.get("merge_down") or ())

    def cell(text: str, w: int, *, bold: bool = False, right: bool = False,
             fill: str | None = None, merge: str | None = None, italic: bool = False) -> str:
        # Schema order: tcPr (tcW, gridSpan, vMerge, tcBorders, shd), pPr (spacing, jc,
        # rPr), rPr (b, sz, szCs).
        vmerge = _VMERGE[merge] if merge else ""
        shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
        ppr = ('<w:pPr><w:spacing w:after="0"/>' + ('<w:jc w:val="right"/>' if right else "")
               + (f"<w:rPr>{sz}</w:rPr>" if sz else "") + "</w:pPr>")
        props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "") + sz
        runs = _runs(text)
        if props:
            runs = runs.replace("<w:r>", f"<w:r><w:rPr>{props}</w:rPr>")
        return (f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{vmerge}{shading}</w:tcPr>'
                f"<w:p>{ppr}{runs}</w:p></w:tc>")

    numeric = not item["text_table"]
    # An empty header cell stays unshaded: a coloured cell always carries text.
    rows = ['<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>'
            + "".join(cell(c, widths[i], bold=True, right=numeric and i > 0,
                           fill=_HEADER_FILL if c.strip() else None)
                      for i, c in enumerate(columns)) + "</w:tr>"]
    styles = list(item.get("column_styles") or ()) + [None] * n
    for r, row in enumerate(body):
        rows.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                    + "".join(cell(c, widths[i], right=numeric and i > 0,
                                   fill=fills.get(f"{r},{i}"), merge=merges.get((r, i)),
                                   bold=styles[i] == "strong", italic=styles[i] == "emphasis")
                              for i, c in enumerate(row)) + "</w:tr>")
    if item["total"]:
        rows.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                    + "".join(cell(c, widths[i], bold=True, right=numeric and i > 0)
                              for i, c in enumerate(item["total"])) + "</w:tr>")
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    # A numbered caption ("Tabell 2. …") travels with its table, whatever the template.
    head = caption(item["label"], item["number"], item["caption_text"], keep_next=True) \
        if item.get("caption_text") else ""
    return Markup(
        f'{head}<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="1" w:firstColumn="1" '
        'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        f'<w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>'
        # Word requires a paragraph between a table and what follows in a cell/loop.
        '<w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>')

def toc(entries: list[dict[str, Any]], levels: int = 3, by_entry: bool = False) -> Markup:
    """A TOC field over headings 1–levels (or, by_entry, over TC entries on the chosen
    headings), its cached result listing the headings.

    Word and LibreOffice recompute it (page numbers) when fields are updated;
    settings ask Word to do so on opening.
    """
    instruction = (" TOC \\f \\h \\z " if by_entry
                   else f" TOC \\o \"1-{int(levels)}\" \\h \\z \\u ")
    begin_field = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText '
                   f'xml:space="preserve">{instruction}</w:instrText></w:r>'
                   '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
    end_field = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    paras = []
    for i, entry in enumerate(entries):
        begin = begin_field if i == 0 else ""
        end = end_field if i == len(entries) - 1 else ""
        # The template's "toc N" (indentation, spacing, dotted tab), as Word updates it.
        style = f"TOC{min(int(entry['level']), 4)}"
        paras.append(f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{begin}'
                     f"<w:r>{_t(entry['text'])}</w:r>{end}</w:p>")
    if not paras:
        paras.append(f"<w:p>{begin_field}{end_field}</w:p>")
    return Markup("".join(paras))


def toc_entry(entry: dict[str, Any]) -> str:
    """Runs of a TC field: an invisible contents entry in the heading it stands in."""
    text = escape(entry["text"]).replace('"', '\\"')
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space='
            f'"preserve"> TC "{text}" \\l {int(entry["level"])} </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


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


def set_image_description(inline_xml: Any, alt: str, title: str,
                          name: str | None = None) -> None:
    """Alt text on a picture: docPr@descr is what screen readers announce; name, the
    shape's name in Word, says what a picture was drawn from ("Linjediagram")."""
    docpr = inline_xml.find(".//{http://schemas.openxmlformats.org/drawingml/2006/"
                            "wordprocessingDrawing}docPr")
    docpr.set("descr", alt)
    docpr.set("title", title)
    if name:
        docpr.set("name", name)


# --- Word numbering, captions, page breaks ---------------------------------------------

def paragraph(style_id: str, text: str, num: dict[str, Any] | None = None,
              footnote_id: int | None = None, footnote_at: int | None = None,
              extra: str = "") -> Markup:
    """A whole paragraph in a style, numbered by Word when `num` is given; the footnote
    reference at footnote_at (a position in text) or at the end."""
    num_pr = (f'<w:numPr><w:ilvl w:val="{int(num["level"])}"/><w:numId '
              f'w:val="{int(num["id"]) + ABSTRACT_BASE}"/></w:numPr>') if num else ""
    note = ('<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>'
            f'<w:footnoteReference w:id="{int(footnote_id)}"/></w:r>') if footnote_id else ""
    at = len(text) if footnote_at is None else footnote_at
    return Markup(f'<w:p><w:pPr><w:pStyle w:val="{escape(style_id)}"/>{num_pr}</w:pPr>'
                  f"{_runs(text[:at])}{note}{_runs(text[at:])}{extra}</w:p>")


def caption(label: str, number: int, text: str, keep_next: bool = False) -> Markup:
    """"Figur 3. text" with the number as a SEQ field, so Word can list figures and
    cross-reference them; keep_next holds it on the page of what follows it."""
    field = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText '
             f'xml:space="preserve"> SEQ {escape(label)} \\* ARABIC </w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
             f'<w:r>{_t(str(int(number)))}</w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')
    keep = "<w:keepNext/>" if keep_next else ""
    return Markup(f'<w:p><w:pPr><w:pStyle w:val="Caption"/>{keep}</w:pPr><w:r>{_t(label + " ")}'
                  f"</w:r>{field}<w:r>{_t('. ' + text)}</w:r></w:p>")


# Our numbering definitions get ids far from a template's own.
ABSTRACT_BASE = 900


def _heading_levels(first: str) -> str:
    """Level 0 as the config's format ("%1.", "Åtgärd %1:"), deeper levels "%1.%2"."""
    out = []
    for i in range(9):
        text = first if i == 0 else ".".join(f"%{k + 1}" for k in range(i + 1))
        value = escape(text, {'"': "&quot;"})
        out.append(f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
                   f'<w:suff w:val="space"/><w:lvlText w:val="{value}"/>'
                   '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="0" w:firstLine="0"/></w:pPr>'
                   "</w:lvl>")
    return "".join(out)


_LIST_LEVELS = "".join(
    f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
    f'<w:lvlText w:val="%{i + 1}."/><w:lvlJc w:val="left"/><w:pPr><w:tabs><w:tab '
    f'w:val="num" w:pos="{425 * (i + 1)}"/></w:tabs><w:ind w:left="{425 * (i + 1)}" '
    'w:hanging="425"/></w:pPr></w:lvl>' for i in range(9))


def add_numbering(docx: Any, numberings: list[dict[str, Any]]) -> None:
    """Numbering definitions for numbered headings and lists: one abstract definition per
    kind and format, one instance per group, starting where the config says."""
    if not numberings:
        return
    root = docx.part.numbering_part.element
    w = f"{{{W_NS}}}"
    first_num = root.find(f"{w}num")
    abstract: dict[tuple[str, str], int] = {}
    for entry in numberings:
        key = (entry["kind"], entry["format"])
        if key in abstract:
            continue
        abstract[key] = ABSTRACT_BASE + len(abstract)
        levels = _LIST_LEVELS if entry["kind"] == "list" else _heading_levels(
            entry["format"].replace("{n}", "%1"))
        el = etree.fromstring(
            f'<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{abstract[key]}">'
            f'<w:multiLevelType w:val="multilevel"/>{levels}</w:abstractNum>')
        # Schema order: every abstractNum before the first num.
        if first_num is not None:
            first_num.addprevious(el)
        else:
            root.append(el)
    for num_id, entry in enumerate(numberings, start=1):
        overrides = "".join(
            f'<w:lvlOverride w:ilvl="{i}"><w:startOverride '
            f'w:val="{int(entry["start"]) if i == 0 else 1}"/></w:lvlOverride>'
            for i in range(9))
        root.append(etree.fromstring(
            f'<w:num xmlns:w="{W_NS}" w:numId="{num_id + ABSTRACT_BASE}"><w:abstractNumId '
            f'w:val="{abstract[(entry["kind"], entry["format"])]}"/>{overrides}</w:num>'))


def page_breaks_to_properties(docx: Any) -> None:
    """A paragraph holding only a page break becomes `pageBreakBefore` on the paragraph
    after it: no empty paragraph that spills onto a blank page."""
    w = f"{{{W_NS}}}"
    body = docx.element.body
    # From the page breaks, not every paragraph: a document has few of them.
    for br in list(body.iter(f"{w}br")):
        run = br.getparent()
        p = run.getparent() if run is not None else None
        if br.get(f"{w}type") != "page" or run.tag != f"{w}r" or p is None \
                or p.tag != f"{w}p" or len(run) != 1 or len(p.findall(f"{w}r")) != 1 \
                or p.find(f".//{w}t") is not None:
            continue
        following = p.getnext()
        if following is None or following.tag != f"{w}p":
            continue
        ppr = following.find(f"{w}pPr")
        if ppr is None:
            ppr = etree.SubElement(following, f"{w}pPr")
            following.insert(0, ppr)
        if ppr.find(f"{w}pageBreakBefore") is None:
            el = etree.Element(f"{w}pageBreakBefore")
            # CT_PPrBase order: pStyle, keepNext, keepLines, pageBreakBefore, …
            anchor = None
            for tag in ("keepLines", "keepNext", "pStyle"):
                anchor = ppr.find(f"{w}{tag}")
                if anchor is not None:
                    break
            if anchor is not None:
                anchor.addnext(el)
            else:
                ppr.insert(0, el)
        p.getparent().remove(p)


# --- document properties -----------------------------------------------------------

CORE_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
CORE_RT = ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
           "core-properties")
APP_RT = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
          "extended-properties")


def set_properties(docx: Any, props: dict[str, Any]) -> None:
    """Write docProps/core.xml and app.xml ourselves, each property once in its own
    namespace (python-docx and docxcompose together write some twice, in a wrong one)."""
    from . import __version__

    def el(tag: str, value: Any) -> str:
        return f"<{tag}>{escape(str(value))}</{tag}>" if value not in (None, "") else ""

    def stamp(tag: str, when: Any) -> str:
        return (f'<dcterms:{tag} xsi:type="dcterms:W3CDTF">'
                f'{when.strftime("%Y-%m-%dT%H:%M:%SZ")}</dcterms:{tag}>')

    decls = " ".join(f'xmlns:{k}="{v}"' for k, v in CORE_NS.items())
    core = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        f"<cp:coreProperties {decls}>"
        + el("dc:title", props.get("title")) + el("dc:subject", props.get("subject"))
        + el("dc:creator", props.get("author")) + el("cp:keywords", props.get("keywords"))
        + el("dc:description", " ".join(x for x in (props.get("approved"), f"Skapad med "
                                    f"avtalsgen {__version__}.") if x))
        + el("cp:lastModifiedBy", props.get("author")) + el("cp:revision", 1)
        + stamp("created", props["created"]) + stamp("modified", props["modified"])
        + el("dc:language", props.get("language"))
        + el("cp:contentStatus", props.get("content_status"))
        + el("cp:version", props.get("version"))
        + "</cp:coreProperties>")
    app = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
           f'<Properties xmlns="{APP_NS}"><Application>avtalsgen {escape(__version__)}'
           "</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
           "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
           "<HyperlinksChanged>false</HyperlinksChanged></Properties>")
    package = docx.part.package
    for rel in package.rels.values():
        if rel.reltype == CORE_RT:
            rel.target_part._element = etree.fromstring(core.encode("utf-8"))
        elif rel.reltype == APP_RT:
            rel.target_part._blob = app.encode("utf-8")
