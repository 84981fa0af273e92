"""What a reader sees on the page: header inside the margins, a real cover, no blank
pages, signatures kept together, figures with their captions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES, REPO, convert_to_pdf, soffice, tool
from docx import Document
from docx.shared import Length

from avtalsgen.build import Options, init_municipality, render_many, render_municipality
from avtalsgen.errors import ConfigError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every seed document and every document of the `init` example."""
    out = tmp_path_factory.mktemp("layout")
    root = tmp_path_factory.mktemp("roots")
    for slug in ("lulea", "skelleftea", "strangnas"):
        shutil.copytree(MUNICIPALITIES / slug, root / slug)
    init_municipality("exempelby", root, "Exempelby")
    outcomes = render_many(["lulea", "skelleftea", "strangnas", "exempelby"],
                           Options(out_dir=out), root=root)
    assert all(o.error is None for o in outcomes), [str(o.error) for o in outcomes]
    return sorted(out.rglob("*.docx"))


def _tabs(element) -> list[int]:
    """Tab stops set on a style or paragraph (not tab characters in its runs)."""
    return [int(t.get(f"{W}pos")) for t in element.iterfind(f".//{W}pPr/{W}tabs/{W}tab")
            if t.get(f"{W}val") != "clear"]


def _inherited(style, attribute: str):
    """A paragraph format value as Word resolves it: from the style or its bases."""
    while style is not None:
        value = getattr(style.paragraph_format, attribute)
        if value is not None:
            return value
        style = style.base_style
    return None


def test_header_and_footer_tab_stops_stay_inside_the_text_width(documents: list[Path]) -> None:
    for path in documents:
        doc = Document(str(path))
        section = doc.sections[0]
        width = Length(section.page_width - section.left_margin - section.right_margin).twips
        for style in ("Header", "Footer"):
            stops = _tabs(doc.styles[style].element)
            assert stops and max(stops) <= width, (path.name, style, stops, width)
        for paragraph in [*section.header.paragraphs, *section.footer.paragraphs]:
            assert all(pos <= width for pos in _tabs(paragraph._p)), path.name


def test_cover_page_has_no_header_or_page_number(documents: list[Path]) -> None:
    for path in documents:
        doc = Document(str(path))
        section = doc.sections[0]
        if not section.different_first_page_header_footer:
            continue
        first = "".join(p.text for p in section.first_page_footer.paragraphs)
        assert first == ""
        assert "PAGE" not in section.first_page_footer._element.xml
        assert "PAGE" in section.footer._element.xml
        styles = [p.style.name for p in doc.paragraphs[:8]]
        assert "Cover Title" in styles and "Cover Party" in styles, (path.name, styles)


def test_no_empty_page_break_paragraphs(documents: list[Path]) -> None:
    """A page break is a property of the paragraph after it, never an empty paragraph
    of its own that can spill onto a blank page."""
    for path in documents:
        doc = Document(str(path))
        breaks = 0
        for p in doc.paragraphs:
            brs = p._p.findall(f".//{W}br")
            assert not (p.text.strip() == "" and any(b.get(f"{W}type") == "page"
                                                     for b in brs)), path.name
            breaks += p._p.find(f"{W}pPr/{W}pageBreakBefore") is not None
        assert breaks >= 1, path.name


def test_signature_blocks_keep_together(documents: list[Path]) -> None:
    doc = Document(str(documents[0]))
    for name in ("Signing Party", "Signing Place", "Signature Line", "Signatory Name",
                 "Signatory Title Kept"):
        assert _inherited(doc.styles[name], "keep_with_next"), name
    for name in ("Signing Place", "Signature Line", "Signatory Name"):
        assert _inherited(doc.styles[name], "keep_together"), name


def test_no_blank_page_in_the_pdf(documents: list[Path], tmp_path: Path) -> None:
    soffice()
    pdftotext = tool("pdftotext")
    result = convert_to_pdf(documents, tmp_path)
    assert result.returncode == 0, result.stderr
    for path in documents:
        pdf = tmp_path / path.with_suffix(".pdf").name
        text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        pages = text.split("\f")[:-1]
        doc = Document(str(path))
        header = {p.text.strip() for p in doc.sections[0].header.paragraphs if p.text.strip()}
        for number, page in enumerate(pages, start=1):
            lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
            # A page holding only the header line and its page number is blank.
            body = [ln for ln in lines if not ln.isdigit()
                    and not any(h.split()[0] in ln for h in header)]
            assert body, f"{pdf.name}: page {number} is blank"


def test_picture_block_shows_the_figure_with_its_caption(tmp_path: Path) -> None:
    folder = tmp_path / "m" / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", folder)
    [path] = render_municipality(folder, Options(out_dir=tmp_path / "out",
                                                 names=("verksamhetsplan",))).written
    doc = Document(str(path))
    captions = [p for p in doc.paragraphs if p.style.name == "Caption"]
    assert [p.text for p in captions] == ["Figur 1. Brotstriangel situationella brott",
                                          "Figur 2. Social prevention"]
    for caption in captions:  # a caption never stands without its figure
        figure = caption._p.getprevious()
        assert figure.findall(f".//{W}drawing"), caption.text
        assert "SEQ Figur" in "".join(caption._p.itertext())
    alts = [d.get("descr") for d in doc.element.body.xpath(".//wp:docPr")]
    assert any(a.startswith("Brottstriangeln:") for a in alts)


@pytest.mark.parametrize("name,problem", [
    ("../municipality.yaml", "inside the municipality folder"),
    ("saknas.png", "not found"),
    ("statistics.yaml", "must be one of"),
])
def test_picture_block_file_is_confined_and_checked(tmp_path: Path, name: str,
                                                    problem: str) -> None:
    folder = tmp_path / "m" / "lulea"
    shutil.copytree(MUNICIPALITIES / "lulea", folder)
    plan = folder / "verksamhetsplan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        "file: brottstriangeln.png", f"file: {name}"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        render_municipality(folder, Options(out_dir=tmp_path / "out"))
    assert problem in str(info.value) and "image.file" in str(info.value)


def test_page_images_script_exists_and_documents_are_shown() -> None:
    script = REPO / "tools" / "page_images.py"
    assert script.is_file()
    images = sorted((REPO / "docs" / "pages").glob("*.png"))
    assert len(images) >= 4
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert all(f"docs/pages/{p.name}" in readme for p in images)
