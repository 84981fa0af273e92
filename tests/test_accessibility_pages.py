"""axe-core finds no violation, of any impact, on any page of the web editor: the local
editor and the shared server, the preview page and the page images included, the error
pages and the accessibility statement. The accessibility statement (/tillganglighet)
shows what these tests measure: run with AVTALSGEN_ACCESSIBILITY=write, they record it
in src/avtalsgen/web/accessibility.json (commit it); otherwise they check that the
committed file claims no fewer pages or violations than they measure, so the
statement cannot drift from the service.

Run with `pytest -m browser tests/test_accessibility_pages.py`. Without Chromium,
Playwright or LibreOffice the browser tests are skipped locally and fail on CI (env
CI set); the statement's own tests run in-process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import browser_context, new_page, require, serving
from browser_support import chromium as launch
from conftest import seed_repository
from starlette.testclient import TestClient

from avtalsgen import approvals
from avtalsgen.web.app import create_app
from avtalsgen.web.views import statement

WRITE = os.environ.get("AVTALSGEN_ACCESSIBILITY") == "write"
PASSWORD = "correct horse battery"
EDITOR, READER = "kim.kommun", "rut.reader"
IMAGES_MS = 120_000  # the page images wait for LibreOffice (started on the first)
LOCAL, SHARED = "redigeraren på den egna datorn", "den delade servern"

# What each browser test measured: {server: [{"name", "path", "violations"}]}, and the
# axe-core version; the last test writes or checks the statement's figures from them.
MEASURED: dict[str, Any] = {"pages": {}, "axe_core": None, "browser": None}


# -- axe-core ------------------------------------------------------------------------


def axe(page: Any, server: str, name: str, found: list[dict[str, Any]]) -> None:
    """Run axe-core on the page as it stands; its violations (every impact) go to found
    as the statement records them."""
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page).response
    MEASURED["axe_core"] = response["testEngine"]["version"]
    violations = [{"id": v["id"], "impact": v.get("impact"), "help": v["help"],
                   "nodes": len(v["nodes"]),
                   "targets": [" ".join(map(str, n.get("target", []))) for n in v["nodes"][:5]]}
                  for v in response["violations"]]
    found.append({"name": name, "server": server, "path": _path(page.url),
                  "violations": violations})


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0]


def problems(found: list[dict[str, Any]]) -> str:
    lines = []
    for tested in found:
        for v in tested["violations"]:
            lines.append(f"{tested['name']} ({tested['path']}): [{v['impact']}] {v['id']}: "
                         f"{v['help']} – {'; '.join(v['targets'])}")
    return "\n".join(lines)


def unexpected(errors: list[str]) -> list[str]:
    """Console errors but the error pages' own statuses, which the tests ask for."""
    return [e for e in errors if not re.search(r"status of (401|403|404|409)\b", e)]


def wait_for_panes(page: Any) -> None:
    """Wait for what htmx loads after the page: the document's preview, the preview
    page's page images."""
    from playwright.sync_api import expect

    preview = page.locator("#forhandsvisning")
    if preview.count():
        expect(preview.locator("article.preview, .problem")).to_have_count(1)
    images = page.locator("#sidbilder")
    if images.count():
        expect(images.locator(".page-images, .problem")).to_have_count(1, timeout=IMAGES_MS)


def visit(page: Any, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response and
                                                                 response.status)
    wait_for_panes(page)


def post_from_page(page: Any, action: str, fields: dict[str, str], token: bool = True) -> None:
    """Submit a form the page does not show (to reach an error page in the browser):
    with the page's own CSRF token unless token is False."""
    with page.expect_navigation():
        page.evaluate("""([action, fields, token]) => {
            const form = document.createElement("form");
            form.method = "post"; form.action = action;
            const csrf = document.querySelector("input[name='form:csrf']");
            if (token && csrf) { fields["form:csrf"] = csrf.value; }
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();
        }""", [action, fields, token])


# -- the servers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    require("accessibility browser tests", ("axe_playwright_python.sync_playwright",),
            ("soffice", "pdftoppm"))
    with launch() as browser:
        MEASURED["browser"] = f"Chromium {browser.version.split('.')[0]}"
        yield browser


def _reopen_lulea(root: Path) -> None:
    """Luleå's seed is final, so locked: reopened to show its forms; Strängnäs stays
    final (a locked municipality's pages are tested too)."""
    approvals.reopen(root / "lulea", "Test", "tests edit it")


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[str]:
    root = seed_repository(tmp_path_factory.mktemp("axe-local"), _reopen_lulea)
    with serving(create_app(root)) as url:
        yield url


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[str]:
    require("shared accessibility tests", ("argon2",))
    from argon2 import PasswordHasher

    from avtalsgen.accounts import Accounts

    base = tmp_path_factory.mktemp("axe-shared")
    root = seed_repository(base)
    fast = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    accounts = Accounts(base / "accounts.sqlite3", hasher=fast)
    accounts.add_user(EDITOR, f"{EDITOR}@example.se", PASSWORD)
    accounts.add_user(READER, f"{READER}@example.se", PASSWORD)
    for slug in ("lulea", "skelleftea"):
        accounts.grant(EDITOR, slug, "editor")
        accounts.grant(EDITOR, slug, "approver", "kommun")
        accounts.grant(READER, slug, "reader")
    try:
        with serving(create_app(root, accounts), "/logga-in") as url:
            yield url
    finally:
        accounts.close()


def login(page: Any, name: str) -> None:
    page.goto("/logga-in")
    page.get_by_label("Användarnamn eller e-post").fill(name)
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()


# -- the pages -----------------------------------------------------------------------

# (name in the statement, path) of pages a plain visit shows, on both servers.
COMMON = [
    ("Listan över kommuner", "/"),
    ("En kommun (utkast)", "/k/lulea"),
    ("Kommunens uppgifter", "/k/lulea/fil/kommun"),
    ("Statistik", "/k/lulea/fil/statistik"),
    ("Ett dokument", "/k/lulea/dok/verksamhetsplan"),
    ("Ett avsnitt", "/k/lulea/dok/verksamhetsplan/avsnitt/1.0"),
    ("Ett avsnitt med diagram", "/k/skelleftea/dok/underlag/avsnitt/2.0"),
    ("Historik", "/k/lulea/historik"),
    ("Förhandsvisningen med sidbilder", "/k/lulea/dok/verksamhetsplan/forhandsvisning"),
    ("Sidbilder", "/k/lulea/dok/samverkansoverenskommelse/sidor"),
    ("Tillgänglighetsredogörelsen", statement.PATH),
]


def changes(page: Any, found: list[dict[str, Any]], server: str) -> None:
    from playwright.sync_api import expect

    page.goto("/k/skelleftea/historik")
    with page.expect_navigation():
        page.get_by_role("button", name="Visa ändringar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ändringar i")
    axe(page, server, "Ändringar mellan två versioner", found)


def not_found(page: Any, found: list[dict[str, Any]], server: str) -> None:
    visit(page, "/k/finns-inte", 404)
    axe(page, server, "Felsidan 404 (sidan finns inte)", found)


@pytest.mark.browser
def test_axe_finds_no_violation_on_any_page_of_the_local_editor(chromium: Any,
                                                               local: str) -> None:
    from playwright.sync_api import expect

    found: list[dict[str, Any]] = []
    with browser_context(chromium, local) as context:
        page = new_page(context)
        for name, path in [*COMMON, ("En slutlig kommun", "/k/strangnas")]:
            visit(page, path)
            axe(page, LOCAL, name, found)
        changes(page, found, LOCAL)
        # A refused final: Skellefteå's charts show sample data.
        page.goto("/k/skelleftea")
        with page.expect_navigation():
            page.get_by_role("button", name="Markera som slutlig").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("kan inte markeras")
        axe(page, LOCAL, "Kan inte markeras som slutlig", found)
        not_found(page, found, LOCAL)
        # 403: a form without its security token.
        visit(page, "/")
        post_from_page(page, "/namn", {"name": "Test"}, token=False)
        expect(page.get_by_role("heading", level=1)).to_have_text("Inte tillåtet")
        axe(page, LOCAL, "Felsidan 403 (inte tillåtet)", found)
        # 409: a change to a final municipality, and a save that crosses another.
        visit(page, "/k/strangnas")
        post_from_page(page, "/k/strangnas/dok/samverkansoverenskommelse/disposition",
                       {"op": "add", "path": "", "form:version": ""})
        expect(page.locator("main")).to_contain_text("slutliga")
        axe(page, LOCAL, "Felsidan 409 (slutliga dokument)", found)
        visit(page, "/k/lulea/fil/kommun")
        page.locator("form.editor input[name='form:version']").first.evaluate(
            "input => { input.value = 'en-annan-version'; }")
        with page.expect_navigation():
            page.locator("form.editor button[name='form:action'][value=save]").first.click()
        expect(page.locator("main")).to_contain_text("Någon annan har sparat")
        axe(page, LOCAL, "Krock mellan två sparanden (409)", found)
        # Last (it adds a document): what an import found, from a Word file.
        word = page.request.get("/k/lulea/dok/verksamhetsplan/ladda-ner.docx").body()
        visit(page, "/k/lulea")
        page.locator("#import-fil").set_input_files(
            {"name": "fjolaret.docx", "mimeType": "application/octet-stream", "buffer": word})
        with page.expect_navigation(timeout=IMAGES_MS):
            page.locator("#import-fil").locator("xpath=ancestor::form").locator(
                "button[type=submit]").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("inläst")
        axe(page, LOCAL, "Inläsningens resultat", found)
        errors = list(page.errors)
    MEASURED["pages"][LOCAL] = found
    assert not problems(found), "axe-core:\n" + problems(found)
    assert not unexpected(errors), errors


@pytest.mark.browser
def test_axe_finds_no_violation_on_any_page_of_the_shared_server(chromium: Any,
                                                                shared: str) -> None:
    from playwright.sync_api import expect

    found: list[dict[str, Any]] = []
    with browser_context(chromium, shared) as context:
        page = new_page(context)
        visit(page, "/logga-in")
        axe(page, SHARED, "Inloggningen", found)
        page.get_by_label("Användarnamn eller e-post").fill(EDITOR)
        page.get_by_label("Lösenord").fill("fel lösenord")
        with page.expect_navigation():
            page.get_by_role("button", name="Logga in").click()
        expect(page.get_by_role("alert")).to_be_visible()
        axe(page, SHARED, "Inloggningen efter ett fel", found)
        login(page, EDITOR)
        for name, path in COMMON:
            visit(page, path)
            axe(page, SHARED, name, found)
        changes(page, found, SHARED)
        not_found(page, found, SHARED)
        errors = list(page.errors)
    with browser_context(chromium, shared) as context:
        page = new_page(context)
        login(page, READER)
        visit(page, "/k/lulea/dok/verksamhetsplan")
        post_from_page(page, "/k/lulea/dok/verksamhetsplan/disposition",
                       {"op": "add", "path": "", "form:version": ""})
        expect(page.get_by_role("heading", level=1)).to_have_text("Inte tillåtet")
        axe(page, SHARED, "Felsidan 403 (rollen tillåter inte)", found)
        errors += page.errors
    MEASURED["pages"][SHARED] = found
    assert not problems(found), "axe-core:\n" + problems(found)
    assert not unexpected(errors), errors


# -- the statement's figures ---------------------------------------------------------


@pytest.mark.browser
def test_the_statement_claims_what_axe_measured() -> None:
    """Written with AVTALSGEN_ACCESSIBILITY=write; otherwise the committed figures must
    cover the same pages, with no fewer violations than measured, by the same axe-core."""
    if set(MEASURED["pages"]) != {LOCAL, SHARED}:
        pytest.skip("needs both page tests of this file in the same run")
    pages = MEASURED["pages"][LOCAL] + MEASURED["pages"][SHARED]
    if WRITE:
        data = {"tool": "axe-core", "axe_core": MEASURED["axe_core"],
                "browser": MEASURED["browser"], "date": dt.date.today().isoformat(),
                "pages": [{k: p[k] for k in ("name", "server", "path", "violations")}
                          for p in pages]}
        statement.RESULTS.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
        return
    committed = statement.results()
    rerun = " (remake it: AVTALSGEN_ACCESSIBILITY=write pytest -m browser " \
            "tests/test_accessibility_pages.py)"
    assert committed is not None, f"{statement.RESULTS} is missing" + rerun
    assert committed["axe_core"] == MEASURED["axe_core"], "another axe-core" + rerun
    claimed = {(p["server"], p["name"]): len(p["violations"]) for p in committed["pages"]}
    measured = {(p["server"], p["name"]): len(p["violations"]) for p in pages}
    assert sorted(claimed) == sorted(measured), "other pages than tested" + rerun
    fewer = {k: (claimed[k], n) for k, n in measured.items() if claimed[k] < n}
    assert not fewer, f"the statement claims fewer violations than measured: {fewer}" + rerun


# -- the statement page (in-process) -------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return seed_repository(tmp_path)


def test_the_statement_shows_the_recorded_figures(root: Path) -> None:
    data = statement.results()
    assert data is not None, "src/avtalsgen/web/accessibility.json is committed"
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    html = client.get(statement.PATH).text
    n = len(data["pages"])
    m = sum(len(p["violations"]) for p in data["pages"])
    assert f"automatiskt med axe-core {data['axe_core']} i Chromium" in html
    assert re.search(rf"{data['date']}: {n} sidor, {m} brist", html), html
    assert "delvis förenlig" in html or "helt förenlig" in html
    assert statement.DIGG_REPORT in html and "lag 2018:1937" in html
    assert "WCAG 2.1 nivå AA" in html and "EN 301 549" in html


def test_the_statement_names_the_operators_contact(root: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(statement.CONTACT_ENV, raising=False)
    html = TestClient(create_app(root), base_url="http://127.0.0.1").get(statement.PATH).text
    assert "avtalsgen serve --contact" in html  # the operator is told to set it
    given = "Trygghetsenheten, tillganglighet@kommun.example, 0920-45 30 00"
    html = TestClient(create_app(root, contact=given),
                      base_url="http://127.0.0.1").get(statement.PATH).text
    assert given in html and "--contact" not in html
    monkeypatch.setenv(statement.CONTACT_ENV, "Från miljön <a@b.se>")
    html = TestClient(create_app(root), base_url="http://127.0.0.1").get(statement.PATH).text
    assert "Från miljön &lt;a@b.se&gt;" in html


def test_every_page_links_the_statement_and_it_needs_no_login(root: Path,
                                                               tmp_path: Path) -> None:
    from avtalsgen.accounts import Accounts

    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    for path in ("/", "/k/lulea", "/k/lulea/dok/verksamhetsplan/forhandsvisning",
                 "/k/finns-inte"):
        assert f'<a href="{statement.PATH}">Tillgänglighet</a>' in client.get(path).text, path
    accounts = Accounts(tmp_path / "accounts.sqlite3")
    try:
        anonymous = TestClient(create_app(root, accounts), base_url="http://127.0.0.1")
        answer = anonymous.get(statement.PATH, follow_redirects=False)
        assert answer.status_code == 200 and "Tillgänglighet för avtalsgen" in answer.text
        assert statement.PATH in anonymous.get("/logga-in").text
    finally:
        accounts.close()


def test_the_preview_is_a_page_for_the_browser_and_a_fragment_for_htmx(root: Path) -> None:
    client = TestClient(create_app(root), base_url="http://127.0.0.1")
    url = "/k/lulea/dok/verksamhetsplan/forhandsvisning"
    html = client.get(url).text
    assert html.startswith("<!doctype html>") and '<html lang="sv">' in html
    assert "<title>Förhandsvisning: Verksamhetsplan 2020-2021 – Luleå kommun" in html
    for landmark in ("<header", "<main", "<footer", "/static/app.css"):
        assert landmark in html, landmark
    assert 'href="/k/lulea/dok/verksamhetsplan">Tillbaka till dokumentet</a>' in html
    # The page images come after the page, through the same (queued) route.
    assert 'hx-get="/k/lulea/dok/verksamhetsplan/sidor" hx-trigger="load"' in html
    assert "<h3>Bakgrund</h3>" in html
    fragment = client.get(url, headers={"HX-Request": "true"}).text
    assert fragment.startswith('<article class="preview" lang="sv">')
    assert "<h1" not in fragment and "<h2" not in fragment
