"""Every form on every page, submitted unchanged in Chromium, is accepted.

A crawl from the start page follows the site's own links (and its GET forms) and, on
every page, submits each POST form as it stands, the way the browser posts it (fields
in document order, its first save button as the submitter), each time on a freshly
loaded page. A save of unchanged data must answer what a person expects: no error
page, no conflict ("Någon annan har sparat samma fil"), no conflict copy under
.avtalsgen-conflicts, not a byte changed in the municipality files, and no console
errors. (Issue 19: the municipality's own `version` field once shared its name with
the form's file version, so in a browser, which posts fields in document order,
every save of "Kommunens uppgifter" conflicted; in-process tests post in their own
order and did not see it.)

Forms the browser's own validation blocks unchanged (a required empty field or file)
are skipped and counted, and so are buttons that remove, log out, approve, start the
next year or change the structure by design (the outline's commands). The crawl runs
on the local editor and on the shared server as an editor and approver; there,
approving an unchanged page is checked on its own.

Run with `pytest -m browser tests/test_browser_forms.py -s` to see the table of pages
and forms. Without Chromium or Playwright the tests are skipped locally and fail on
CI (env CI set).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from browser_support import browser_context, require, serving
from browser_support import chromium as launch
from conftest import git, make_draft, seed_repository

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
USER = "kim.kommun"  # editor and kommun approver of the crawled municipalities
DRAFT = "skelleftea"  # the crawled one: a draft with its own version number ("0.9")
FINAL = "lulea"  # final, no version number (a draft to approve on the shared server)
MAX_PAGES = 60
# Pages of a kind visited at most (sections: per document); page images wait for
# LibreOffice, and one section form is much like the next.
CAPS = {"section": 3, "preview": 1, "page images": 1}
# Kinds of page whose header form (the name form, the same on every page) is not
# submitted again: the page images wait for LibreOffice on every load.
SLOW = {"page images"}
MIN_PAGES, MIN_SUBMITTED = 10, 8

# What a person must not see after submitting an unchanged form.
ERROR_TEXTS = ("Någon annan har sparat", "Något gick fel", "Sidan finns inte")
# Buttons never pressed by the unchanged-submit crawl.
NEVER = re.compile(r"^(Ta bort|Logga ut|Godkänn|Påbörja nästa år)", re.IGNORECASE)
# The first submit button of a form that saves (or submits) what the form shows.
SAVES = re.compile(r"^(Spara|Logga in|Markera som slutlig)")


# -- what the crawl finds ------------------------------------------------------------


@dataclass
class Outcome:
    page: str  # its kind, e.g. "section"
    path: str
    form: str  # action (or "(this page)") and the first button
    result: str  # "submitted", "skipped: ..."
    grid: bool = False  # the form holds a grid (a table of fields)


@dataclass
class Crawl:
    root: Path
    scope: tuple[str, ...]  # path prefixes the crawl follows ("/" alone: the start page)
    pages: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    submitted_kinds: set[tuple[str, str]] = field(default_factory=set)

    def submitted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.result == "submitted"]


def kind_of(path: str) -> str:
    """The kind of page a path is, for the table and to submit a shared form (the name
    form in the header) once per kind instead of on every page."""
    p = urlsplit(path).path
    for pattern, kind in ((r"/", "start"), (r"/logga-in", "login"), (r"/k/[^/]+", "municipality"),
                          (r"/k/[^/]+/fil/kommun", "file: Kommunens uppgifter"),
                          (r"/k/[^/]+/fil/[^/]+", "file: " + p.rsplit("/", 1)[-1]),
                          (r"/k/[^/]+/dok/[^/]+", "document"),
                          (r"/k/[^/]+/dok/[^/]+/avsnitt/[^/]+", "section"),
                          (r"/k/[^/]+/dok/[^/]+/forhandsvisning", "preview"),
                          (r"/k/[^/]+/dok/[^/]+/sidor", "page images"),
                          (r"/k/[^/]+/historik", "history"),
                          (r"/k/[^/]+/andringar", "changes")):
        if re.fullmatch(pattern, p):
            return kind
    return "other"


def cap_key(path: str) -> str:
    kind = kind_of(path)
    return path.split("/avsnitt/")[0] if kind == "section" else kind


def in_scope(path: str, scope: tuple[str, ...]) -> bool:
    p = urlsplit(path).path
    if p.endswith((".docx", ".pdf")) or p.startswith(("/static/", "/logga-ut")):
        return False
    return p == "/" or any(p == s or p.startswith(s + "/") for s in scope if s != "/")


def files_of(root: Path) -> dict[str, bytes]:
    """Every file of the municipalities (conflict copies included), .git aside."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def conflict_copies(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.glob("*/.avtalsgen-conflicts/*"))


def watch(context: Any) -> Any:
    """A page that collects uncaught exceptions and console errors in page.errors; the
    favicon Chromium asks for on the bare preview page is no error of the site."""
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))

    def console(m: Any) -> None:
        where = (m.location or {}).get("url", "")
        if m.type == "error" and not where.endswith("/favicon.ico"):
            page.errors.append(f"console.error: {m.text} ({where})")

    page.on("console", console)
    return page


def settle(page: Any) -> None:
    """Wait for a document page's preview, which loads after the page, so a click never
    races it."""
    from playwright.sync_api import expect

    preview = page.locator("#forhandsvisning")
    if preview.count():
        expect(preview.locator("article.preview, .problem")).to_have_count(1)


def visit(page: Any, path: str) -> Any:
    response = page.goto(path)
    settle(page)
    return response


FORMS_JS = """() => [...document.forms].map((f, i) => {
  const submits = [...f.elements].filter(e =>
      (e.tagName === 'BUTTON' && (e.type || 'submit') === 'submit')
      || (e.tagName === 'INPUT' && e.type === 'submit'));
  return {index: i, method: (f.getAttribute('method') || 'get').toLowerCase(),
          action: f.getAttribute('action') || '(this page)',
          buttons: submits.map(b => (b.textContent || b.value || '').trim()),
          blocked: !f.noValidate && !f.checkValidity(),
          grid: !!f.querySelector('table.grid'),
          query: f.method === 'get' ? new URLSearchParams(new FormData(f)).toString() : ''};
})"""


def links_of(page: Any) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")


def crawl(page: Any, found: Crawl, start: str = "/") -> Crawl:
    """Visit every page reachable from start within scope (at most MAX_PAGES, CAPS of a
    kind), and submit each POST form on it unchanged."""
    queue, seen = [start], set()
    visited: dict[str, int] = {}
    while queue and len(found.pages) < MAX_PAGES:
        path = queue.pop(0)
        key = cap_key(path)
        if path in seen or visited.get(key, 0) >= CAPS.get(kind_of(path), MAX_PAGES):
            continue
        seen.add(path)
        visited[key] = visited.get(key, 0) + 1
        response = visit(page, path)
        origin = urlsplit(page.url).netloc
        found.pages.append(path)
        if response is None or response.status >= 400:
            found.failures.append(f"{path}: the page answers {response and response.status}")
            continue
        forms = page.evaluate(FORMS_JS)
        links = [urlsplit(h) for h in links_of(page)]
        for f in forms:  # a GET form leads to a page too (history -> changes)
            if f["method"] == "get":
                links.append(urlsplit(f"http://{origin}{f['action']}?{f['query']}"))
        for u in links:
            target = u.path + (f"?{u.query}" if u.query else "")
            if u.netloc == origin and in_scope(target, found.scope) and target not in seen \
                    and target not in queue:
                queue.append(target)
        for f in forms:
            if f["method"] == "post":
                submit_unchanged(page, found, path, f)
    return found


def submit_unchanged(page: Any, crawl: Crawl, path: str, form: dict[str, Any]) -> None:
    kind = kind_of(path)
    first = form["buttons"][0] if form["buttons"] else "(no button)"
    label = f"{form['action']} [{first}]"

    def record(result: str) -> None:
        crawl.outcomes.append(Outcome(kind, path, label, result, form["grid"]))

    if form["blocked"]:
        return record("skipped: blocked by the browser's validation")
    if NEVER.match(first):
        return record(f"skipped: {first!r} is never pressed unchanged")
    if not SAVES.match(first):
        return record(f"skipped: {first!r} is a command, not a save")
    if form["action"] != "(this page)":
        # A form in the page frame (the name form): once per kind of page is enough.
        if kind in SLOW:
            return record("skipped: the header form, on a slow page")
        if (kind, form["action"]) in crawl.submitted_kinds:
            return record("skipped: submitted on another page of this kind")
        crawl.submitted_kinds.add((kind, form["action"]))
    if first == "Markera som slutlig" and "Status: slutlig" not in page.inner_text("main"):
        return record("skipped: marking a draft final is a change")
    submit(page, crawl, path, form["index"], label)
    record("submitted")


def submit(page: Any, crawl: Crawl, path: str, index: int, label: str) -> None:
    """Load path fresh, press the first submit button of its form number index, and
    check what the person sees and what is on disk."""
    root = crawl.root
    visit(page, path)
    before = files_of(root)
    page.errors.clear()
    form = page.locator("form").nth(index)
    assert form.evaluate("f => f.noValidate || f.checkValidity()"), f"{path} {label}"
    # A form folded away (the document's own fields under the document): open it, as a
    # person would before pressing its button.
    form.evaluate("f => { const d = f.closest('details'); if (d) d.open = true; }")
    button = form.locator("button:not([type=button]):not([type=reset]), input[type=submit]"
                          ).first
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    settle(page)
    where = f"{path} {label} -> {urlsplit(page.url).path}"
    if response is None or response.status >= 400:
        crawl.failures.append(f"{where}: the answer is {response and response.status}")
    text = page.inner_text("body")
    for bad in ERROR_TEXTS:
        if bad in text:
            shown = next((line for line in text.splitlines() if bad in line), bad)
            crawl.failures.append(f"{where}: the page says {shown.strip()!r}")
    copies = conflict_copies(root)
    if copies:
        crawl.failures.append(f"{where}: conflict copies {copies}")
        for copy in copies:  # one failure each, not one for every later form
            (root / copy).unlink()
    after = files_of(root)
    changed = sorted(n for n in before.keys() | after.keys()
                     if before.get(n) != after.get(n) and ".avtalsgen-conflicts" not in n)
    if changed:
        crawl.failures.append(f"{where}: an unchanged save changed {changed}")
        git(root, "checkout", "-q", "--", ".")  # the next form starts from the seed again
    status = git(root, "status", "--porcelain", "--untracked-files=no")
    if status.strip() and not changed:
        crawl.failures.append(f"{where}: git status not clean:\n{status}")
    if page.errors:
        crawl.failures.append(f"{where}: errors in the page: {page.errors}")


def report(title: str, crawl: Crawl) -> None:
    """The table the run prints (pytest -s)."""
    print(f"\n== {title}: {len(crawl.pages)} pages, {len(crawl.submitted())} forms submitted,"
          f" {len(crawl.outcomes) - len(crawl.submitted())} skipped")
    by_page: dict[str, list[Outcome]] = {}
    for o in crawl.outcomes:
        by_page.setdefault(o.path, []).append(o)
    for path in crawl.pages:
        print(f"  {kind_of(path):28} {path}")
        for o in by_page.get(path, []):
            print(f"      {o.result:52} {o.form}{' (grid)' if o.grid else ''}")
    if crawl.failures:
        print("  FAILURES:\n    " + "\n    ".join(crawl.failures))


def check(title: str, crawl: Crawl, must_see: set[str]) -> None:
    report(title, crawl)
    kinds = {kind_of(p) for p in crawl.pages}
    assert must_see <= kinds, f"the crawl missed {must_see - kinds}"
    submitted_kinds = {o.page for o in crawl.submitted()}
    assert {"file: Kommunens uppgifter", "file: statistik", "document",
            "section"} <= submitted_kinds, submitted_kinds
    assert len(crawl.pages) >= MIN_PAGES, crawl.pages
    assert len(crawl.submitted()) >= MIN_SUBMITTED, crawl.outcomes
    assert any(o.grid for o in crawl.submitted()), "no form with a grid was submitted"
    assert not crawl.failures, (f"{len(crawl.failures)} unchanged submits were not accepted:\n"
                                + "\n".join(crawl.failures))


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    require("browser tests", ())
    with launch() as browser:
        yield browser


@pytest.fixture
def local(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The local editor over a fresh git repository of the seed municipalities."""
    from avtalsgen.web.app import create_app

    root = seed_repository(tmp_path)
    with serving(create_app(root)) as url:
        yield root, url


# -- the tests -----------------------------------------------------------------------


LOCAL_KINDS = {"start", "municipality", "file: Kommunens uppgifter", "file: statistik",
               "document", "section", "history", "changes", "preview"}


def test_every_form_submitted_unchanged_is_accepted(chromium: Any,
                                                    local: tuple[Path, str]) -> None:
    """The local editor: the start page, a draft municipality with every page it links
    to, and the page of a final one (marking it final again, if offered, is unchanged)."""
    root, url = local
    with browser_context(chromium, url) as context:
        page = watch(context)
        found = crawl(page, Crawl(root, ("/", f"/k/{DRAFT}")))
        # The final municipality's own page (not its documents).
        found.pages.append(f"/k/{FINAL}")
        visit(page, f"/k/{FINAL}")
        for f in page.evaluate(FORMS_JS):
            if f["method"] == "post":
                submit_unchanged(page, found, f"/k/{FINAL}", f)
    check("local editor", found, LOCAL_KINDS)


def test_municipality_form_saves_its_own_version_number(chromium: Any,
                                                        local: tuple[Path, str]) -> None:
    """Kommunens uppgifter: a new version number and end year are saved as typed, with
    no conflict, and the file's version (a hash) is not stored as the version."""
    from playwright.sync_api import expect

    root, url = local
    path = root / DRAFT / "municipality.yaml"
    end = yaml.safe_load(path.read_text(encoding="utf-8"))["period"]["end"] + 1
    with browser_context(chromium, url) as context:
        page = watch(context)
        page.goto(f"/k/{DRAFT}")
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile("^Kommunens uppgifter")).click()
        form = page.locator("form.editor")
        form.get_by_label("Version", exact=True).fill("0.4")
        form.get_by_label("Sista år", exact=True).fill(str(end))
        with page.expect_navigation() as navigation:
            form.get_by_role("button", name="Spara", exact=True).first.click()
        body = page.inner_text("body")
        assert "Någon annan har sparat" not in body, body[:2000]
        assert navigation.value.status < 400, navigation.value.status
        expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
        expect(form.get_by_label("Version", exact=True)).to_have_value("0.4")
        assert not page.errors, page.errors
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["version"] == "0.4", data.get("version")
    assert data["period"]["end"] == end, data["period"]
    assert not re.search(r"\b[0-9a-f]{64}\b", text), "a file version was saved in the YAML"
    assert conflict_copies(root) == []


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The shared server over the seed municipalities (all drafts), one user who edits
    and approves for the kommun."""
    require("shared browser tests", ("argon2",))
    from argon2 import PasswordHasher

    from avtalsgen.accounts import Accounts
    from avtalsgen.web.app import create_app

    def drafts(root: Path) -> None:
        make_draft(root, FINAL)

    root = seed_repository(tmp_path, drafts)
    accounts = Accounts(tmp_path / "accounts.sqlite3",
                        hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    accounts.add_user(USER, f"{USER}@example.se", PASSWORD)
    for slug in (DRAFT, FINAL):
        accounts.grant(USER, slug, "editor")
        accounts.grant(USER, slug, "approver", "kommun")
    try:
        with serving(create_app(root, accounts), "/logga-in") as url:
            yield root, url
    finally:
        accounts.close()


SHARED_KINDS = {"login", "start", "municipality", "file: Kommunens uppgifter",
                "file: statistik", "document", "section", "history", "changes", "preview"}


def test_every_form_submitted_unchanged_is_accepted_on_the_shared_server(
        chromium: Any, shared: tuple[Path, str]) -> None:
    """The same crawl logged in as an editor and approver; then pressing Godkänn on the
    unchanged municipality is accepted, and an unchanged save keeps the approval."""
    from playwright.sync_api import expect

    root, url = shared
    with browser_context(chromium, url) as context:
        page = watch(context)
        found = Crawl(root, ("/logga-in",))
        # The login page as a visitor sees it: its form, unchanged, is blocked.
        found.pages.append("/logga-in")
        visit(page, "/logga-in")
        for f in page.evaluate(FORMS_JS):
            if f["method"] == "post":
                submit_unchanged(page, found, "/logga-in", f)
        page.get_by_label("Användarnamn eller e-post").fill(USER)
        page.get_by_label("Lösenord").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Logga in").click()
        expect(page.get_by_role("navigation", name="Huvudmeny")).to_contain_text(
            f"Inloggad som {USER}")
        found.scope = ("/", f"/k/{DRAFT}")
        crawl(page, found)
        check("shared server", found, SHARED_KINDS)

        # Godkänn on the unchanged municipality is accepted and shown. (Skellefteå's
        # sample statistics keep it from being approved: Luleå.) Approving records
        # something, so files may change here.
        visit(page, f"/k/{FINAL}")
        page.errors.clear()
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Godkänn för kommunen").click()
        settle(page)
        main = page.inner_text("main")
        assert navigation.value.status < 400, (navigation.value.status, main[:2000])
        for bad in ERROR_TEXTS:
            assert bad not in page.inner_text("body"), main[:2000]
        approvals = page.locator("main table").filter(has_text=USER)
        expect(approvals).to_have_count(1)
        # An unchanged save of Kommunens uppgifter changes nothing: the approval stays.
        visit(page, f"/k/{FINAL}/fil/kommun")
        with page.expect_navigation():
            page.locator("form.editor").get_by_role("button", name="Spara",
                                                    exact=True).first.click()
        expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
        visit(page, f"/k/{FINAL}")
        expect(page.locator("main table").filter(has_text=USER)).to_have_count(1)
        assert conflict_copies(root) == []
        assert not page.errors, page.errors
