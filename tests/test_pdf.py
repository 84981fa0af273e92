"""PDF output: one LibreOffice run for a batch, fields and table of contents updated."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import MUNICIPALITIES, soffice, tool
from docx import Document


def pdftotext(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run([tool("pdftotext"), "-layout", *pages, str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def page_count(pdf: Path) -> int:
    return pdftotext(pdf).count("\f")


@pytest.fixture(scope="module")
def pdf_run(tmp_path_factory: pytest.TempPathFactory):
    soffice()
    from click.testing import CliRunner

    from avtalsgen.cli import main

    out = tmp_path_factory.mktemp("pdf")
    result = CliRunner().invoke(main, ["render", "--all", "--root", str(MUNICIPALITIES),
                                       "--out", str(out), "--format", "docx,pdf"])
    return result, out


def test_every_seed_municipality_gets_pdfs_in_one_run(pdf_run) -> None:
    result, out = pdf_run
    assert result.exit_code == 0, result.output
    docx = sorted(p.relative_to(out) for p in out.rglob("*.docx"))
    pdfs = sorted(p.relative_to(out) for p in out.rglob("*.pdf"))
    assert [p.with_suffix(".docx") for p in pdfs] == docx
    assert len(pdfs) == 5
    for pdf in out.rglob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF")


def test_page_numbers_are_right_on_every_page(pdf_run) -> None:
    """Every page shows "Sida N av M", except a title page, which shows none."""
    _, out = pdf_run
    with_title_page = 0
    for pdf in sorted(out.rglob("*.pdf")):
        docx = Document(str(pdf.with_suffix(".docx")))
        title_page = docx.sections[0].different_first_page_header_footer
        with_title_page += title_page
        for page in range(1, page_count(pdf) + 1):
            lines = [ln.strip() for ln in pdftotext(pdf, page).splitlines() if ln.strip()]
            if page == 1 and title_page:
                assert "Sida" not in lines[-1], f"{pdf.name}: number on the cover"
                assert not any(docx.sections[0].first_page_footer.paragraphs[i].text
                               for i in range(len(docx.sections[0].first_page_footer
                                                  .paragraphs)))
            else:
                assert lines[-1] == f"Sida {page} av {page_count(pdf)}", \
                    f"{pdf.name} page {page}: footer {lines[-1]!r}"
    assert with_title_page == 4  # all but Luleå's agreement, whose title shares page 1


def test_table_of_contents_has_page_numbers(pdf_run) -> None:
    _, out = pdf_run
    pdf = out / "skelleftea" / "underlag.pdf"
    toc = pdftotext(pdf, 2)
    assert "Innehåll" in toc
    entry = re.search(r"Lokal lägesbild\.*\s*(\d+)", toc)
    assert entry, toc
    page = int(entry.group(1))
    assert "Lokal lägesbild" in pdftotext(pdf, page)


def test_pdfs_are_recorded_in_the_manifest(pdf_run) -> None:
    _, out = pdf_run
    manifest = (out / "lulea" / ".avtalsgen-manifest.json").read_text(encoding="utf-8")
    assert "verksamhetsplan.pdf" in manifest


def test_missing_libreoffice_is_a_clear_error(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(MUNICIPALITIES / "strangnas", Path("municipalities/strangnas"))
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    result = cli("render", "strangnas", "--format", "pdf")
    assert result.exit_code == 2
    assert "PDF output needs LibreOffice, which is not installed" in result.output


def test_a_conversion_out_of_time_leaves_no_libreoffice(
        rendered: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole process group ends, soffice.bin included, not only its launcher."""
    import tempfile
    import time

    from avtalsgen import pdf
    from avtalsgen.errors import ConversionError

    soffice()
    pdf.convert([(rendered / "strangnas" / "samverkansoverenskommelse.docx",
                  tmp_path / "warm-up.pdf")])  # the cached profile made beforehand
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # our processes name it
    monkeypatch.setattr(pdf, "TIMEOUT_PER_DOCUMENT", -59.9)  # 0.1 s for one document
    with pytest.raises(ConversionError, match="in time"):
        pdf.convert([(rendered / "skelleftea" / "underlag.docx", tmp_path / "late.pdf")])
    time.sleep(1)

    def ours() -> list[str]:
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                text = cmdline.read_bytes().decode(errors="replace")
                state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if str(tmp_path) in text and state not in "ZX":
                found.append(text.replace("\0", " "))
        return found

    assert ours() == []
