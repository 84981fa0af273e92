#!/usr/bin/env python3
"""Write the starting Word templates in templates/ (run once; then edit them in Word).

The .docx files are the source of truth for layout. This script documents how
they were made and can recreate them from scratch: named styles only (no direct
formatting), a header naming the parties, "Sida N av M" in the footer, and one
loop over `body` that lays out every kind of item the context produces.

    .venv/bin/python tools/make_templates.py   # writes templates/*.docx
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from avtalsgen.render import save_reproducible

ROOT = Path(__file__).resolve().parents[1]
TYPES = {
    "agreement": "Samverkansöverenskommelse",
    "action_plan": "Verksamhetsplan",
    "situation_report": "Lägesbild",
    "citizen_promises": "Medborgarlöften",
    "appendices": "Bilagor",
    "follow_up": "Uppföljning",
}
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


def _style(doc, name, kind=WD_STYLE_TYPE.PARAGRAPH, base="Normal"):
    styles = doc.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, kind)
        if base:
            style.base_style = styles[base]
    return style


def _border(style, kind="single"):
    pPr = style.element.get_or_add_pPr()
    # Schema order (CT_PPrBase): pBdr goes before shd, tabs, spacing, ind, jc, …
    after = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
             "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
             "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
             "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
             "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
             "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
    pPr.insert_element_before(parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:bottom w:val="{kind}" w:sz="6" w:space="1" '
        f'w:color="000000"/></w:pBdr>'), *after)


def _tabs(style, stops):
    """Replace a style's tab stops: [(alignment, position in twips)]."""
    pPr = style.element.get_or_add_pPr()
    tabs = pPr.find(qn("w:tabs"))
    if tabs is not None:
        pPr.remove(tabs)
    pPr._insert_tabs(parse_xml(
        f'<w:tabs {nsdecls("w")}>'
        + "".join(f'<w:tab w:val="{kind}" w:pos="{pos}"/>' for kind, pos in stops)
        + "</w:tabs>"))


def setup_styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    # Document language for spell checking and screen readers.
    rpr_default = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    for lang in rpr.findall(qn("w:lang")):
        rpr.remove(lang)
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="sv-SE" w:eastAsia="sv-SE" '
                         'w:bidi="ar-SA"/>'))

    for name, size in (("Title", 26), ("Subtitle", 14)):
        s = doc.styles[name]
        s.font.size = Pt(size)
        s.font.color.rgb = ACCENT
    for level, size in ((1, 16), (2, 13), (3, 12), (4, 11)):
        s = doc.styles[f"Heading {level}"]
        s.font.size = Pt(size)
        s.font.color.rgb = ACCENT
        s.paragraph_format.keep_with_next = True

    label = _style(doc, "Label")
    label.font.bold = True
    label.paragraph_format.keep_with_next = True
    label.paragraph_format.space_after = Pt(2)

    numbered = _style(doc, "List Numbered")
    numbered.paragraph_format.left_indent = Cm(0.75)
    numbered.paragraph_format.first_line_indent = Cm(-0.75)
    numbered.paragraph_format.tab_stops.add_tab_stop(Cm(0.75))

    adopted = _style(doc, "Adopted")
    adopted.font.italic = True

    note = _style(doc, "Table Note")
    note.font.size = Pt(9)
    note.font.italic = True
    # A note before another note stays with it: caption, chart and notes on one page.
    _style(doc, "Table Note Kept", base="Table Note").paragraph_format.keep_with_next = True

    # Not "Figure": LibreOffice tags a paragraph by its style's name, and a paragraph
    # tagged /Figure (remapped to /P) breaks PDF/UA; the picture inside is the figure.
    figure = _style(doc, "Figure Block")
    figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    figure.paragraph_format.keep_with_next = True

    caption = doc.styles["Caption"]
    caption.font.size = Pt(9)
    caption.font.bold = False
    caption.font.italic = True

    signature_styles(doc)

    for name_, size, bold in (("Cover Party", 12, True), ("Cover Meta", 11, False)):
        cover = _style(doc, name_)
        cover.font.size = Pt(size)
        cover.font.bold = bold
        cover.font.color.rgb = ACCENT
        cover.paragraph_format.space_after = Pt(2)
    _style(doc, "Cover Title", base="Title").paragraph_format.space_before = Pt(96)

    toc_styles(doc)

    fn_text = _style(doc, "Footnote Text")
    fn_text.font.size = Pt(9)
    fn_text.paragraph_format.space_after = Pt(0)
    fn_ref = _style(doc, "Footnote Reference", WD_STYLE_TYPE.CHARACTER, base=None)
    fn_ref.font.superscript = True

    draft = _style(doc, "Draft Mark")
    draft.font.bold = True
    draft.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)


def signature_styles(doc) -> None:
    """One signature block in every template: per party "För <part>" and its place and
    date line, then per signatory a ruled line, the name and the title. Every paragraph
    but the block's last title keeps with the next: the block stands on one page."""
    party = _style(doc, "Signing Party")
    party.font.bold = True
    party.paragraph_format.space_before = Pt(18)
    party.paragraph_format.space_after = Pt(2)
    place = _style(doc, "Signing Place")
    place.paragraph_format.space_after = Pt(0)
    line = _style(doc, "Signature Line")
    line.paragraph_format.space_before = Pt(36)
    line.paragraph_format.space_after = Pt(2)
    line.paragraph_format.right_indent = Cm(8)
    _border(line, "single")
    name = _style(doc, "Signatory Name")
    name.paragraph_format.space_after = Pt(0)
    title = _style(doc, "Signatory Title")
    kept = _style(doc, "Signatory Title Kept", base="Signatory Title")
    for style in (party, place, line, name, kept):
        style.paragraph_format.keep_with_next = True
    for style in (party, place, line, name, title):
        style.paragraph_format.keep_together = True


def toc_styles(doc) -> None:
    """Word's own "toc 1"–"toc 4" (ids TOC1–TOC4), the same in every template: 0,5 cm
    more indentation a level, 2 pt after every entry, page numbers at the right margin
    behind dots. Under a name of our own ("TOC 3"), Word (updating the field on
    opening) and LibreOffice (updating it for the PDF) took their built-in entry styles
    instead, with other indentation and more space around level 3."""
    width = text_width(doc.sections[0])
    for level in (1, 2, 3, 4):
        toc = _style(doc, f"toc {level}")
        el = toc.element
        el.set(qn("w:styleId"), f"TOC{level}")
        el.attrib.pop(qn("w:customStyle"), None)
        toc.paragraph_format.left_indent = Cm(0.5 * (level - 1))
        toc.paragraph_format.first_line_indent = Cm(0)
        toc.paragraph_format.space_before = Pt(0)
        toc.paragraph_format.space_after = Pt(2)
        _tabs(toc, [("right", width)])
        tabs = el.get_or_add_pPr().find(qn("w:tabs"))
        tabs[0].set(qn("w:leader"), "dot")
        # As Word writes its built-in styles: next Normal, priority 39, shown when used.
        for tag, val in (("w:next", "Normal"), ("w:uiPriority", "39")):
            el.insert_element_before(parse_xml(f'<{tag} {nsdecls("w")} w:val="{val}"/>'),
                                     "w:link", "w:autoRedefine", "w:hidden", "w:uiPriority",
                                     "w:semiHidden", "w:unhideWhenUsed", "w:qFormat",
                                     "w:locked", "w:personal", "w:rsid", "w:pPr", "w:rPr")
        for tag in ("w:semiHidden", "w:unhideWhenUsed"):
            el.insert_element_before(parse_xml(f'<{tag} {nsdecls("w")}/>'),
                                     "w:qFormat", "w:locked", "w:personal", "w:rsid",
                                     "w:pPr", "w:rPr")


def add_footnotes_part(doc) -> None:
    """A footnotes part with Word's two separators; notes are added at render time."""
    xml = (
        f'<w:footnotes {nsdecls("w")}>'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" '
        'w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing '
        'w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/>'
        '</w:r></w:p></w:footnote></w:footnotes>')
    part = Part(PackURI("/word/footnotes.xml"), FOOTNOTES_CT, xml.encode("utf-8"),
                doc.part.package)
    doc.part.relate_to(part, RT.FOOTNOTES)


def when(doc, condition, text, style):
    """A paragraph shown only when the condition holds ({%p if %} … {%p endif %})."""
    p(doc, f"{{%p if {condition} %}}")
    p(doc, text, style=style)
    p(doc, "{%p endif %}")


def each(doc, items, style):
    """One paragraph per text in a list of the context."""
    p(doc, f"{{%p for text in {items} %}}")
    p(doc, "{{ text }}", style=style)
    p(doc, "{%p endfor %}")


def p(doc, text="", style=None, run_style=None):
    para = doc.add_paragraph(style=style)
    if text:
        para.add_run(text, style=run_style)
    return para


def add_field(paragraph, instruction: str, shown: str = "1") -> None:
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="begin"/>'))
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:instrText {nsdecls("w")} xml:space="preserve"> '
                            f'{instruction} </w:instrText>'))
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="separate"/>'))
    paragraph.add_run(shown)
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>'))


def add_page_of_pages(paragraph) -> None:
    """"Sida N av M": a reader of a printed agreement sees that no page is missing."""
    paragraph.add_run("Sida ")
    add_field(paragraph, "PAGE")
    paragraph.add_run(" av ")
    add_field(paragraph, "NUMPAGES")


def text_width(section) -> int:
    """The width between the margins, in twips: tab stops must not pass it."""
    return int((section.page_width - section.left_margin - section.right_margin) / 635)


def header_footer(doc) -> None:
    section = doc.sections[0]
    width = text_width(section)
    for name in ("Header", "Footer"):
        _tabs(doc.styles[name], [("center", width // 2), ("right", width)])
    # The cover has its own, empty first-page header and footer: no page number.
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    section.first_page_footer.is_linked_to_previous = False
    header = section.header.paragraphs[0]
    header.style = doc.styles["Header"]
    header.add_run("{% if header %}{% if logo %}{{ logo }} {% endif %}")
    header.add_run("{{ kommun.header }}")
    header.add_run("\t\t")
    header.add_run("{{ polis.header }}{% endif %}")
    draft = section.header.add_paragraph(style="Draft Mark")
    draft.add_run("{% if draft %}UTKAST version {{ draft.version }}"
                  "{% if draft.date %}, {{ draft.date }}{% endif %}{% endif %}")

    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_page_of_pages(footer)


def notes(doc) -> None:
    """Source and sample-data notes under a table or chart."""
    p(doc, "{%p for note in it.notes %}")
    p(doc, "{%p if loop.last %}")
    p(doc, "{{ note }}", style="Table Note")
    p(doc, "{%p else %}")
    p(doc, "{{ note }}", style="Table Note Kept")
    p(doc, "{%p endif %}")
    p(doc, "{%p endfor %}")


def body_loop(doc) -> None:
    """One paragraph per line; {%p %} paragraphs vanish when rendered."""
    p(doc, "{%p for it in body %}")
    # Numbered headings and list items come whole, with Word numbering (w:numPr).
    p(doc, "{%p if it.kind in ('heading', 'numbered') and it.num %}")
    p(doc, "{{p it.xml }}")
    first = False
    for level in (1, 2, 3, 4):
        kw = "if" if first else "elif"
        first = False
        p(doc, f"{{%p {kw} it.kind == 'heading' and it.level == {level} %}}")
        p(doc, "{{ it.text }}", style=f"Heading {level}")
    for style, para_style, run_style in (("emphasis", None, "Emphasis"),
                                         ("strong", None, "Strong"),
                                         ("quote", "Quote", None),
                                         ("normal", None, None)):
        p(doc, f"{{%p elif it.kind == 'paragraph' and it.style == '{style}' %}}")
        para = p(doc, "{{ it.text }}", style=para_style, run_style=run_style)
        para.add_run("{{ it.footnote | footnote_ref }}")
    p(doc, "{%p elif it.kind == 'label' %}")
    p(doc, "{{ it.text }}", style="Label")
    for style, run_style in (("emphasis", "Emphasis"), ("strong", "Strong"),
                             ("normal", None)):
        p(doc, f"{{%p elif it.kind == 'bullet' and it.style == '{style}' %}}")
        para = p(doc, "{{ it.text }}", style="List Bullet", run_style=run_style)
        para.add_run("{{ it.footnote | footnote_ref }}")
    p(doc, "{%p elif it.kind == 'table' %}")
    # One title per table: the numbered caption ("Tabell 1. …") when there is one.
    when(doc, "it.title and 'caption_text' not in it", "{{ it.title }}", "Caption")
    p(doc, "{{p it.xml }}")
    notes(doc)
    p(doc, "{%p elif it.kind in ('chart', 'picture') %}")
    p(doc, "{{ it.image }}", style="Figure Block")
    p(doc, "{{p it.caption_xml }}")
    notes(doc)
    p(doc, "{%p elif it.kind == 'signatures' %}")
    when(doc, "it.place_date", "{{ it.place_date }}", "Signing Place")
    p(doc, "{%p for g in it.parties %}")
    when(doc, "g.label", "{{ g.label }}", "Signing Party")
    when(doc, "g.place_date", "{{ g.place_date }}", "Signing Place")
    p(doc, "{%p for s in g.signatories %}")
    when(doc, "s.place_date", "{{ s.place_date }}", "Signing Place")
    p(doc, "", style="Signature Line")
    p(doc, "{{ s.name }}", style="Signatory Name")
    p(doc, "{%p if s.last %}")
    p(doc, "{{ s.title }}", style="Signatory Title")
    p(doc, "{%p else %}")
    p(doc, "{{ s.title }}", style="Signatory Title Kept")
    p(doc, "{%p endif %}")
    p(doc, "{%p endfor %}")
    p(doc, "{%p endfor %}")
    p(doc, "{%p elif it.kind == 'toc' %}")
    p(doc, "{{ it.title }}", style="TOC Heading")
    p(doc, "{{p it.xml }}")
    p(doc, "{%p elif it.kind == 'page_break' %}")
    p(doc).add_run().add_break(WD_BREAK.PAGE)
    p(doc, "{%p endif %}")
    p(doc, "{%p endfor %}")


def cover(doc) -> None:
    """The title page (both parties, title, period, status), or a plain title block."""
    p(doc, "{%p if doc.title_page %}")
    p(doc, "{%p if logo %}")
    p(doc, "{{ logo }}")
    p(doc, "{%p endif %}")
    p(doc, "{{ kommun.name }}", style="Cover Party")
    p(doc, "{{ polis.name }}", style="Cover Party")
    p(doc, "{{ doc.title }}", style="Cover Title")
    when(doc, "doc.subtitle", "{{ doc.subtitle }}", "Subtitle")
    p(doc, "Period: {{ period }}", style="Cover Meta")
    when(doc, "doc.adopted", "{{ doc.adopted }}", "Cover Meta")
    each(doc, "approvals", "Cover Meta")
    p(doc, "{%p if draft %}")
    p(doc, "UTKAST version {{ draft.version }}{% if draft.date %}, {{ draft.date }}{% endif %}",
      style="Draft Mark")
    p(doc, "{%p endif %}")
    p(doc, "{%p else %}")
    p(doc, "{{ doc.title }}", style="Title")
    when(doc, "doc.subtitle", "{{ doc.subtitle }}", "Subtitle")
    when(doc, "doc.adopted", "{{ doc.adopted }}", "Adopted")
    each(doc, "approvals", "Adopted")
    p(doc, "{%p endif %}")


LEGACY_RELS = {
    # Word 2010's copy of styles.xml: optional, and a stale copy makes Word repair the file.
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    # python-docx's sample thumbnail and customXml: not this document's.
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail",
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml",
}


def drop_legacy_parts(doc) -> None:
    for owner in (doc.part, doc.part.package):
        for r_id, rel in list(owner.rels.items()):
            if rel.reltype in LEGACY_RELS:
                del owner.rels[r_id]


# The table styles a document uses: Word's default and the grid wordxml.table asks for.
TABLE_STYLES = {"TableNormal", "TableGrid"}


def drop_unused_table_styles(doc) -> None:
    """python-docx's default template carries about a hundred table styles (310 of its
    350 KB of styles): every document would parse, write and compress them. Word keeps
    its built-in styles itself, so the gallery still offers them."""
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:type")) == "table" and style.get(qn("w:styleId")) not in TABLE_STYLES:
            styles.remove(style)


def make(kind: str, out: Path) -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    setup_styles(doc)  # after the margins: tab stops at the text's right edge
    add_footnotes_part(doc)
    header_footer(doc)

    cover(doc)
    body_loop(doc)
    drop_legacy_parts(doc)
    drop_unused_table_styles(doc)

    props = doc.core_properties
    props.title = TYPES[kind]
    props.author = "avtalsgen"
    props.language = "sv-SE"
    out.parent.mkdir(parents=True, exist_ok=True)
    # Fixed timestamps inside the package: recreating a template changes no bytes.
    out.write_bytes(save_reproducible(doc))


def main() -> int:
    for kind in TYPES:
        make(kind, ROOT / "templates" / f"{kind}.docx")
        print(f"templates/{kind}.docx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
