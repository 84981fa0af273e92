"""Every seed document opens in a real office suite (LibreOffice headless)."""

from __future__ import annotations

from pathlib import Path

from conftest import SEED_DOCUMENTS, convert_to_pdf


def test_seed_documents_convert_to_pdf(rendered: Path, tmp_path: Path) -> None:
    files = sorted(rendered.rglob("*.docx"))
    assert len(files) >= len(SEED_DOCUMENTS)
    # Same names in different folders: give each its own output folder.
    for slug_dir in sorted({f.parent for f in files}):
        outdir = tmp_path / slug_dir.name
        outdir.mkdir()
        result = convert_to_pdf(sorted(slug_dir.glob("*.docx")), outdir)
        assert result.returncode == 0, result.stderr
        for docx in slug_dir.glob("*.docx"):
            pdf = outdir / f"{docx.stem}.pdf"
            assert pdf.exists(), f"{docx} did not convert: {result.stdout} {result.stderr}"
            assert pdf.read_bytes().startswith(b"%PDF")
            assert pdf.stat().st_size > 5000
