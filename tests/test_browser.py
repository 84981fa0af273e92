"""The web editor in a real browser (Chromium through Playwright) against a live server:
the main editing story, a save conflict between two browsers, comment-preserving saves,
what the pages show (console, footer, outline, unsaved-change warning), keyboard use,
axe-core on every page, and the screenshots in docs/screenshots/.

Run with `pytest -m browser tests/test_browser.py`. Without Chromium or Playwright the
tests are skipped locally and fail on CI (env CI set), like the LibreOffice tests.
"""

from __future__ import annotations

import difflib
import io
import os
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_support import WIDTH, browser_context, new_page, open_fields, require, serving
from browser_support import chromium as launch
from conftest import reopen_final_seeds, seed_repository

from avtalsgen import approvals

pytestmark = pytest.mark.browser

# The committed pictures are remade with AVTALSGEN_SCREENSHOTS=docs/screenshots; otherwise
# a run writes them to the temporary folder, leaving the checkout as it was.
SCREENSHOTS = Path(os.environ["AVTALSGEN_SCREENSHOTS"]).resolve() if os.environ.get(
    "AVTALSGEN_SCREENSHOTS") else Path(tempfile.gettempdir()) / "avtalsgen-screenshots"

# Text the editor types: characters HTML, XML and YAML treat specially, and an emoji.
TITLE = 'Överenskommelse & <samverkan> "2025" 🚓'
BLOCK = 'Blocktext för testet & <mer> "citat" 😀 slut'
HEADING = "Testavsnitt om trygghet"


# -- the server ----------------------------------------------------------------------


class Server:
    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`create_app` over a git repository of the seed municipalities, served by uvicorn in
    a thread on a free port."""
    require("browser tests", ("axe_playwright_python.sync_playwright",))
    from avtalsgen.web.app import create_app

    root = seed_repository(tmp_path_factory.mktemp("web"), reopen_final_seeds)
    with serving(create_app(root)) as url:
        yield Server(root, url)


@pytest.fixture(scope="module")
def chromium(server: Server) -> Iterator[Any]:
    with launch() as browser:
        yield browser


@pytest.fixture
def context(chromium: Any, server: Server) -> Iterator[Any]:
    with browser_context(chromium, server.url) as c:
        yield c


@pytest.fixture
def page(context: Any) -> Any:
    return new_page(context)


# -- helpers -------------------------------------------------------------------------


def save(page: Any) -> None:
    """Press the editing form's first Spara and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator("form.editor button[name='form:action'][value=save]").first.click()



def wait_for_preview(page: Any) -> Any:
    from playwright.sync_api import expect

    preview = page.locator("#forhandsvisning")
    expect(preview.locator("article.preview, .problem")).to_have_count(1)
    return preview


def docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.extend(c.text for c in row.cells)
    for section in doc.sections:
        lines.extend(p.text for p in section.header.paragraphs)
    lines.append(doc.core_properties.title or "")
    return "\n".join(lines)


def download(page: Any, link_name: str) -> bytes:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("link", name=link_name).click()
    failure = info.value.failure()
    assert failure is None, f"download of {link_name!r} failed: {failure}"
    return Path(info.value.path()).read_bytes()


def tracked_insertions(docx: bytes) -> list[str]:
    """The text of every tracked insertion (<w:ins>) in word/document.xml."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml")
    tree = etree.fromstring(xml)
    return ["".join(t.text or "" for t in ins.iter(f"{w}t")) for ins in tree.iter(f"{w}ins")]


# -- 1. the main story ---------------------------------------------------------------


def test_create_edit_validate_preview_download_final_and_review(page: Any,
                                                                server: Server) -> None:
    from playwright.sync_api import expect

    root = server.root
    page.goto("/")
    expect(page.get_by_role("heading", name="Kommuner", exact=True)).to_be_visible()
    # The editor's name goes into the history.
    page.get_by_label("Ditt namn (i historiken)").fill("Åsa Öberg")
    with page.expect_navigation():
        page.get_by_role("button", name="Spara namn").click()

    # Create a municipality from the example.
    page.get_by_label("Kommunens namn").fill("Testby")
    page.get_by_label("Mappnamn").fill("testby")
    with page.expect_navigation():
        page.get_by_role("button", name="Skapa kommun").click()
    assert page.url.endswith("/k/testby"), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Testby kommun")
    assert (root / "testby" / "municipality.yaml").is_file()

    # Open one of its documents and edit the title.
    page.get_by_role("link", name="Samverkansöverenskommelse", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Samverkansöverenskommelse")
    doc_url = page.url
    open_fields(page)
    page.get_by_label("Titel", exact=True).fill(TITLE)
    save(page)
    expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    open_fields(page)
    expect(page.get_by_label("Titel", exact=True)).to_have_value(TITLE)
    on_disk = yaml.safe_load((root / "testby" / "samverkansoverenskommelse.yaml")
                             .read_text(encoding="utf-8"))
    assert on_disk["title"] == TITLE

    # A new section at the end, through the outline; it opens on its own page.
    before = len(on_disk["sections"])
    with page.expect_navigation():
        page.get_by_role("button", name="Nytt avsnitt sist").click()
    assert page.url.split("?")[0].endswith(f"/avsnitt/{before}"), page.url
    n = before
    heading = page.locator(f'[name="sections[{n}].heading"]')
    expect(heading).to_have_value("Nytt avsnitt")
    heading.fill(HEADING)
    # A content block through the list's "Lägg till"; the form comes back unsaved.
    # Without a page load: the form alone comes back, marked unsaved.
    page.locator(f'button[name="form:action"][value="add:sections[{n}].content"]').click()
    expect(page.get_by_role("status").filter(has_text="inte sparad")).to_be_visible()
    expect(heading).to_have_value(HEADING)  # what was typed before survives the action
    block = page.locator(f'[name="sections[{n}].content[0]"]')
    block.fill(BLOCK)
    save(page)
    expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
    section = yaml.safe_load((root / "testby" / "samverkansoverenskommelse.yaml")
                             .read_text(encoding="utf-8"))["sections"][n]
    assert section["heading"] == HEADING and section["content"] == [BLOCK], section

    # A problem: an empty heading is saved as a draft and shown next to its field.
    heading.fill("")
    save(page)
    invalid = page.locator('[aria-invalid="true"]')
    expect(invalid).to_have_count(1)
    assert invalid.get_attribute("name") == f"sections[{n}].heading"
    field = page.locator(".field").filter(has=invalid)
    problem = field.locator(".problem")
    expect(problem).to_be_visible()
    message = problem.inner_text()
    assert message.strip(), "the problem text is empty"
    assert problem.get_attribute("id") in (invalid.get_attribute("aria-describedby") or ""
                                           ).split(), "the problem is not tied to the field"
    expect(page.locator("section.problems")).to_contain_text("1 fält med problem")

    # Fixed: no problem left, and the preview shows the new text.
    heading.fill(HEADING)
    save(page)
    expect(page.locator('[aria-invalid="true"]')).to_have_count(0)
    expect(page.locator(".problem")).to_have_count(0)
    page.goto(doc_url)
    preview = wait_for_preview(page)
    expect(preview.locator("article.preview")).to_contain_text(BLOCK)
    expect(preview.locator("article.preview")).to_contain_text(HEADING)

    # The Word document has the edited texts verbatim.
    text = docx_text(download(page, "Ladda ner Word (.docx)"))
    assert BLOCK in text, text[-2000:]
    assert HEADING in text
    assert TITLE in text, "the edited title is not in the document"

    # Final is refused while the example's placeholders remain; the page lists them.
    page.goto("/k/testby")
    expect(page.get_by_text("Innan dokumenten kan markeras som slutliga")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Förnamn Efternamn")
    page.get_by_role("button", name="Markera som slutlig").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Dokumenten kan inte markeras som slutliga än")
    blocking = page.locator("main ul li")
    assert blocking.count() > 0
    expect(page.locator("main ul")).to_contain_text("Förnamn Efternamn")
    assert yaml.safe_load((root / "testby" / "municipality.yaml").read_text("utf-8")
                          ).get("status", "draft") != "final"

    # A municipality without problems (Luleå) can be marked final.
    page.goto("/k/lulea")
    with page.expect_navigation():
        page.get_by_role("button", name="Markera som slutlig").click()
    assert "/k/lulea" in page.url and "sparat=1" in page.url, page.url
    expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Status: slutlig")
    assert approvals.state(root / "lulea").final
    # Final means locked: the document has no form until someone reopens it, with why.
    page.goto("/k/lulea/dok/verksamhetsplan")
    expect(page.locator("form.editor")).to_have_count(0)
    page.goto("/k/lulea")
    page.get_by_label("Varför ska dokumenten ändras?").fill("Nya siffror för 2021")
    with page.expect_navigation():
        page.get_by_role("button", name="Återöppna som utkast").click()
    expect(page.locator("main")).to_contain_text("Status: utkast")
    assert not approvals.state(root / "lulea").final

    # History: the saves are there, by the editor; compare the first and the last.
    page.goto("/k/testby")
    page.get_by_role("link", name="Historik och ändringar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Historik")
    expect(page.locator("table")).to_contain_text("Åsa Öberg")
    revs = page.locator("#fran option").evaluate_all("os => os.map(o => o.value)")
    # One commit a save: created, title, section added, block, problem, fixed.
    assert len(revs) == 6, revs
    page.locator("#fran").select_option(revs[-1])  # the municipality as created
    page.locator("#till").select_option(revs[0])  # the last save
    page.locator("#dok").select_option("samverkansoverenskommelse")
    with page.expect_navigation():
        page.get_by_role("button", name="Visa ändringar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ändringar i")
    inserted = page.locator(".diff ins").all_inner_texts()
    assert any(BLOCK in t for t in inserted), inserted
    assert any("🚓" in t for t in inserted), inserted

    redline = download(page, "Ladda ner som Word-dokument med spårade ändringar")
    insertions = tracked_insertions(redline)
    assert any("Blocktext" in t for t in insertions), insertions[:20]
    assert "😀" in "".join(insertions), insertions[:20]


# -- 2. two editors save the same version ---------------------------------------------


def test_second_browser_saving_the_same_version_gets_the_conflict_page(
        chromium: Any, server: Server) -> None:
    from playwright.sync_api import expect

    url = "/k/strangnas/dok/samverkansoverenskommelse"
    path = server.root / "strangnas" / "samverkansoverenskommelse.yaml"
    with browser_context(chromium, server.url) as one, \
            browser_context(chromium, server.url) as two:
        first, second = one.new_page(), two.new_page()
        first.goto(url)
        second.goto(url)
        open_fields(first)
        open_fields(second)
        first.get_by_label("Titel", exact=True).fill("Första redaktörens titel")
        second.get_by_label("Titel", exact=True).fill("Andra redaktörens titel")
        save(first)
        expect(first.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
        save(second)
        expect(second.get_by_role("heading", level=1)).to_have_text(
            "Någon annan har sparat samma fil")
        expect(second.get_by_role("alert")).to_contain_text("Inget har gått förlorat")
        assert yaml.safe_load(path.read_text("utf-8"))["title"] == "Första redaktörens titel"
        kept = list((path.parent / ".avtalsgen-conflicts").glob("*.yaml"))
        assert len(kept) == 1, kept
        assert "Andra redaktörens titel" in kept[0].read_text("utf-8")
        expect(second.get_by_role("alert")).not_to_contain_text(str(path.parent))
        found = _axe_violations(second)
        assert not found, "axe-core on the conflict page:\n" + "\n".join(found)
        # The way back opens the saved version, with the first editor's title.
        second.get_by_role("link", name="Behåll den sparade versionen").click()
        open_fields(second)
        expect(second.get_by_label("Titel", exact=True)).to_have_value(
            "Första redaktörens titel")


# -- 3. a save changes one line and keeps the comments --------------------------------


@pytest.mark.parametrize(("slug", "doc", "new_title"), [
    ("skelleftea", "underlag", "Underlag – reviderat"),
    ("lulea", "verksamhetsplan", "Verksamhetsplan 2020–2021 (reviderad)"),
])
def test_a_save_changes_only_the_edited_line(page: Any, server: Server, slug: str, doc: str,
                                             new_title: str) -> None:
    from playwright.sync_api import expect

    path = server.root / slug / f"{doc}.yaml"
    before = path.read_text(encoding="utf-8")
    page.goto(f"/k/{slug}/dok/{doc}")
    open_fields(page)
    page.get_by_label("Titel", exact=True).fill(new_title)
    save(page)
    expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
    after = path.read_text(encoding="utf-8")
    changed = [ln for ln in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                 lineterm="", n=0)
               if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    old_title = next(ln for ln in before.splitlines() if ln.startswith("title:"))
    assert changed == [f"-{old_title}", f"+title: {new_title}"], (
        "the save changed more than the title line:\n" + "\n".join(changed))
    comments = [ln.strip() for ln in before.splitlines() if ln.strip().startswith("#")]
    assert comments, "the file has no comments to keep"
    for comment in comments:
        assert comment in after, f"comment lost: {comment}"
    diff = subprocess.run(["git", "diff", "--stat", "--", f"{slug}/{doc}.yaml"],
                          cwd=server.root, capture_output=True, text=True, timeout=30)
    assert diff.stdout == "", "the save was not committed:\n" + diff.stdout


# -- the pages themselves -------------------------------------------------------------


def test_pages_log_no_errors_in_the_console(page: Any) -> None:
    """No script error and nothing the Content-Security-Policy refuses (a missing
    favicon aside) while a document page loads its preview."""
    for path in ("/", "/k/lulea/dok/verksamhetsplan",
                 "/k/lulea/dok/verksamhetsplan/avsnitt/1.0"):
        page.goto(path)
        if "/dok/" in path:
            wait_for_preview(page)
    errors = [e for e in page.errors if "favicon" not in e]
    assert not errors, "\n".join(errors)


def test_every_page_shows_the_avtalsgen_version_in_its_footer(page: Any) -> None:
    from avtalsgen import __version__

    for path in ("/", "/k/lulea", "/k/lulea/fil/kommun", "/k/lulea/dok/verksamhetsplan",
                 "/k/lulea/dok/verksamhetsplan/avsnitt/1.0", "/k/lulea/historik"):
        page.goto(path)
        footer = page.locator("footer").inner_text().strip()
        assert footer == f"avtalsgen {__version__} · Tillgänglighet", \
            f"{path}: footer reads {footer!r}"
        # The accessibility statement, linked from every page (DOS-lagen).
        link = page.locator("footer").get_by_role("link", name="Tillgänglighet")
        assert link.get_attribute("href") == "/tillganglighet", path


def test_the_outline_shows_its_levels(page: Any) -> None:
    """The outline reads as a tree: its heading above the list, one section a line,
    subsections indented under their parent."""
    page.goto("/k/lulea/dok/verksamhetsplan")
    outline = page.locator("nav.outline")
    heading = outline.get_by_role("heading", name="Disposition").bounding_box()
    top = outline.get_by_role("link", name="Bakgrund", exact=True).bounding_box()
    second = outline.get_by_role("link", name="Prioriterade samverkansområden 2020–2021"
                                 ).bounding_box()
    child = outline.get_by_role("link", name="Samverkan - Organisation").bounding_box()
    grandchild = outline.get_by_role("link", name="Trygghet", exact=True).bounding_box()
    sibling = outline.get_by_role("link", name="Ungdomar", exact=True).bounding_box()
    assert heading and top and second and child and grandchild and sibling
    problems = []
    if top["y"] < heading["y"] + heading["height"]:
        problems.append(f"the first section is beside the heading, not under it: "
                        f"heading {heading}, Bakgrund {top}")
    if not child["x"] > second["x"] + 5:
        problems.append(f"a subsection is not indented under its parent: parent x "
                        f"{second['x']}, child x {child['x']}")
    if not grandchild["x"] > child["x"] + 5:
        problems.append(f"a sub-subsection is not indented: x {grandchild['x']} under "
                        f"{child['x']}")
    if not sibling["y"] >= grandchild["y"] + grandchild["height"] - 1:
        problems.append(f"two sections share a line: Trygghet {grandchild}, Ungdomar "
                        f"{sibling}")
    assert not problems, "\n".join(problems)


def test_an_unsaved_form_after_an_editing_action_warns_before_leaving(page: Any) -> None:
    """"Lägg till" sends the form to the server, which shows it again marked "inte sparad
    än": leaving that page must warn, as leaving after typing does."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.accept()))
    url = "/k/lulea/dok/verksamhetsplan/avsnitt/0"
    other = page.locator("nav.outline").get_by_role("link", name="Lägesbild - samlad")
    page.goto(url)
    page.locator('[name="sections[0].heading"]').fill("Bakgrund, ändrad")
    with page.expect_navigation():
        other.click()
    assert dialogs == ["beforeunload"], f"typing, then leaving: {dialogs}"  # the control
    dialogs.clear()
    page.goto(url)
    page.locator('[name="sections[0].heading"]').fill("Bakgrund, ändrad")
    page.locator('button[name="form:action"][value="add:sections[0].content"]').click()
    from playwright.sync_api import expect

    expect(page.get_by_role("status").filter(has_text="inte sparad")).to_be_visible()
    # A user gesture, as a reader makes, on the page's own heading (the first: the preview,
    # when it has arrived, brings the document's headings too).
    page.get_by_role("heading", level=1).first.click()
    with page.expect_navigation():
        other.click()
    assert dialogs == ["beforeunload"], (
        "the page said the change was not saved, yet leaving it gave no warning; the "
        "new block and the edited heading are lost")


# -- 4. keyboard ---------------------------------------------------------------------

FOCUS_INFO = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const r = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  // How much of the element a sighted user sees: a 5 x 5 grid of points over it, each
  // inside the window and not under another element (a sticky bar, say).
  let shown = 0, total = 0, coveredBy = '';
  const h = Math.min(r.height, innerHeight);
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
    const x = r.left + r.width * (i + 0.5) / 5, y = r.top + h * (j + 0.5) / 5;
    total++;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    const top = document.elementFromPoint(x, y);
    if (top && (top === e || e.contains(top) || top.control === e)) shown++;
    else if (top && !coveredBy) coveredBy = top.tagName.toLowerCase()
      + (top.className ? '.' + top.className : '') + ' "' + (top.innerText || '').trim()
      .slice(0, 20) + '"';
  }
  const label = (e.innerText || e.value || e.getAttribute('aria-label') || e.name || e.id
                 || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  return {tag: e.tagName.toLowerCase(), label, name: e.getAttribute('name'),
          rect: [r.left, r.top, r.width, r.height].map(Math.round), shown: shown / total,
          coveredBy, outline: s.outlineStyle + ' ' + s.outlineWidth,
          outlineVisible: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 1,
          boxShadow: s.boxShadow, focusVisible: e.matches(':focus-visible')};
}"""
SETTLE = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def test_keyboard_focus_is_visible_from_the_skip_link_on(page: Any) -> None:
    """Tab from the top of a document page to its end: every focused control is shown
    (at least half of it in the window and not under a sticky bar) with a focus
    outline, and the first Tab shows the skip link."""
    page.goto("/k/lulea/dok/verksamhetsplan")
    wait_for_preview(page)
    page.keyboard.press("Tab")
    page.evaluate(SETTLE)
    first = page.evaluate(FOCUS_INFO)
    assert first and first["tag"] == "a" and first["label"] == "Hoppa till innehållet", first
    assert first["shown"] == 1, f"the skip link is not shown on focus: {first}"
    assert first["outlineVisible"], first
    problems, seen = [], []
    for _ in range(150):
        info = page.evaluate(FOCUS_INFO)
        if info is None:
            break  # past the last control: the focus leaves the page
        seen.append(f"{info['tag']}:{info['label'] or info['name']}")
        where = f"{info['tag']} {info['name'] or info['label']!r}"
        if info["shown"] < 0.5:
            problems.append(f"{where}: only {info['shown']:.0%} shown (under "
                            f"{info['coveredBy'] or 'the window edge'}), at {info['rect']}")
        if not info["outlineVisible"]:
            problems.append(f"{where}: no focus outline (outline {info['outline']}, "
                            f"box-shadow {info['boxShadow']}, :focus-visible "
                            f"{info['focusVisible']})")
        page.keyboard.press("Tab")
        page.evaluate(SETTLE)
    else:
        pytest.fail("the focus never left the page after 150 Tabs")
    assert seen[-1].endswith("Tillgänglighet"), seen[-5:]  # the footer's last link
    assert not problems, "\n".join(problems) + "\n\nfocus order: " + " → ".join(seen)


def test_skip_link_moves_the_focus_to_the_content(page: Any) -> None:
    page.goto("/k/lulea/dok/verksamhetsplan")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**#innehall", timeout=5000)  # the jump lands after the key event
    page.keyboard.press("Tab")
    info = page.evaluate(FOCUS_INFO)
    assert page.evaluate("() => !!document.activeElement.closest('main')"), info


# -- 5. axe-core ---------------------------------------------------------------------


def _axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    out = []
    for v in results.response["violations"]:
        if v.get("impact") not in ("serious", "critical"):
            continue
        nodes = "; ".join(" ".join(n.get("target", [])) for n in v["nodes"][:5])
        more = f" (+{len(v['nodes']) - 5} more)" if len(v["nodes"]) > 5 else ""
        out.append(f"{page.url}: [{v['impact']}] {v['id']}: {v['help']} – {nodes}{more}")
    return out


def test_axe_finds_no_serious_problems_on_any_page(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    found: list[str] = []
    for path in ("/", "/k/lulea", "/k/lulea/fil/kommun", "/k/lulea/fil/statistik",
                 "/k/lulea/historik"):
        page.goto(path)
        found += _axe_violations(page)
    for path in ("/k/lulea/dok/verksamhetsplan", "/k/lulea/dok/verksamhetsplan/avsnitt/1.0"):
        page.goto(path)
        wait_for_preview(page)
        found += _axe_violations(page)
    # The changes page, through the history's form.
    page.goto("/k/skelleftea/historik")
    with page.expect_navigation():
        page.get_by_role("button", name="Visa ändringar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ändringar i")
    found += _axe_violations(page)
    # A refused final (Skellefteå shows sample data) and a page that does not exist.
    page.goto("/k/skelleftea")
    with page.expect_navigation():
        page.get_by_role("button", name="Markera som slutlig").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("kan inte markeras")
    found += _axe_violations(page)
    response = page.goto("/k/finns-inte")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Sidan finns inte")
    found += _axe_violations(page)
    assert not found, "axe-core (serious/critical):\n" + "\n".join(found)


# -- 6. screenshots ------------------------------------------------------------------


def test_screenshots_of_the_list_a_document_and_a_section(page: Any) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {"lista.png": "/", "kommun.png": "/k/skelleftea",
             "dokument.png": "/k/lulea/dok/samverkansoverenskommelse",
             "avsnitt.png": "/k/lulea/dok/verksamhetsplan/avsnitt/1.0",
             "statistik.png": "/k/skelleftea/fil/statistik"}
    for name, path in shots.items():
        page.goto(path)
        if "/dok/" in path:
            preview = wait_for_preview(page)
            assert preview.locator("article.preview").count() == 1, preview.inner_text()
        target = SCREENSHOTS / name
        page.screenshot(path=str(target), full_page=True)
        data = target.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(data[16:20], "big")
        assert width == WIDTH, (name, width)
