"""Building blocks for the corpus's Word files: lines with direct formatting, styled
paragraphs, Word numbering, tables, pictures, headers, tracked changes, comments, text
boxes, and a LibreOffice round trip."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

TEXT = ("Arbetet ska bedrivas långsiktigt och uthålligt, utifrån en gemensam lägesbild och "
        "med tydliga roller för kommunen och polisen. Insatserna följs upp varje halvår i "
        "styrgruppen och redovisas för kommunstyrelsen en gång per år.")


def new() -> Document:
    return Document()


def line(doc, text: str = "", *, bold: bool = False, size: float | None = None,
         italic: bool = False, style: str | None = None, font: str | None = None):
    """A paragraph (Normal unless a style is named) with direct formatting."""
    p = doc.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        if size:
            run.font.size = Pt(size)
        if font:
            run.font.name = font
    return p


def prose(doc, n: int = 1) -> None:
    for _ in range(n):
        line(doc, TEXT)


def page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def custom_style(doc, name: str, *, size: float, bold: bool = True):
    """A paragraph style of the author's own, not based on a heading."""
    from docx.enum.style import WD_STYLE_TYPE

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = Pt(size)
    style.font.bold = bold
    return style


def table(doc, rows: list[list[str | None]], *, header_repeat: bool = False):
    t = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    t.style = "Table Grid"
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is not None:
                t.cell(r, c).text = value
    if header_repeat:
        tr_pr = t.rows[0]._tr.get_or_add_trPr()
        tr_pr.append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    return t


def png(width: int = 120, height: int = 80) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def picture(doc, width_cm: float = 8) -> None:
    doc.add_picture(io.BytesIO(png()), width=Cm(width_cm))


def numbering(doc, num_ids: int, *, kind: str = "decimal") -> list[int]:
    """An abstract numbering definition and num_ids list ids that all use it (as
    LibreOffice writes a list broken by other paragraphs); the ids."""
    part = doc.part.numbering_part.element
    abstract = 90 + len(part.findall(qn("w:abstractNum")))
    text = "%1." if kind == "decimal" else "•"
    part.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract}">'
        f'<w:multiLevelType w:val="hybridMultilevel"/>'
        f'<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="{kind}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>'))
    ids = []
    for _ in range(num_ids):
        num_id = 200 + len(part.findall(qn("w:num")))
        part.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId '
                              f'w:val="{abstract}"/></w:num>'))
        ids.append(num_id)
    return ids


def numbered(doc, text: str, num_id: int, level: int = 0, style: str | None = None):
    p = line(doc, text, style=style)
    p_pr = p._p.get_or_add_pPr()
    p_pr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>'
                          f'<w:numId w:val="{num_id}"/></w:numPr>'))
    return p


def outline_headings(doc) -> int:
    """Word's outline numbering (1, 1.1) linked to Heading 1 and Heading 2; the list id."""
    part = doc.part.numbering_part.element
    part.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="80">'
        '<w:multiLevelType w:val="multilevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:pStyle w:val="Heading1"/><w:lvlText w:val="%1"/><w:lvlJc w:val="left"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:pStyle w:val="Heading2"/><w:lvlText w:val="%1.%2"/><w:lvlJc w:val="left"/>'
        '</w:lvl></w:abstractNum>'))
    part.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="180"><w:abstractNumId '
                          'w:val="80"/></w:num>'))
    return 180


def header_footer(doc, header: str | None, footer: str | None) -> None:
    section = doc.sections[0]
    if header is not None:
        section.header.paragraphs[0].text = header
    if footer is not None:
        section.footer.paragraphs[0].text = footer


def tracked(p, inserted: str, deleted: str) -> None:
    """An insertion and a deletion left in the paragraph (tracked changes not accepted)."""
    p._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="901" w:author="Handläggare" '
        f'w:date="2024-02-01T10:00:00Z"><w:r><w:t xml:space="preserve">{inserted}</w:t>'
        f'</w:r></w:ins>'))
    p._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="902" w:author="Handläggare" '
        f'w:date="2024-02-01T10:00:00Z"><w:r><w:delText xml:space="preserve">{deleted}'
        f'</w:delText></w:r></w:del>'))


def textbox(doc, text: str) -> None:
    """A text box (a VML shape, as older Word and LibreOffice keep it) in a paragraph."""
    p = doc.add_paragraph()
    p._p.append(parse_xml(
        f'<w:r {nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
        '<v:shape id="tb1" style="width:200pt;height:60pt" type="#_x0000_t202">'
        f'<v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
        '</w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))


def new_section(doc, *, landscape: bool) -> None:
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    if landscape != (section.orientation == WD_ORIENT.LANDSCAPE):
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = section.page_height, section.page_width


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_round_trip(path: Path, via: str = "odt") -> Path:
    """The document saved by LibreOffice: .docx -> .odt -> .docx (what a LibreOffice
    user's file looks like); the path, replaced in place."""
    office = soffice()
    if office is None:
        raise RuntimeError("LibreOffice is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        env_arg = f"-env:UserInstallation=file://{profile}"
        middle = Path(tmp) / "mid"
        subprocess.run([office, env_arg, "--headless", "--convert-to", via, "--outdir",
                        str(middle), str(path)], check=True, capture_output=True, timeout=120)
        back = Path(tmp) / "back"
        subprocess.run([office, env_arg, "--headless", "--convert-to", "docx:MS Word 2007 XML",
                        "--outdir", str(back), str(middle / f"{path.stem}.{via}")],
                       check=True, capture_output=True, timeout=120)
        shutil.copyfile(back / f"{path.stem}.docx", path)
    return path
