"""The import's review list links each note to its place (issue 21): a note on
something inside a section links to that section's page in the web editor
(/k/<slug>/dok/<doc>/avsnitt/<path>), one on the document as a whole to the document."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import reopen_final_seeds, seed_repository
from starlette.testclient import TestClient

from avtalsgen.importing import review
from avtalsgen.importing.word import import_docx
from avtalsgen.web.app import create_app

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def nested_list_docx(path: Path) -> Path:
    """A list with a sub-level in the second top section's first sub-section (1.0)."""
    from docx import Document

    word = Document()
    word.add_heading("Samverkan för trygghet", 1)
    word.add_paragraph("Ekby kommun och Lokalpolisområde Ekby samverkar 2024–2027.")
    word.add_heading("Mål", 1)
    word.add_heading("Ungdomar", 2)
    word.add_paragraph("Fältarbete", style="List Bullet")
    word.add_paragraph("Kvällar och helger", style="List Bullet 2")
    word.add_paragraph("Föräldravandringar", style="List Bullet")
    word.save(str(path))
    return path


def test_a_note_knows_its_section(tmp_path: Path) -> None:
    report = import_docx(nested_list_docx(tmp_path / "avtal.docx"), tmp_path / "ekby")
    sub_levels = next(n for n in report.uncertain if "sub-levels" in n.msgid)
    assert report.places[sub_levels] == "1.0"


def test_the_review_list_links_a_note_to_its_section(tmp_path: Path) -> None:
    root = seed_repository(tmp_path, reopen_final_seeds)
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    token = re.search(r'name="form:csrf" value="([^"]+)"', client.get("/").text).group(1)
    source = nested_list_docx(tmp_path / "avtal.docx")
    answer = client.post("/k/skelleftea/importera", data={"form:csrf": token},
                         files={"fil": ("avtal.docx", source.read_bytes(), DOCX)})
    assert answer.status_code == 200, answer.text[:500]
    notes = review.notes(root / "skelleftea", open_only=True)
    placed = [n for n in notes if n["section"]]
    assert [n["section"] for n in placed] == ["1.0"], notes
    doc = placed[0]["doc"]
    link = f'href="/k/skelleftea/dok/{doc}/avsnitt/1.0"'
    for html in (answer.text, client.get("/k/skelleftea").text):
        assert link in html
        assert f'href="/k/skelleftea/dok/{doc}"' in html  # the others: the document
    section = client.get(f"/k/skelleftea/dok/{doc}/avsnitt/1.0")
    assert section.status_code == 200 and "Ungdomar" in section.text
