"""Påbörja nästa år in the web editor (issue 24): the same step as `avtalsgen
next-year`, for editors, refused once the year shown has been followed up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import git
from starlette.testclient import TestClient
from test_accounts import FAST

from avtalsgen import approvals
from avtalsgen.accounts import Accounts
from avtalsgen.build import init_municipality
from avtalsgen.web.app import create_app
from avtalsgen.web.security import CSRF_COOKIE

PASSWORD = "ett långt lösenord"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The `init` example in a git repository, filled in and approved by both parties."""
    root = tmp_path / "municipalities"
    root.mkdir()
    git(root, "init", "-q")
    folder = init_municipality("testby", root, name="Testby")
    for path in folder.glob("*.yaml"):  # as approved: real names and figures
        path.write_text(path.read_text("utf-8").replace("Förnamn Efternamn", "Eva Ek")
                        .replace("    sample_data: true\n", ""), "utf-8")
    git(root, "add", ".")
    git(root, "commit", "-qm", "Start")
    for party in approvals.PARTIES:
        approvals.approve(folder, party, f"Godkännare {party}", approvals.content_key(folder))
    return root


def plan_year(root: Path) -> int:
    plan = yaml.safe_load((root / "testby" / "handlingsplan.yaml").read_text("utf-8"))
    return int(plan["year"])


def press(client: TestClient, year: str) -> int:
    return client.post("/k/testby/nasta-ar", data={
        "form:csrf": client.cookies[CSRF_COOKIE], "year": year}).status_code


def test_the_button_starts_next_year_once(root: Path) -> None:
    client = TestClient(create_app(root), base_url="http://127.0.0.1",
                        follow_redirects=False)
    page = client.get("/k/testby").text
    assert "Påbörja nästa år (2026)" in page and 'name="year" value="2025"' in page
    assert "sparas som testby-2025" in page
    assert client.post("/k/testby/nasta-ar", data={"year": "2025"}).status_code == 403
    assert plan_year(root) == 2025

    answer = client.post("/k/testby/nasta-ar", data={
        "form:csrf": client.cookies[CSRF_COOKIE], "year": "2025"})
    assert answer.status_code == 303 and answer.headers["location"] == "/k/testby?sparat=1"
    assert plan_year(root) == 2026
    assert (root / "testby" / "uppfoljning-2025.yaml").exists()
    assert git(root, "rev-parse", "--verify", "testby-2025^{commit}").strip()
    assert "nästa års utkast påbörjat (2026)" in git(root, "log", "-1", "--format=%s")
    assert git(root, "status", "--porcelain").strip() == ""

    # Pressed again (a second tab, a double click): the year shown is followed up.
    again = client.post("/k/testby/nasta-ar", data={
        "form:csrf": client.cookies[CSRF_COOKIE], "year": "2025"})
    assert again.status_code == 409
    assert "året 2025 är redan uppföljt" in again.text
    assert plan_year(root) == 2026
    # The page now offers the year after, and the follow-up is one of the documents.
    page = client.get("/k/testby").text
    assert "Påbörja nästa år (2027)" in page and "/k/testby/dok/uppfoljning-2025" in page
    assert "ingen godkänd version sparas" in page
    assert press(client, "2024") == 409 and plan_year(root) == 2026


def test_only_editors_start_next_year(root: Path, tmp_path: Path) -> None:
    accounts = Accounts(tmp_path / "accounts.sqlite3", hasher=FAST)
    try:
        for i, (name, role, party) in enumerate((("erik", "editor", None),
                                                 ("kajsa", "approver", "kommun"),
                                                 ("rut", "reader", None))):
            accounts.add_user(name, f"u{i}@example.se", PASSWORD)
            accounts.grant(name, "testby", role, party)
        app = create_app(root, accounts)

        def login(name: str) -> TestClient:
            client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
            client.get("/logga-in")
            assert client.post("/logga-in", data={
                "form:csrf": client.cookies[CSRF_COOKIE], "login": name,
                "password": PASSWORD}).status_code == 303
            return client

        for name in ("kajsa", "rut"):
            client = login(name)
            assert "Påbörja nästa år" not in client.get("/k/testby").text
            assert press(client, "2025") == 403
        assert plan_year(root) == 2025
        erik = login("erik")
        assert re.search(r"Påbörja nästa år \(2026\)", erik.get("/k/testby").text)
        assert press(erik, "2025") == 303 and plan_year(root) == 2026
        assert git(root, "log", "-1", "--format=%an").strip() == "erik"
        assert any(e.event == "save" and "nästa år påbörjat" in e.detail
                   for e in accounts.audit_log("testby"))
    finally:
        accounts.close()
