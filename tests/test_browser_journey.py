"""A coordinator's whole year in Chromium, on the shared server (`serve --shared`):
last year's agreement, typed in Word with direct formatting, is read in, its import
notes ticked, the period and the signatories changed, text edited in place, a measure
typed into Brå's grid, a block of figures pasted into a statistics grid, sections
reordered, the document previewed and compared since the import, the redline
downloaded, what blocks a final version fixed by following the municipality page's
links, both parties approve in their own browsers, and the final PDF is downloaded.

Every edit action (add, remove, move, add row, paste) is watched for page loads: there
must be none. The story counts its actions (clicks, keys, typed fields, pastes, file
choices) and times each step; it prints the table, and with AVTALSGEN_JOURNEY=write
writes it into docs/benchmarks.md.

Where the product gets a step wrong, the story notes it and goes on, and fails at the
end with every note, so that one run shows all that stands in a coordinator's way.

Run with `pytest -m browser tests/test_browser_journey.py`; skipped locally (failing on
CI) without Chromium, Playwright, LibreOffice and pdftotext.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import os
import platform
import re
import subprocess
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_support import browser_context, new_page, require, serving
from browser_support import chromium as launch
from conftest import REPO, git

pytestmark = pytest.mark.browser

SLUG = "ekby"
PASSWORD = "correct horse battery"
KOMMUN, POLIS = "kajsa.kommun", "per.polis"
DOWNLOAD_MS = 90_000  # the first PDF starts LibreOffice
BENCHMARKS = REPO / "docs" / "benchmarks.md"
START, END = "<!-- journey: start -->", "<!-- journey: end -->"

# Last year's agreement, as the Word file shows it.
WORD_NAME = "Samverkansavtal Ekby 2024.docx"
OLD_TITLE = "Samverkansöverenskommelse 2024–2026"
OLD_COVER = "Överenskommelsen gäller för perioden 2024–2026."
OLD_TEXT = "Otryggheten är störst i centrum kvällstid."
# This year's.
NEW_TITLE = "Samverkansöverenskommelse 2025–2027"
NEW_COVER = "Överenskommelsen gäller för perioden 2025–2027."
NEW_TEXT = ("Otryggheten är störst i centrum och vid resecentrum kvällstid, enligt 2025 års "
            "trygghetsmätning.")
NEW_GOAL = "Fler kvinnor ska känna sig trygga vid resecentrum."
SIGNATORIES = ("Anna Andersson", "Bertil Berg")
MEASURE = {"measure": "Nattvandring i centrum", "goal": "Varje fredag och lördag",
           "when": "Ht 2025", "who": "Föreningssamordnare Sara Holm",
           "follow_up": "Rapport varje kvartal"}
# Three rows of four figures as Excel puts them on the clipboard.
BLOCK = "1 100\t1 050\t990\t940\r\n2 200\t2 150\t2 100\t1 980\r\n12\t15\t9\t11\r\n"
NAMES = iter(["Lena Ek", "Omar Said", "Maja Lind", "Karin Berg", "Jonas Ali", "Eva Sten"])

# Words of a page that a coordinator should never read: English and developer words.
ENGLISH = re.compile(r"\b(the|before|after|kept|first|heading|follows|page|sample|holds|"
                     r"still|placeholder|error|not found|method|allowed|yaml|slug)\b",
                     re.IGNORECASE)


# -- the Word file ---------------------------------------------------------------------


def agreement_docx(path: Path) -> Path:
    """Last year's agreement in the Normal style only: the title and headings bold and
    larger, typed numbers, "Mål:" and "Ansvarig:" as bold labels above their text."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()

    def line(text: str, *, bold: bool = False, size: float | None = None) -> None:
        run = doc.add_paragraph().add_run(text)
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)

    line(OLD_TITLE, bold=True, size=20)
    line("mellan Ekby kommun och Lokalpolisområde Ekby", size=14)
    line(OLD_COVER)
    line("1. Inledning", bold=True, size=14)
    line("Ekby kommun och Lokalpolisområde Ekby ingår denna överenskommelse för att öka "
         "tryggheten och minska brottsligheten i Ekby.")
    line("Arbetet bygger på en gemensam lägesbild som tas fram varje år.")
    line("2. Trygghet i centrum", bold=True, size=14)
    line(OLD_TEXT)
    line("Mål:", bold=True)
    line("Färre ska känna sig otrygga i centrum kvällstid.")
    line("Ansvarig:", bold=True)
    line("Trygghetssamordnare och kommunpolis.")
    line("3. Unga i riskzon", bold=True, size=14)
    line("Tidiga insatser för unga ger störst effekt.")
    line("Mål:", bold=True)
    line("Färre unga ska begå brott.")
    line("Ansvarig:", bold=True)
    line("Socialchef och kommunpolis.")
    line("4. Uppföljning", bold=True, size=14)
    line("Parterna följer upp överenskommelsen varje halvår i styrgruppen.")
    doc.save(str(path))
    return path


# -- the server ----------------------------------------------------------------------


@dataclass
class Server:
    root: Path
    url: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared app over a repository holding Ekby, made by `avtalsgen init` (its
    example has Brå's measures and statistics tables), with a kommun editor who also
    approves for the kommun, and a polis approver."""
    require("the coordinator's year", ("argon2", "docx"), ("soffice", "pdftotext"))
    from argon2 import PasswordHasher

    from avtalsgen.accounts import Accounts
    from avtalsgen.build import init_municipality
    from avtalsgen.web.app import create_app

    base = tmp_path_factory.mktemp("journey")
    root = base / "municipalities"
    init_municipality(SLUG, root, "Ekby")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "Ekby skapad från exemplet")
    fast = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    accounts = Accounts(base / "accounts.sqlite3", hasher=fast)
    accounts.add_user(KOMMUN, f"{KOMMUN}@example.se", PASSWORD)
    accounts.grant(KOMMUN, SLUG, "editor")
    accounts.grant(KOMMUN, SLUG, "approver", "kommun")
    accounts.add_user(POLIS, f"{POLIS}@example.se", PASSWORD)
    accounts.grant(POLIS, SLUG, "approver", "polis")
    try:
        with serving(create_app(root, accounts), "/logga-in") as url:
            yield Server(root, url)
    finally:
        accounts.close()


# -- the record of the journey -------------------------------------------------------


@dataclass
class Journey:
    """Actions and seconds per step, and what the product got wrong on the way."""

    rows: list[tuple[str, int, float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    actions: int = 0
    edits: int = 0  # edit actions watched for page loads
    loaded: list[str] = field(default_factory=list)  # those that loaded one
    current: str = ""

    pages: list[Any] = field(default_factory=list)  # whose console errors are checked
    seen: set[str] = field(default_factory=set)  # words already noted

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.current, before, started = name, self.actions, time.perf_counter()
        errors = [len(p.errors) for p in self.pages]
        yield
        self.rows.append((name, self.actions - before, time.perf_counter() - started))
        new = [e for p, n in zip(self.pages, errors, strict=True) for e in p.errors[n:]
               if "favicon" not in e]
        self.check(not new, "errors in the browser console: " + "; ".join(new))

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.problems.append(f"{self.current}: {message}")
        return ok

    # What a person does; each counts as one action.
    def click(self, target: Any, **kwargs: Any) -> None:
        self.actions += 1
        target.click(**kwargs)

    def select(self, target: Any, value: str) -> None:
        self.actions += 1
        target.select_option(value)

    def fill(self, target: Any, text: str) -> None:
        self.actions += 1
        target.fill(text)

    def type(self, page: Any, text: str) -> None:
        self.actions += 1
        page.keyboard.type(text)

    def press(self, page: Any, key: str) -> None:
        self.actions += 1
        page.keyboard.press(key)

    def choose_file(self, target: Any, path: Path) -> None:
        self.actions += 1
        target.set_input_files(str(path))

    def paste(self, page: Any, text: str) -> None:
        """What Ctrl+V does after copying in Excel: a paste event with text/plain on
        the focused element."""
        self.actions += 1
        page.evaluate("""(text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            document.activeElement.dispatchEvent(new ClipboardEvent("paste",
                {clipboardData: data, bubbles: true, cancelable: true}));
        }""", text)

    def navigate(self, page: Any, action: Callable[[], None]) -> None:
        """An action that loads a page (a link, Spara, a form), waited for; the page
        is read for English and developer words."""
        with page.expect_navigation():
            action()
        self.read(page)

    def read(self, page: Any) -> None:
        shown = " ".join(page.locator("main").inner_text().split())
        words = [w for w in english(shown) if w.lower() not in self.seen]
        if words:
            self.seen.update(w.lower() for w in words)
            where = page.url.split("?")[0].removeprefix(page.url.split("/k/")[0])
            found = ENGLISH.search(shown)
            assert found is not None
            around = shown[max(0, found.start() - 80):found.end() + 120]
            self.check(False, f"{where} shows English or developer words {words}: "
                              f"…{around}…")

    @contextlib.contextmanager
    def no_page_load(self, page: Any, what: str) -> Iterator[None]:
        """An edit action: the block must change the page in place, never load one (a
        document loaded; the address changed in place by the history API is no load)."""
        loads: list[str] = []

        def seen(loaded: Any) -> None:
            loads.append(loaded.url)

        self.edits += 1
        page.on("domcontentloaded", seen)
        try:
            yield
            page.wait_for_load_state()
        finally:
            page.remove_listener("domcontentloaded", seen)
        if loads:
            self.loaded.append(what)
        self.check(not loads, f"{what} loaded the page ({', '.join(loads)}) instead of "
                              "changing it in place")


# -- helpers -------------------------------------------------------------------------


def log_in(j: Journey, page: Any, name: str, path: str) -> None:
    """Open path, get the login page instead, log in, and land on path."""
    from playwright.sync_api import expect

    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    j.fill(page.get_by_label("Användarnamn eller e-post"), name)
    j.fill(page.get_by_label("Lösenord"), PASSWORD)
    j.navigate(page, lambda: j.click(page.get_by_role("button", name="Logga in")))
    assert page.url.endswith(path), page.url


def main_text(page: Any) -> str:
    return " ".join(page.locator("main").inner_text().split())


def to_municipality(j: Journey, page: Any) -> None:
    """The municipality's page through the breadcrumb."""
    from playwright.sync_api import expect

    crumb = page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Ekby kommun", exact=True)
    if crumb.count():
        j.navigate(page, lambda: j.click(crumb.first))
    else:
        page.goto(f"/k/{SLUG}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ekby kommun")


def open_link(j: Journey, page: Any, name: str, *, exact: bool = True) -> None:
    j.navigate(page, lambda: j.click(page.get_by_role("link", name=name, exact=exact).first))


def save(j: Journey, page: Any, form: Any = None) -> None:
    """Spara (the form's first), and see it saved."""
    from playwright.sync_api import expect

    form = form if form is not None else page.locator("form.editor")
    j.navigate(page, lambda: j.click(form.get_by_role("button", name="Spara").first))
    expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()


def current_step(page: Any) -> str:
    return " ".join(page.locator('.steps [aria-current="step"]').inner_text().split())


def load(server: Server, name: str) -> Any:
    return yaml.safe_load((server.root / SLUG / name).read_text(encoding="utf-8"))


def doc_file(server: Server) -> str:
    """The imported document's file: the one the example did not have."""
    example = {"samverkansoverenskommelse", "handlingsplan", "lagesbild", "medborgarloften",
               "bilagor"}
    (name,) = [d for d in load(server, "municipality.yaml")["documents"] if d not in example]
    return name


def english(text: str) -> list[str]:
    return sorted({m.group(0) for m in ENGLISH.finditer(text)})


def download(page: Any, link: Any) -> bytes:
    with page.expect_download(timeout=DOWNLOAD_MS) as info:
        link.click()
    failure = info.value.failure()
    assert failure is None, f"download failed: {failure}"
    return Path(info.value.path()).read_bytes()


def tracked(docx: bytes, tag: str) -> str:
    """The text of every tracked insertion (ins) or deletion (del) in the body."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    tree = etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml"))
    texts = ("t", "delText")
    return " ".join("".join(t.text or "" for t in change.iter()
                            if etree.QName(t).localname in texts)
                    for change in tree.iter(f"{w}{tag}"))


def pdf_text(data: bytes, tmp: Path) -> str:
    path = tmp / "slutlig.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    return " ".join(out.split())


# -- the benchmark table ----------------------------------------------------------------


def table(j: Journey) -> str:
    lines = ["| step | actions | seconds |", "|---|---:|---:|"]
    lines += [f"| {name} | {actions} | {seconds:.1f} |" for name, actions, seconds in j.rows]
    total = sum(s for _n, _a, s in j.rows)
    lines.append(f"| **whole year** | **{sum(a for _n, a, _s in j.rows)}** | "
                 f"**{total:.1f}** |")
    return "\n".join(lines)


def write_benchmarks(j: Journey) -> None:
    """The section of docs/benchmarks.md between the journey's markers, replaced (or
    added at the end)."""
    about = textwrap.fill(
        "One story in Chromium (1280×900) on the shared server, measured on "
        f"{dt.date.today().isoformat()} ({platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}): a Word file "
        "typed with direct formatting is read in and taken through the year to the "
        "final PDF both parties approved. An action is a click, a key, a field typed, "
        "a paste or a file chosen; the seconds include the browser's typing and the "
        "server's answers (the PDFs are made by LibreOffice). Reproduce with "
        "`AVTALSGEN_JOURNEY=write .venv/bin/pytest -m browser -s "
        "tests/test_browser_journey.py`.", 85)
    loads = textwrap.fill(
        f"Edit actions (opening a section in place, add, remove, move, add row, paste) "
        f"watched for page loads: "
        f"{j.edits}; loading a page instead: {len(j.loaded)}"
        + (f" ({'; '.join(j.loaded)})." if j.loaded else "."), 85)
    section = "\n".join([
        START,
        "## The coordinator's year in the browser (`tests/test_browser_journey.py`)",
        "", about, "", table(j), "", loads, END])
    text = BENCHMARKS.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    BENCHMARKS.write_text(text, encoding="utf-8")


# -- the story -----------------------------------------------------------------------


def test_a_coordinators_year_from_last_years_word_file_to_the_final_pdf(
        server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    word = agreement_docx(tmp_path / WORD_NAME)
    j = Journey()
    with launch() as browser, browser_context(browser, server.url) as one, \
            browser_context(browser, server.url) as two:
        page, polis = new_page(one), new_page(two)
        j.pages = [page, polis]
        try:
            year(j, server, page, polis, word, tmp_path, expect)
        finally:
            print("\nThe coordinator's year (step, actions, seconds):\n" + table(j))
            if os.environ.get("AVTALSGEN_JOURNEY") == "write" and len(j.rows) == 13:
                write_benchmarks(j)
    assert not j.problems, "what stands in a coordinator's way:\n- " + "\n- ".join(j.problems)


def year(j: Journey, server: Server, page: Any, polis: Any, word: Path, tmp: Path,
         expect: Any) -> None:
    # 1. Log in and read last year's Word file in as a new document.
    with j.step("Log in, read in last year's Word file"):
        log_in(j, page, KOMMUN, f"/k/{SLUG}")
        j.choose_file(page.get_by_label("Fjolårets dokument", exact=False), word)
        j.navigate(page, lambda: j.click(page.get_by_role("button", name="Läs in")))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{WORD_NAME} är inläst")
        found = page.locator("main h2:has-text('Vad som hittades') + ul")
        expect(found).to_contain_text("4 rubriker")
        notes = page.locator("section.review-notes")  # read for English by navigate
        expect(notes.get_by_role("heading", level=2)).to_contain_text(
            "Att granska efter inläsningen")
        doc = doc_file(server)
        saved = load(server, f"{doc}.yaml")
        assert saved["title"] == OLD_TITLE
        assert [s["heading"] for s in saved["sections"]][1].endswith("Trygghet i centrum")
        assert saved["sections"][1]["goals"] and saved["sections"][1]["responsible"]

    # 2. Tick every place of the review list "Klart", starting on the import's page.
    with j.step("Resolve the import notes (Klart)"):
        klart = page.get_by_role("button", name=re.compile(r"^Klart"))
        first = True
        while klart.count():
            with page.expect_navigation() as answer:
                j.click(klart.first)
            response = answer.value
            status = response.status if response is not None else 0
            if first:
                title = page.title()
                j.check(status == 200, f"Klart on the import's page answered {status} "
                                       f"({title!r}: {main_text(page)[:200]!r}); the tick "
                                       "is kept, but the coordinator is shown an error")
                first = False
            if status != 200:
                page.goto(f"/k/{SLUG}")  # where the list is too
        to_municipality(j, page)
        expect(page.locator("section.review-notes")).to_have_count(0)
        j.check(current_step(page) != "Inläst",
                f"the year still stands at Inläst with every note ticked: "
                f"{current_step(page)!r}")

    # 3. This year's period and signatories, on "Kommunens uppgifter".
    with j.step("Change the period and the signatories"):
        open_link(j, page, "Kommunens uppgifter", exact=False)
        expect(page.get_by_role("heading", level=1)).to_have_text("Kommunens uppgifter")
        j.fill(page.get_by_label("Första år", exact=True), "2025")
        j.fill(page.get_by_label("Sista år", exact=True), "2027")
        for n, name in enumerate(SIGNATORIES, start=1):
            j.fill(page.get_by_label(f"Undertecknare {n}", exact=True), name)
        save(j, page)
        muni = load(server, "municipality.yaml")
        assert muni["period"] == {"start": 2025, "end": 2027}, muni["period"]
        assert [s["name"] for s in muni["signing"]["signatories"]] == list(SIGNATORIES)

    # 4. The document as it will print: a click on a paragraph opens its section's
    # fields in place; a goal added there; Spara shows the document again.
    with j.step("Edit text in place in the document"):
        to_municipality(j, page)
        open_link(j, page, OLD_TITLE)
        view = page.locator("section.docview")
        expect(view).to_contain_text(OLD_TEXT)
        with j.no_page_load(page, "clicking a paragraph of the document"):
            j.click(view.get_by_text(OLD_TEXT, exact=True))
            form = page.locator(".in-place form.editor")
            expect(form).to_be_visible()
        j.fill(form.get_by_label("Stycke", exact=True).first, NEW_TEXT)
        with j.no_page_load(page, "Lägg till mål in the document"):
            j.click(form.get_by_role("button", name="Lägg till mål"))
            expect(form.locator('[name="sections[1].goals[1]"]')).to_be_visible()
        goal = page.locator('.in-place [name="sections[1].goals[1]"]')
        j.check(page.evaluate("document.activeElement && document.activeElement.name")
                == "sections[1].goals[1]", "the new goal's field has no focus")
        j.fill(goal, NEW_GOAL)
        with page.expect_navigation():
            j.click(page.locator(".in-place form.editor").get_by_role(
                "button", name="Spara").first)
        page.wait_for_load_state()
        j.check(f"/dok/{doc}?" in page.url and page.url.endswith("#del-1"),
                f"Spara after Lägg till mål in the document led to {page.url}, not back "
                "to the document at the edited section")
        saved = load(server, f"{doc}.yaml")["sections"][1]
        assert saved["content"][0] == NEW_TEXT, saved
        assert saved["goals"][-1] == NEW_GOAL, saved
        if "/avsnitt/" in page.url:  # the way back a person takes
            open_link(j, page, OLD_TITLE)
        view = page.locator("section.docview")
        expect(view).to_contain_text(NEW_TEXT)
        expect(view).to_contain_text(NEW_GOAL)
        # The cover's text (the old period) and the title: the cover is part of the
        # document as it prints, so a click on it should open it in place too.
        j.click(view.get_by_text(OLD_COVER, exact=True))
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        with contextlib.suppress(PlaywrightTimeout):  # it opens after a fetch
            page.locator(".in-place form.editor").wait_for(timeout=5_000)
        j.check(page.locator(".in-place").count() == 1,
                "a click on the cover's text (the period) opens nothing: it can only be "
                "changed under Dokumentets uppgifter")
        if page.locator(".in-place").count() == 0:
            fields = page.locator("details.doc-fields")
            if not fields.evaluate("d => d.open"):
                j.click(fields.locator("summary"))
            form = fields.locator("form.editor")
        else:
            form = page.locator(".in-place form.editor")
        j.fill(form.get_by_label("Titel", exact=True), NEW_TITLE)
        cover = form.locator('[name="cover[0]"]')
        j.fill(cover, NEW_COVER)
        save(j, page, form)
        expect(page.get_by_role("heading", level=1)).to_have_text(NEW_TITLE)
        saved = load(server, f"{doc}.yaml")
        assert saved["title"] == NEW_TITLE and saved["cover"] == [NEW_COVER], saved

    # 5. Brå's measures: a new measure typed into the grid, last year's second one
    # removed.
    with j.step("Add a measure in Brå's grid"):
        to_municipality(j, page)
        open_link(j, page, "Handlingsplan 2025")
        open_link(j, page, "Åtgärder")
        expect(page.get_by_role("heading", level=1)).to_have_text("Avsnitt: Åtgärder")
        plan = "sections[1].content[0].measures.causes[0].measures"
        with j.no_page_load(page, "Lägg till åtgärd in Brå's grid"):
            j.click(page.get_by_role("button", name="Lägg till åtgärd").first)
            expect(page.locator(f'[name="{plan}[2].measure"]')).to_be_visible()
        j.check(page.evaluate("document.activeElement.name") == f"{plan}[2].measure",
                "the new measure's first cell has no focus")
        page.locator(f'[name="{plan}[2].measure"]').focus()
        for n, key in enumerate(("measure", "goal", "when", "who", "follow_up")):
            if n:
                j.press(page, "Tab")
            j.type(page, MEASURE[key])
        j.press(page, "Tab")
        j.press(page, "ArrowDown")  # the status
        # Brå's model: every measure has an owner (party and function) and a measurable
        # indicator; the plan's checks refuse a final version without them.
        j.select(page.locator(f'[name="{plan}[2].party"]'), "kommun")
        j.fill(page.locator(f'[name="{plan}[2].function"]'), "Trygghetssamordnare")
        j.fill(page.locator(f'[name="{plan}[2].indicator"]'), "besokare")
        with j.no_page_load(page, "removing a measure in Brå's grid"):
            j.click(page.get_by_role("button", name=re.compile(
                r"Ta bort åtgärd 2 \(Fältassistenter i centrum\)")))
            expect(page.locator(f'[name="{plan}[2].measure"]')).to_have_count(0)
        save(j, page)
        measures = load(server, "handlingsplan.yaml")["sections"][1]["content"][0][
            "measures"]["causes"][0]["measures"]
        assert [x["measure"] for x in measures] == ["Öppna fritidsgården fredagskvällar",
                                                    MEASURE["measure"]], measures
        assert {k: measures[1][k] for k in MEASURE} == MEASURE, measures[1]

    # 6. Statistics: a row added, then a 3×4 block copied from Excel pasted into it.
    with j.step("Paste a 3×4 block into a statistics grid"):
        to_municipality(j, page)
        open_link(j, page, "Statistik (tabeller)")
        rows = "tables.anmalda_brott.rows"
        grid = page.locator(f"table.grid[data-rows='{rows}']")
        with j.no_page_load(page, "Lägg till rad in the statistics grid"):
            j.click(page.locator(f'button[name="form:action"][value="add:{rows}"]'))
            expect(grid.locator("tbody tr")).to_have_count(4)
        with j.no_page_load(page, "pasting a block into the statistics grid"):
            j.click(page.locator(f'[name="{rows}[1][1]"]'))
            j.paste(page, BLOCK)
            expect(page.locator(f'[name="{rows}[3][4]"]')).to_have_value("11")
        expect(page.locator(f'[name="{rows}[1][1]"]')).to_have_value("1100")
        j.click(page.locator(f'[name="{rows}[3][0]"]'))
        j.type(page, "Rån")
        save(j, page)
        stats = load(server, "statistics.yaml")["tables"]["anmalda_brott"]
        assert stats["rows"] == [["Våldsbrott", 412, 398, 421, 389],
                                 ["Skadegörelse", 1100, 1050, 990, 940],
                                 ["Tillgrepp", 2200, 2150, 2100, 1980],
                                 ["Rån", 12, 15, 9, 11]], stats["rows"]
        total = page.locator(f"table.grid[data-rows='{rows}'] tr.computed")
        expect(total).to_contain_text("3\u00a0724")  # 412 + 1 100 + 2 200 + 12

    # 7. Reorder: Uppföljning before Unga i riskzon, through the outline.
    with j.step("Reorder sections"):
        to_municipality(j, page)
        open_link(j, page, NEW_TITLE)
        outline = page.get_by_role("navigation", name="Disposition")
        open_link(j, page, "Uppföljning")
        links = outline.locator("ol > li > a")
        with j.no_page_load(page, "Flytta upp in the outline"):
            j.click(outline.get_by_role("button", name="Flytta upp"))
            expect(links.nth(2)).to_have_text("Uppföljning")
        headings = [s["heading"] for s in load(server, f"{doc}.yaml")["sections"]]
        assert headings == ["Inledning", "Trygghet i centrum", "Uppföljning",
                            "Unga i riskzon"], headings
        # The typed numbers became the document's numbering: after the move it still
        # counts 1, 2, 3, 4, in the document as it will print.
        numbers = [n.strip() for n in page.locator("section.docview .doc-h .doc-num")
                   .all_inner_texts()] if page.locator("section.docview").count() else []
        if not numbers:
            open_link(j, page, NEW_TITLE)
            numbers = [n.strip() for n in page.locator("section.docview .doc-h .doc-num")
                       .all_inner_texts()]
        j.check(numbers[:4] == ["1.", "2.", "3.", "4."],
                f"after a move the document's sections are numbered {numbers[:4]}, not "
                "1, 2, 3, 4")

    # 8. The preview: a full page.
    with j.step("Preview"):
        open_link(j, page, NEW_TITLE)
        open_link(j, page, "Öppna förhandsvisningen")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Förhandsvisning: {NEW_TITLE}")
        assert page.title().startswith("Förhandsvisning"), page.title()
        assert page.evaluate("document.documentElement.lang") == "sv"
        for landmark in ("main", "banner", "contentinfo"):
            expect(page.get_by_role(landmark)).to_have_count(1)
        article = page.locator("article.preview")
        expect(article).to_contain_text(NEW_TEXT)
        expect(article).to_contain_text(NEW_GOAL)

    # 9. What changed since the import, in the history, and as a Word redline.
    with j.step("Compare since the import"):
        to_municipality(j, page)
        open_link(j, page, "Historik och ändringar")
        since = page.get_by_role("link", name="Ändringar sedan inläsningen")
        expect(since).to_have_count(1)
        j.navigate(page, lambda: j.click(since))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Ändringar i {NEW_TITLE}")
        inserted = " ".join(page.locator(".diff ins").all_inner_texts())
        deleted = " ".join(page.locator(".diff del").all_inner_texts())
        assert "resecentrum" in inserted and "trygghetsmätning" in inserted, inserted
        assert "2025–2027" in inserted and "2024–2026" in deleted, (inserted, deleted)

    with j.step("Download the redline (.docx)"):
        j.actions += 1
        redline = download(page, page.get_by_role(
            "link", name="Ladda ner som Word-dokument med spårade ändringar"))
        assert "trygghetsmätning" in tracked(redline, "ins"), tracked(redline, "ins")[:500]
        assert "2024" in tracked(redline, "del"), tracked(redline, "del")[:500]

    # 10. Final: the municipality page lists what blocks it, each a link to its field;
    # the coordinator follows them one by one.
    with j.step("Fix what blocks the final version"):
        to_municipality(j, page)
        blockers = page.locator("section.year .problems li")
        shown = " ".join(blockers.all_inner_texts())
        j.check(not english(shown), f"blockers in English or developer words "
                                    f"{english(shown)}: {shown[:300]}")
        fixed: list[str] = []
        for _ in range(12):
            if not blockers.count():
                break
            link = blockers.first.locator("a")
            if not j.check(link.count() == 1, f"a blocker without a link: "
                                              f"{blockers.first.inner_text()!r}"):
                break
            what = " ".join(blockers.first.inner_text().split())
            href = link.get_attribute("href")
            j.navigate(page, functools.partial(j.click, link))
            anchor = href.split("#", 1)[1] if "#" in href else ""
            target = page.locator(f'[id="{anchor}"]')
            assert anchor and target.count() == 1, f"{what}: the link {href} leads nowhere"
            if target.get_attribute("type") == "checkbox":
                j.click(target)  # Exempeldata, unticked
                expect(target).not_to_be_checked()
            else:
                value = target.input_value()
                assert "Förnamn Efternamn" in value, (what, value)
                j.fill(target, value.replace("Förnamn Efternamn", next(NAMES)))
            save(j, page)
            fixed.append(what)
            to_municipality(j, page)
        expect(blockers).to_have_count(0)
        assert len(fixed) == 5, fixed  # two measures' Vem, three tables' Exempeldata
        expect(page.locator('.steps [aria-current="step"]')).to_have_text("På remiss")

    # 11. Both parties approve, each in their own browser.
    with j.step("Both parties approve"):
        j.navigate(page, lambda: j.click(page.get_by_role("button",
                                                          name="Godkänn för kommunen")))
        expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
        expect(page.get_by_role("table", name="Godkännanden av nuvarande innehåll")
               ).to_contain_text(KOMMUN)
        log_in(j, polis, POLIS, f"/k/{SLUG}")
        expect(polis.locator('.steps [aria-current="step"]')).to_have_text(
            "Godkänd av kommunen")
        j.navigate(polis, lambda: j.click(polis.get_by_role("button",
                                                            name="Godkänn för polisen")))
        assert "Status: slutlig" in main_text(polis), main_text(polis)[:300]
        expect(polis.locator('.steps [aria-current="step"]')).to_have_text("Slutlig")

    # 12. The final PDF: no draft mark, both approvals under the title.
    with j.step("Download the final PDF"):
        page.reload()
        assert "Status: slutlig" in main_text(page)
        open_link(j, page, NEW_TITLE)
        expect(page.locator("form.editor")).to_have_count(0)  # final is locked
        j.actions += 1
        pdf = download(page, page.get_by_role("link", name="Ladda ner PDF").first)
        assert pdf.startswith(b"%PDF-"), pdf[:20]
        text = pdf_text(pdf, tmp)
        assert "UTKAST" not in text, text[:500]
        assert f"Godkänd för kommunen av {KOMMUN}" in text, text[:800]
        assert f"Godkänd för polisen av {POLIS}" in text, text[:800]
        assert NEW_TITLE in text and NEW_TEXT in text and NEW_GOAL in text, text[:2000]
