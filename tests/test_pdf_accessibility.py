"""PDFs a kommun may publish and archive (issue 22): every seed document and the `init`
example rendered to PDF is tagged, passes an outside PDF/UA checker (outloud) without
errors, numbers every page after the cover "Sida N av M", identifies itself as PDF/A-2
when final, gives every figure its alt text; every chart's value axis starts at zero
(or says under it that it does not), and a chart is kept with its caption and notes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES, missing, soffice, tool
from lxml import etree

from avtalsgen.build import Options, init_municipality, render_many
from avtalsgen.context import AXIS_NOT_FROM_ZERO

pikepdf = pytest.importorskip("pikepdf")

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NOTE_STYLES = ("TableNote", "TableNoteKept")


def outloud() -> str:
    found = shutil.which("outloud") or str(Path(sys.executable).with_name("outloud"))
    if not Path(found).is_file():
        missing("outloud (the PDF/UA checker)", "pip install -e '.[test]'")
    return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    soffice()
    base = tmp_path_factory.mktemp("a11y")
    root = base / "municipalities"
    shutil.copytree(MUNICIPALITIES, root)
    init_municipality("exempelby", root)
    out = base / "out"
    outcomes = render_many(sorted(p.name for p in root.iterdir() if p.is_dir()),
                           Options(out_dir=out, formats=("docx", "pdf")), root=root)
    assert all(o.error is None for o in outcomes), [str(o.error) for o in outcomes]
    pdfs = sorted(out.rglob("*.pdf"))
    assert len(pdfs) == 10  # 5 seed documents, 5 in the example
    return pdfs


def _core(docx: Path) -> dict[str, str]:
    with zipfile.ZipFile(docx) as z:
        root = etree.fromstring(z.read("docProps/core.xml"))
    return {el.tag.split("}")[1]: el.text or "" for el in root}


def test_every_pdf_is_tagged(rendered: list[Path]) -> None:
    for pdf in rendered:
        info = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True,
                              check=True).stdout
        assert re.search(r"^Tagged:\s+yes$", info, re.M), pdf


def test_the_pdf_ua_checker_finds_no_errors(rendered: list[Path]) -> None:
    report = json.loads(subprocess.run(
        [outloud(), "--json", "-", "--fail-on", "never", *map(str, rendered)],
        capture_output=True, text=True, check=True, timeout=600).stdout)
    errors = {Path(r["path"]).name + f" ({Path(r['path']).parent.name})":
              [f"{f['rule']}: {f['message']}" for f in r["findings"]
               if f["severity"] == "error"] for r in report["results"]}
    assert len(errors) == len(rendered)
    assert all(r["error"] is None and r["stats"]["tagged"] for r in report["results"])
    assert {k: v for k, v in errors.items() if v} == {}


def test_every_page_after_the_cover_says_sida_n_av_m(rendered: list[Path]) -> None:
    for pdf in rendered:
        pages = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"],
                               capture_output=True, text=True, check=True).stdout.split("\f")[:-1]
        with zipfile.ZipFile(pdf.with_suffix(".docx")) as z:
            cover = b"<w:titlePg/>" in z.read("word/document.xml")
        for number, text in enumerate(pages, start=1):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            footer = f"Sida {number} av {len(pages)}"
            if number == 1 and cover:
                assert "Sida" not in lines[-1], f"{pdf.name}: a number on the cover"
            else:
                assert lines[-1] == footer, f"{pdf.name} page {number}: {lines[-1]!r}"


def test_final_pdfs_are_pdf_a_2_and_pdf_ua_with_their_metadata(rendered: list[Path]) -> None:
    finals = 0
    for pdf in rendered:
        core = _core(pdf.with_suffix(".docx"))
        final = core["contentStatus"] == "Slutlig"
        finals += final
        with pikepdf.open(pdf) as doc:
            meta = doc.open_metadata()
            assert meta.get("pdfuaid:part") == "1", pdf
            assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == (
                ("2", "B") if final else (None, None)), pdf
            assert meta.get("dc:title") == core["title"]
            assert "\n" not in str(meta.get("dc:description", ""))
            assert list(meta.get("dc:language")) == ["sv-SE"]
            assert len(meta.get("dc:creator")) == 2  # the two parties
            assert str(doc.Root.Lang) == "sv-SE"
            assert doc.Root.ViewerPreferences.DisplayDocTitle
    assert finals == 3  # Luleå's two documents and Strängnäs's agreement


def test_fonts_are_embedded(rendered: list[Path]) -> None:
    for pdf in rendered:
        fonts = subprocess.run([tool("pdffonts"), str(pdf)], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), (pdf, fonts)


def test_every_figure_has_the_alt_text_of_the_docx(rendered: list[Path]) -> None:
    for pdf in rendered:
        with zipfile.ZipFile(pdf.with_suffix(".docx")) as z:
            body = etree.fromstring(z.read("word/document.xml"))
        alts = [" ".join(pr.get("descr").split()) for pr in body.iter(f"{WP}docPr")]
        with pikepdf.open(pdf) as doc:
            figures, stack = [], [doc.Root.StructTreeRoot.K]
            while stack:
                node = stack.pop()
                if isinstance(node, pikepdf.Array):
                    stack.extend(reversed(list(node)))
                elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                    if node.S == "/Figure":
                        figures.append(str(node.get("/Alt", "")))
                    stack.append(node.get("/K"))
            assert "/Figure" not in doc.Root.StructTreeRoot.get("/RoleMap", {})
        assert len(figures) == len(alts), pdf
        for figure, alt in zip(figures, alts, strict=True):
            assert alt and alt in figure, (pdf.name, figure, alt)


def _paragraph_styles(docx: Path) -> dict[str, bool]:
    """Each paragraph style's keep-with-next."""
    with zipfile.ZipFile(docx) as z:
        styles = etree.fromstring(z.read("word/styles.xml"))
    return {s.get(f"{W}styleId"): s.find(f"{W}pPr/{W}keepNext") is not None
            for s in styles.iter(f"{W}style")}


def style(p: etree._Element) -> str:
    found = p.find(f"{W}pPr/{W}pStyle")
    return "" if found is None else found.get(f"{W}val")


def kept(p: etree._Element, keeps: dict[str, bool]) -> bool:
    """Kept with the next paragraph, by its own setting or its style's."""
    return p.find(f"{W}pPr/{W}keepNext") is not None or keeps.get(style(p), False)


def test_charts_start_at_zero_and_stay_with_caption_and_notes(rendered: list[Path]) -> None:
    charts = 0
    for pdf in rendered:
        docx = pdf.with_suffix(".docx")
        keeps = _paragraph_styles(docx)
        with zipfile.ZipFile(docx) as z:
            body = etree.fromstring(z.read("word/document.xml"))
            rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
            targets = {r.get("Id"): r.get("Target") for r in rels}

            for ref in body.iter(f"{C}chart"):
                charts += 1
                space = etree.fromstring(z.read("word/" + targets[ref.get(f"{R}id")]))
                paragraph = next(a for a in ref.iterancestors(f"{W}p"))
                caption = paragraph.getnext()
                notes = []
                after = caption.getnext()
                while after is not None and style(after) in NOTE_STYLES:
                    notes.append(after)
                    after = after.getnext()
                axis = space.find(f".//{C}valAx")  # a pie has none
                start = None if axis is None else axis.find(f"{C}scaling/{C}min")
                if axis is not None and (start is None or float(start.get("val")) != 0):
                    assert any(AXIS_NOT_FROM_ZERO in "".join(n.itertext()) for n in notes)
                assert axis is None or axis.find(f"{C}title") is not None
                assert kept(paragraph, keeps), f"{docx.name}: a chart not kept with its caption"
                assert style(caption) == "Caption"
                chain = [caption, *notes]
                assert all(kept(p, keeps) for p in chain[:-1]), f"{docx.name}: caption or note"
                assert not kept(chain[-1], keeps) or not notes
    assert charts >= 10  # 13 when written


def test_pdfa_can_be_asked_for_and_refused(rendered: list[Path], tmp_path: Path) -> None:
    draft = next(p for p in rendered if p.parent.name == "exempelby"
                 and p.stem == "handlingsplan").with_suffix(".docx")
    final = next(p for p in rendered if p.parent.name == "lulea").with_suffix(".docx")
    from avtalsgen.pdf import convert

    convert([(draft, tmp_path / "draft.pdf")], pdfa=True)
    convert([(final, tmp_path / "final.pdf")], pdfa=False)
    with pikepdf.open(tmp_path / "draft.pdf") as doc:
        assert doc.open_metadata().get("pdfaid:part") == "2"
    with pikepdf.open(tmp_path / "final.pdf") as doc:
        assert doc.open_metadata().get("pdfaid:part") is None
        assert doc.open_metadata().get("pdfuaid:part") == "1"


def test_the_same_docx_gives_the_same_pdf(rendered: list[Path], tmp_path: Path) -> None:
    from avtalsgen.pdf import convert

    pdf = next(p for p in rendered if p.parent.name == "strangnas")
    again = tmp_path / "again.pdf"
    convert([(pdf.with_suffix(".docx"), again)])
    assert again.read_bytes() == pdf.read_bytes()


def test_the_web_editors_libreoffice_exports_the_same_pdf(rendered: list[Path],
                                                          tmp_path: Path) -> None:
    """The kept LibreOffice (UNO) passes the batch macro's options: the same bytes."""
    from avtalsgen.pdf import WarmConverter, _uno_pythons

    python = next((python for python in _uno_pythons(None) if subprocess.run(
        [python, "-c", "import uno"], capture_output=True).returncode == 0), None)
    if python is None:
        missing("LibreOffice's Python bridge (a Python that can import uno)",
                "apt-get install python3-uno")
    chosen = [p for p in rendered if p.parent.name in ("lulea", "skelleftea")][:3]
    with WarmConverter(python) as converter:
        converter.convert([(p.with_suffix(".docx"), tmp_path / f"{n}.pdf")
                           for n, p in enumerate(chosen)])
        assert converter.running  # converted warm, not by the batch fallback
    for n, pdf in enumerate(chosen):
        assert (tmp_path / f"{n}.pdf").read_bytes() == pdf.read_bytes(), pdf


def test_every_table_marks_its_header_row(rendered: list[Path]) -> None:
    """Word's w:tblHeader is what LibreOffice tags as header cells (/TH)."""
    tables = 0
    for pdf in rendered:
        with zipfile.ZipFile(pdf.with_suffix(".docx")) as z:
            body = etree.fromstring(z.read("word/document.xml"))
        for table in body.iter(f"{W}tbl"):
            tables += 1
            assert table.find(f"{W}tr/{W}trPr/{W}tblHeader") is not None, pdf.name
        with pikepdf.open(pdf) as doc:
            kinds, stack = set(), [doc.Root.StructTreeRoot.K]
            while stack:
                node = stack.pop()
                if isinstance(node, pikepdf.Array):
                    stack.extend(node)
                elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                    kinds.add(str(node.S))
                    stack.append(node.get("/K"))
        assert ("/TH" in kinds) == (next(body.iter(f"{W}tbl"), None) is not None), pdf.name
    assert tables >= 4
