"""The municipality's page says where the year's work stands (Inläst → Utkast → På
remiss → Godkänd av en part → Slutlig), the next step, and what blocks it."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import reopen_final_seeds, seed_repository
from starlette.testclient import TestClient

from avtalsgen import approvals
from avtalsgen.web.app import create_app


def current(html: str) -> str:
    found = re.search(r'<li class="current" aria-current="step">([^<]+)</li>', html)
    assert found, html[html.find("Årets arbete"):][:800]
    return found.group(1)


def test_each_step_of_the_year(tmp_path: Path) -> None:
    root = seed_repository(tmp_path, reopen_final_seeds)
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    # Skellefteå shows sample data: a draft, and the blocker is listed.
    html = client.get("/k/skelleftea").text
    assert current(html) == "Utkast"
    assert "Nästa steg:" in html and "Det här behöver rättas först" in html
    # Luleå has nothing left to fix: ready for the parties.
    html = client.get("/k/lulea").text
    assert current(html) == "På remiss" and "Det här behöver rättas först" not in html
    # One party approves: the step names it.
    folder = root / "lulea"
    approvals.approve(folder, "kommun", "Kajsa", approvals.content_key(folder))
    html = client.get("/k/lulea").text
    assert current(html) == "Godkänd av kommunen" and "Väntar på att polisen" in html
    approvals.approve(folder, "polis", "Per", approvals.content_key(folder))
    assert current(client.get("/k/lulea").text) == "Slutlig"


def test_an_import_with_nothing_to_check_is_a_step_done(tmp_path: Path) -> None:
    root = seed_repository(tmp_path, reopen_final_seeds)
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    token = re.search(r'name="form:csrf" value="([^"]+)"', client.get("/").text).group(1)
    answer = client.post("/k/skelleftea/importera", data={"form:csrf": token},
                         files={"fil": ("brott.csv", "År;Antal\n2023;5\n2024;7\n".encode(),
                                        "text/csv")})
    assert answer.status_code == 200, answer.text[:500]
    # Nothing the import was unsure of: the import is a step done, the draft is next.
    html = client.get("/k/skelleftea").text
    assert current(html) == "Utkast"
    assert '<li class="done">Inläst<span class="visually-hidden"> (klart)' in html


def test_an_imports_review_list_is_ticked_klart_one_by_one(tmp_path: Path) -> None:
    """A Word file with a header and a period to guess: the review list is on the
    import's page and the municipality's, most important first, and each "Klart" tick
    takes one off; with none left the year moves on from Inläst."""
    from docx import Document

    root = seed_repository(tmp_path, reopen_final_seeds)
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    word = Document()
    word.sections[0].header.paragraphs[0].text = "Rapport om trygghet, internt utkast"
    word.add_heading("Samverkan för trygghet", 1)
    word.add_paragraph("Överenskommelsen gäller 2024/2025 mellan kommunen och polisen.")
    path = tmp_path / "avtal.docx"
    word.save(path)
    token = re.search(r'name="form:csrf" value="([^"]+)"', client.get("/").text).group(1)
    answer = client.post("/k/skelleftea/importera", data={"form:csrf": token},
                         files={"fil": ("avtal.docx", path.read_bytes(), "application/vnd."
                                        "openxmlformats-officedocument.wordprocessingml."
                                        "document")})
    assert answer.status_code == 200, answer.text[:500]
    assert "Att granska efter inläsningen" in answer.text
    html = client.get("/k/skelleftea").text
    assert current(html) == "Inläst"
    ids = re.findall(r'action="/k/skelleftea/granskning/([0-9a-f]+)"', html)
    assert ids, html[html.find("Årets arbete"):][:1500]
    for n, note in enumerate(ids, start=1):
        done = client.post(f"/k/skelleftea/granskning/{note}",
                           data={"form:csrf": token, "next": "/k/skelleftea"},
                           follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/k/skelleftea"
        left = re.findall(r'action="/k/skelleftea/granskning/([0-9a-f]+)"',
                          client.get("/k/skelleftea").text)
        assert len(left) == len(ids) - n
    assert client.post(f"/k/skelleftea/granskning/{ids[0]}",
                       data={"form:csrf": token}).status_code == 404  # ticked already
    assert current(client.get("/k/skelleftea").text) != "Inläst"
