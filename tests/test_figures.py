"""Consistent parts of every document (issue 22): one series of figures and one of tables,
numbered by SEQ fields; a chart drawn as a picture still known as a chart on import."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm
from lxml import etree

from avtalsgen.build import Options, init_municipality, render_many
from avtalsgen.importing.word import import_docx
from avtalsgen.render import charts_as_pictures

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds and the init example, rendered once (charts as Word charts)."""
    out = tmp_path_factory.mktemp("out")
    example = tmp_path_factory.mktemp("example")
    init_municipality("exempelby", example, "Exempelby")
    for slugs, root in ((["lulea", "skelleftea", "strangnas"], MUNICIPALITIES),
                        (["exempelby"], example)):
        for outcome in render_many(slugs, Options(out_dir=out), root=root):
            assert outcome.error is None, f"{outcome.slug}: {outcome.error}"
    return out


def _documents(rendered: Path) -> list[Path]:
    return sorted(rendered.glob("*/*.docx"))


def _captions(path: Path) -> list[tuple[str, str, str]]:
    """Each caption paragraph: its text, its label and its SEQ field's name."""
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    found = []
    for p in root.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is None or style.get(f"{W}val") != "Caption":
            continue
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        instr = "".join(t.text or "" for t in p.iter(f"{W}instrText"))
        seq = re.match(r"\s*SEQ (\S+)", instr)
        found.append((text, text.split(" ")[0], seq.group(1) if seq else ""))
    return found


def test_figures_and_tables_are_numbered_one_series_each(rendered: Path) -> None:
    """Charts of every kind and pictures are "Figur 1…n", tables "Tabell 1…n", each
    number a SEQ field named by its label."""
    figures_seen = 0
    for path in _documents(rendered):
        # Numbered captions; a table's title without a caption is in the style too.
        captions = [c for c in _captions(path) if c[2] or re.match(r"\w+ \d+\. ", c[0])]
        labels = {label for _, label, _ in captions}
        assert labels <= {"Figur", "Tabell"}, (path, labels)
        for label in ("Figur", "Tabell"):
            mine = [(text, seq) for text, lab, seq in captions if lab == label]
            assert [int(text.split(" ")[1].rstrip(".")) for text, _ in mine] == \
                list(range(1, len(mine) + 1)), (path, mine)
            assert all(seq == label for _, seq in mine), (path, mine)
        figures_seen += sum(1 for _, label, _ in captions if label == "Figur")
    assert figures_seen >= 10  # Skellefteå's ten charts, Luleå's pictures, the example's


def test_a_chart_kept_as_a_picture_is_known_by_new_and_old_captions(tmp_path: Path) -> None:
    """A picture named by its chart's kind under "Figur N.", and a picture under an
    earlier version's "Linjediagram N.", are both noted as charts; a plain figure not."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (40, 90, 160)).save(buffer, format="PNG")
    doc = Document()
    doc.add_heading("Lägesbild Provby", level=0)
    doc.add_heading("Brott", level=1)
    for shape, caption in (("Stapeldiagram", "Figur 1. Brott per år"),
                           (None, "Linjediagram 2. Otrygghet per år"),
                           (None, "Figur 3. Karta över centrum")):
        doc.add_paragraph().add_run().add_picture(io.BytesIO(buffer.getvalue()), width=Cm(6))
        docpr = doc.paragraphs[-1]._p.findall(".//" + qn("wp:docPr"))[0]
        docpr.set("descr", f"Bild: {caption}")
        if shape:
            docpr.set("name", shape)
        doc.add_paragraph(caption, style="Caption")
    source = tmp_path / "lagesbild.docx"
    doc.save(str(source))
    report = import_docx(source, tmp_path / "provby")
    notes = [n for n in report.notes("en") if "was a chart" in n]
    assert len(notes) == 2, report.notes("en")
    assert "(Stapeldiagram)" in notes[0] and "(Linjediagram)" in notes[1]


def test_a_chart_drawn_as_a_picture_is_named_by_its_kind(tmp_path: Path) -> None:
    with charts_as_pictures():
        outcomes = render_many(["skelleftea"], Options(out_dir=tmp_path), root=MUNICIPALITIES)
    assert outcomes[0].error is None
    with zipfile.ZipFile(tmp_path / "skelleftea" / "underlag.docx") as z:
        xml = z.read("word/document.xml").decode()
    names = re.findall(r'<wp:docPr [^>]*name="([^"]*)"', xml)
    assert names.count("Linjediagram") == 9 and names.count("Cirkeldiagram") == 1


TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "templates").glob("*.docx"))


def _styles(template: Path) -> etree._Element:
    with zipfile.ZipFile(template) as z:
        return etree.fromstring(z.read("word/styles.xml"))


def _style(styles: etree._Element, style_id: str) -> bytes:
    [style] = [s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == style_id]
    return etree.tostring(style)


def test_every_template_has_the_same_toc_styles() -> None:
    """Word's own "toc 1"–"toc 4" (Word and LibreOffice use them when they update the
    contents), the same in every template: 0,5 cm more indentation a level and the same
    spacing at every level, level 3 too."""
    first = _styles(TEMPLATES[0])
    indents = []
    for level in (1, 2, 3, 4):
        style = _style(first, f"TOC{level}")
        for template in TEMPLATES[1:]:
            assert _style(_styles(template), f"TOC{level}") == style, (template, level)
        el = etree.fromstring(style)
        assert el.find(f"{W}name").get(f"{W}val") == f"toc {level}"
        assert el.get(f"{W}customStyle") is None
        spacing = el.find(f"{W}pPr/{W}spacing")
        assert (spacing.get(f"{W}before"), spacing.get(f"{W}after")) == ("0", "40")
        indents.append(int(el.find(f"{W}pPr/{W}ind").get(f"{W}left")))
    assert indents == [0, 283, 567, 850]


def test_contents_entries_use_the_styles_and_no_formatting_of_their_own(
        rendered: Path) -> None:
    with zipfile.ZipFile(rendered / "skelleftea" / "underlag.docx") as z:
        root = etree.fromstring(z.read("word/document.xml"))
    entries = [p for p in root.iter(f"{W}p")
               if (s := p.find(f"{W}pPr/{W}pStyle")) is not None
               and s.get(f"{W}val").startswith("TOC") and s.get(f"{W}val") != "TOCHeading"]
    assert len(entries) > 5
    assert all(len(p.find(f"{W}pPr")) == 1 for p in entries)  # the style alone


def test_the_cover_shows_the_documents_own_period(rendered: Path) -> None:
    """A verksamhetsplan for 2020–2021 under an agreement for 2020–2023 shows its own
    years; an agreement with validity dates shows them."""
    def cover(path: Path) -> list[str]:
        return [p.text for p in Document(str(path)).paragraphs if p.style.name == "Cover Meta"]

    assert "Period: 2020–2021" in cover(rendered / "lulea" / "verksamhetsplan.docx")
    assert "Period: 2019-12-20 – 2023-06-01" in cover(
        rendered / "strangnas" / "samverkansoverenskommelse.docx")


SIGNATURE_STYLES = ("SigningParty", "SigningPlace", "SignatureLine", "SignatoryName",
                    "SignatoryTitle", "SignatoryTitleKept")


def _signature_loop(template: Path) -> list[str]:
    """The template's paragraphs from the signatures branch of the body loop: text and
    style of each."""
    with zipfile.ZipFile(template) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    out, inside = [], False
    for p in root.iter(f"{W}p"):
        text = "".join(t.text or "" for t in p.iter(f"{W}t"))
        if "it.kind == 'signatures'" in text:
            inside = True
        elif inside and "{%p elif" in text:
            break
        if inside:
            style = p.find(f"{W}pPr/{W}pStyle")
            out.append(f"{style.get(f'{W}val') if style is not None else ''}|{text}")
    return out


def test_one_signature_design_in_every_template() -> None:
    """The same signature styles and the same block (party, place and date, line, name,
    title) in every template; no dotted line or title above the name left to choose."""
    first = _styles(TEMPLATES[0])
    loop = _signature_loop(TEMPLATES[0])
    assert [x.split("|")[0] for x in loop if x.split("|")[0]] == [
        "SigningPlace", "SigningParty", "SigningPlace", "SigningPlace", "SignatureLine",
        "SignatoryName", "SignatoryTitle", "SignatoryTitleKept"]
    for template in TEMPLATES:
        styles = _styles(template)
        for style_id in SIGNATURE_STYLES:
            assert _style(styles, style_id) == _style(first, style_id), (template, style_id)
        ids = {s.get(f"{W}styleId") for s in styles.iter(f"{W}style")}
        assert not ids & {"SignatureLineDotted", "SignatoryTitleAbove"}, template
        assert _signature_loop(template) == loop, template
    for style_id in SIGNATURE_STYLES:  # every paragraph but the last title keeps with the next
        keep = etree.fromstring(_style(first, style_id)).find(f"{W}pPr/{W}keepNext")
        assert (keep is not None) == (style_id != "SignatoryTitle"), style_id


def test_signature_blocks_name_each_party(rendered: Path) -> None:
    doc = Document(str(rendered / "strangnas" / "samverkansoverenskommelse.docx"))
    block = [(p.style.name, p.text) for p in doc.paragraphs
             if p.style.name.startswith(("Signing", "Signature", "Signatory"))]
    assert block == [
        ("Signing Place", "Strängnäs kommun 20 december 2019"),
        ("Signing Party", "För Strängnäs kommun"), ("Signature Line", ""),
        ("Signatory Name", "Lars Ekström"),
        ("Signatory Title Kept", "Kommundirektör Strängnäs kommun"),
        ("Signing Party", "För Lokalpolisområde Eskilstuna"), ("Signature Line", ""),
        ("Signatory Name", "Christer Sjöqvist"),
        ("Signatory Title", "Lokalpolisområdeschef LPOE")]
