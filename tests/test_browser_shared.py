"""The shared server (`avtalsgen serve --shared`) in a real browser (Chromium through
Playwright): a kommun editor-approver and a polis editor-approver, each in their own
browser context, log in, co-write a document, approve it for their party until it is
final, download the final documents (both approvals printed under the title, so in
the PDF too), and see an edit afterwards withdraw the approvals and make it a draft.

The tests are the steps of one story over one server and run in file order.

Run with `pytest -m browser tests/test_browser_shared.py`. Without Chromium or
Playwright the tests are skipped locally and fail on CI (env CI set).
"""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_support import browser_context, new_page, open_fields, require, serving
from browser_support import chromium as launch
from conftest import git, make_draft, seed_repository

from avtalsgen import approvals

pytestmark = pytest.mark.browser

DOWNLOAD_MS = 60_000  # a PDF download waits for LibreOffice
PASSWORD = "correct horse battery"
SLUG, DOC = "lulea", "samverkansoverenskommelse"
DOC_URL = f"/k/{SLUG}/dok/{DOC}"
DOC_TITLE = "Samverkansöverenskommelse"  # the document as the pages name it
KOMMUN, POLIS = "kajsa.kommun", "per.polis"  # user names, distinct from any document text

# What each party writes.
KOMMUN_TITLE = "Samverkansöverenskommelse för ett tryggare Luleå"
POLIS_HEADING = "Inledning och syfte"
REVISED_TITLE = "Samverkansöverenskommelse för ett tryggare Luleå, reviderad"
REOPEN_REASON = "Polisen har nya siffror för 2025"


# -- the server ----------------------------------------------------------------------


@dataclass
class Server:
    root: Path
    url: str
    accounts: Any
    found: dict[str, Any] = field(default_factory=dict)  # what one step leaves the next


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared app over a git repository of the seed municipalities (Luleå made a
    draft), with two users, served by uvicorn in a thread on a free port."""
    require("shared browser tests", ("argon2",), ("soffice", "pdftotext", "pdfinfo"))
    from argon2 import PasswordHasher

    from avtalsgen.accounts import Accounts
    from avtalsgen.web.app import create_app

    base = tmp_path_factory.mktemp("shared-browser")
    root = seed_repository(base, lambda root: make_draft(root, SLUG))
    # A cheap hash: the story is about approvals, not password cost.
    fast = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    accounts = Accounts(base / "accounts.sqlite3", hasher=fast)
    for name, party in ((KOMMUN, "kommun"), (POLIS, "polis")):
        accounts.add_user(name, f"{name}@example.se", PASSWORD)
        accounts.grant(name, SLUG, "editor")
        accounts.grant(name, SLUG, "approver", party)
    try:
        with serving(create_app(root, accounts), "/logga-in") as url:
            yield Server(root, url, accounts)
    finally:
        accounts.close()


@pytest.fixture(scope="module")
def chromium(server: Server) -> Iterator[Any]:
    with launch() as browser:
        yield browser


@pytest.fixture(scope="module")
def kommun(chromium: Any, server: Server) -> Iterator[Any]:
    with browser_context(chromium, server.url) as context:
        yield new_page(context)


@pytest.fixture(scope="module")
def polis(chromium: Any, server: Server) -> Iterator[Any]:
    with browser_context(chromium, server.url) as context:
        yield new_page(context)


# -- helpers -------------------------------------------------------------------------


def log_in(page: Any, name: str, path: str) -> None:
    """Open path, get the login page instead, log in, and land on path."""
    from playwright.sync_api import expect

    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    page.get_by_label("Användarnamn eller e-post").fill(name)
    page.get_by_label("Lösenord").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in").click()
    assert page.url.endswith(path), page.url  # back where the login was asked for
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_contain_text(
        f"Inloggad som {name}")



def save(page: Any) -> None:
    """Press the editing form's first Spara, wait for the answer, and see it saved."""
    from playwright.sync_api import expect

    with page.expect_navigation():
        page.locator("form.editor").get_by_role("button", name="Spara").first.click()
    expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()


def open_municipality(page: Any) -> None:
    """The municipality's page through the breadcrumb or, from elsewhere, by address."""
    from playwright.sync_api import expect

    crumb = page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Luleå kommun", exact=True)
    if crumb.count():
        with page.expect_navigation():
            crumb.click()
    else:
        page.goto(f"/k/{SLUG}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Luleå kommun")


def approve(page: Any, button: str) -> str:
    """Press the approve button; returns the version the page offered for approval."""
    form = page.locator(f'form[action="/k/{SLUG}/godkann"]')
    version = form.locator('input[name="form:version"]').get_attribute("value")
    with page.expect_navigation():
        form.get_by_role("button", name=button).click()
    return version


def download(page: Any, link_name: str) -> bytes:
    with page.expect_download(timeout=DOWNLOAD_MS) as info:
        page.get_by_role("link", name=link_name).click()
    failure = info.value.failure()
    assert failure is None, f"download of {link_name!r} failed: {failure}"
    return Path(info.value.path()).read_bytes()


def pdf_reading(data: bytes, tmp: Path) -> tuple[str, str]:
    """(the text pdftotext reads, whitespace joined; the metadata pdfinfo shows)."""
    path = tmp / "dokument.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    info = subprocess.run(["pdfinfo", "-enc", "UTF-8", str(path)], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    return " ".join(text.split()), info


def docx_properties(data: bytes) -> Any:
    from docx import Document

    return Document(io.BytesIO(data)).core_properties


def read_yaml(server: Server, name: str) -> Any:
    return yaml.safe_load((server.root / SLUG / name).read_text(encoding="utf-8"))


def main_text(page: Any) -> str:
    return " ".join(page.locator("main").inner_text().split())


def no_errors(*pages: Any) -> None:
    for page in pages:
        assert not page.errors, "errors in the page:\n" + "\n".join(page.errors)


# -- the story -----------------------------------------------------------------------


def test_kommun_and_polis_log_in_and_co_write_a_document(
        server: Server, kommun: Any, polis: Any) -> None:
    from playwright.sync_api import expect

    # The kommun editor opens the document, logs in, and edits its title.
    log_in(kommun, KOMMUN, DOC_URL)
    expect(kommun.get_by_role("heading", level=1)).to_have_text(DOC_TITLE)
    open_fields(kommun)
    kommun.get_by_label("Titel", exact=True).fill(KOMMUN_TITLE)
    save(kommun)
    expect(kommun.get_by_role("heading", level=1)).to_have_text(KOMMUN_TITLE)
    open_fields(kommun)
    expect(kommun.get_by_label("Titel", exact=True)).to_have_value(KOMMUN_TITLE)
    assert read_yaml(server, f"{DOC}.yaml")["title"] == KOMMUN_TITLE

    # The polis editor, in another browser, sees it and renames the first section.
    log_in(polis, POLIS, DOC_URL)
    open_fields(polis)
    expect(polis.get_by_label("Titel", exact=True)).to_have_value(KOMMUN_TITLE)
    with polis.expect_navigation():
        polis.get_by_role("navigation", name="Disposition").get_by_role(
            "link", name="Inledning", exact=True).click()
    expect(polis.get_by_role("heading", level=1)).to_have_text("Avsnitt: Inledning")
    polis.get_by_label("Rubrik", exact=True).fill(POLIS_HEADING)
    save(polis)
    expect(polis.get_by_role("heading", level=1)).to_have_text(f"Avsnitt: {POLIS_HEADING}")

    # Both changes are in the file, each saved under its author's name.
    saved = read_yaml(server, f"{DOC}.yaml")
    assert saved["title"] == KOMMUN_TITLE
    assert saved["sections"][0]["heading"] == POLIS_HEADING
    authors = git(server.root, "log", "-2", "--format=%an", "--", f"{SLUG}/{DOC}.yaml")
    assert authors.split() == [POLIS, KOMMUN], authors

    # The kommun editor reloads and sees the polis's heading, in the outline and preview.
    kommun.reload()
    outline = kommun.get_by_role("navigation", name="Disposition")
    expect(outline.get_by_role("link", name=POLIS_HEADING, exact=True)).to_be_visible()
    expect(outline.get_by_role("link", name="Inledning", exact=True)).to_have_count(0)
    preview = kommun.locator("#forhandsvisning article.preview")
    expect(preview).to_contain_text(POLIS_HEADING)
    expect(preview).to_contain_text(KOMMUN_TITLE)
    no_errors(kommun, polis)


def test_kommun_approves_then_polis_approves_and_it_is_final(
        server: Server, kommun: Any, polis: Any) -> None:
    from playwright.sync_api import expect

    # The kommun approver approves the current version.
    open_municipality(kommun)
    assert "Status: utkast" in main_text(kommun)
    expect(kommun.get_by_text("Ingen har godkänt det nuvarande innehållet än.")).to_be_visible()
    version = approve(kommun, "Godkänn för kommunen")
    assert version == approvals.content_key(server.root / SLUG)  # the content it saw
    expect(kommun.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
    table = kommun.get_by_role("table", name="Godkännanden av nuvarande innehåll")
    expect(table.get_by_role("row")).to_have_count(2)  # the head and one approval
    expect(table.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        ["kommunen", KOMMUN, re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")])
    assert "Status: utkast" in main_text(kommun), "final after one party's approval"
    assert read_yaml(server, "municipality.yaml")["status"] == "draft"

    # The polis approver, in the other browser, sees that approval and adds theirs.
    open_municipality(polis)
    table = polis.get_by_role("table", name="Godkännanden av nuvarande innehåll")
    expect(table).to_contain_text(KOMMUN)
    expect(polis.get_by_role("button", name="Godkänn för kommunen")).to_have_count(0)
    assert approve(polis, "Godkänn för polisen") == version
    expect(polis.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
    assert "Status: slutlig" in main_text(polis)

    # The approval record names both approvals of this content (municipality.yaml is
    # unchanged: final is derived); the database has both.
    assert read_yaml(server, "municipality.yaml")["status"] == "draft"
    record = read_yaml(server, approvals.RECORD)["approvals"]
    assert sorted((a["name"], a["party"], a["content"]) for a in record) == [
        (KOMMUN, "kommun", version), (POLIS, "polis", version)]
    assert {a.party: a.name for a in server.accounts.approvals(SLUG, version)} == {
        "kommun": KOMMUN, "polis": POLIS}
    server.found["approved"] = version

    # The kommun browser reloads and sees the status; the history lists both approvals.
    kommun.reload()
    assert "Status: slutlig" in main_text(kommun)
    kommun.get_by_role("link", name="Historik och ändringar").click()
    expect(kommun.get_by_role("heading", level=1)).to_have_text("Historik")
    reviews = kommun.get_by_role("table", name="Godkännanden och återkallade godkännanden")
    rows = reviews.get_by_role("row")
    expect(rows.filter(has_text=KOMMUN).filter(has_text="godkänt: kommun")).to_have_count(1)
    expect(rows.filter(has_text=POLIS).filter(has_text="godkänt: polis")).to_have_count(1)
    expect(rows.filter(has_text=POLIS).filter(
        has_text="båda parter har godkänt: slutlig")).to_have_count(1)
    no_errors(kommun, polis)


def test_the_final_municipality_page_shows_both_approvals(kommun: Any) -> None:
    kommun.goto(f"/k/{SLUG}")
    shown = main_text(kommun)
    assert "Status: slutlig" in shown
    assert "Ingen har godkänt det nuvarande innehållet än" not in shown, shown
    assert "Dokumenten är slutliga." in shown and "Återöppna som utkast" in shown
    assert KOMMUN in shown and POLIS in shown, shown


def test_the_final_documents_download_without_draft_marks(
        server: Server, kommun: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    kommun.goto(DOC_URL)
    expect(kommun.get_by_role("heading", level=1)).to_have_text(KOMMUN_TITLE)

    # Word: final, and its properties (dc:description) name both approvals.
    properties = docx_properties(download(kommun, "Ladda ner Word (.docx)"))
    assert properties.content_status == "Slutlig"
    assert properties.title == KOMMUN_TITLE
    assert f"Godkänd för kommunen av {KOMMUN}" in properties.comments, properties.comments
    assert f"Godkänd för polisen av {POLIS}" in properties.comments, properties.comments

    # PDF through LibreOffice: both parties' edits, no UTKAST (a draft has it on each page).
    pdf = download(kommun, "Ladda ner PDF")
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    text, info = pdf_reading(pdf, tmp_path)
    assert KOMMUN_TITLE in text and POLIS_HEADING in text, text[:1000]
    assert "UTKAST" not in text
    assert f"Title: {KOMMUN_TITLE}" in " ".join(info.split()), info
    server.found["pdf"] = pdf
    no_errors(kommun)


def test_the_final_pdf_names_both_approvers(server: Server, tmp_path: Path) -> None:
    text, info = pdf_reading(server.found["pdf"], tmp_path)
    readable = text + " " + " ".join(info.split())
    assert KOMMUN in readable and POLIS in readable, info


def test_a_final_document_is_locked_until_reopened_and_the_edit_withdraws_nothing_silently(
        server: Server, kommun: Any, polis: Any) -> None:
    from playwright.sync_api import expect

    approved = server.found["approved"]
    # The document is locked: no form to edit, a way to the reopening instead.
    kommun.goto(DOC_URL)
    expect(kommun.locator("form.editor")).to_have_count(0)
    with kommun.expect_navigation():
        kommun.get_by_role("link", name="återöppna dem som utkast på kommunens sida").click()
    kommun.get_by_label("Varför ska dokumenten ändras?").fill(REOPEN_REASON)
    with kommun.expect_navigation():
        kommun.get_by_role("button", name="Återöppna som utkast").click()
    assert "Status: utkast" in main_text(kommun)
    assert server.accounts.approvals(SLUG, approved) == []

    # The kommun editor revises the title.
    kommun.goto(DOC_URL)
    open_fields(kommun)
    kommun.get_by_label("Titel", exact=True).fill(REVISED_TITLE)
    save(kommun)
    assert read_yaml(server, f"{DOC}.yaml")["title"] == REVISED_TITLE

    # Both browsers reload: nobody has approved this content, and the history says the
    # approvals were withdrawn by the kommun editor's reopening, and why.
    for page in (polis, kommun):
        page.goto(f"/k/{SLUG}")
        expect(page.get_by_text("Ingen har godkänt det nuvarande innehållet än.")
               ).to_be_visible()
        expect(page.get_by_role("table", name="Godkännanden av nuvarande innehåll")
               ).to_have_count(0)
        page.get_by_role("link", name="Historik och ändringar").click()
        reviews = page.get_by_role("table", name="Godkännanden och återkallade godkännanden")
        withdrawn = reviews.get_by_role("row").filter(has_text="godkännanden återkallade")
        expect(withdrawn).to_have_count(1)
        expect(withdrawn.get_by_role("cell").nth(1)).to_have_text(KOMMUN)  # who reopened
        expect(withdrawn).to_contain_text(REOPEN_REASON)
        expect(withdrawn).to_contain_text(f"kommun ({KOMMUN})")
        expect(withdrawn).to_contain_text(f"polis ({POLIS})")
    no_errors(kommun, polis)


def test_an_edit_afterwards_takes_back_the_final_status(
        server: Server, kommun: Any, polis: Any) -> None:
    assert not approvals.state(server.root / SLUG).final
    assert read_yaml(server, approvals.RECORD)["approvals"] == []
    for page in (kommun, polis):
        page.goto(f"/k/{SLUG}")
        assert "Status: utkast" in main_text(page)
    kommun.goto(DOC_URL)
    properties = docx_properties(download(kommun, "Ladda ner Word (.docx)"))
    assert "Godkänd för" not in (properties.comments or "")
    assert properties.content_status == "Utkast"
