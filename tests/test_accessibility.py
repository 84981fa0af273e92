"""Every generated document meets the accessibility rules for published documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from avtalsgen.accessibility import audit
from avtalsgen.build import Options, init_municipality, render_municipality


@pytest.fixture(scope="module")
def example_documents(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("example")
    folder = init_municipality("exempel", tmp / "municipalities", name="Exempelby")
    return render_municipality(folder, Options(out_dir=tmp / "out")).written


def test_every_document_passes(rendered: Path, example_documents: list[Path]) -> None:
    documents = sorted(rendered.rglob("*.docx")) + example_documents
    assert len(documents) == 10
    for path in documents:
        assert audit(path) == [], path


def test_the_audit_catches_what_it_should(tmp_path: Path, rendered: Path) -> None:
    doc = Document(str(rendered / "lulea" / "verksamhetsplan.docx"))
    doc.paragraphs[0].insert_paragraph_before("Hoppar över två nivåer", style="Heading 3")
    table = doc.tables[0]._tbl
    table.xpath("./w:tr/w:trPr/w:tblHeader")[0].getparent().remove(
        table.xpath("./w:tr/w:trPr/w:tblHeader")[0])
    path = tmp_path / "bad.docx"
    doc.save(str(path))
    problems = audit(path)
    assert any("skipped a level" in p for p in problems)
    assert any("no header row" in p for p in problems)
