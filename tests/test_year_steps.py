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


def test_a_fresh_import_is_the_first_step(tmp_path: Path) -> None:
    root = seed_repository(tmp_path, reopen_final_seeds)
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    token = re.search(r'name="form:csrf" value="([^"]+)"', client.get("/").text).group(1)
    answer = client.post("/k/skelleftea/importera", data={"form:csrf": token},
                         files={"fil": ("brott.csv", "År;Antal\n2023;5\n2024;7\n".encode(),
                                        "text/csv")})
    assert answer.status_code == 200, answer.text[:500]
    html = client.get("/k/skelleftea").text
    assert current(html) == "Inläst" and "Granska det som lästes in" in html
