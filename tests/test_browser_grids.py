"""The grids in a real browser (Chromium through Playwright), as a coordinator uses them:
click into a statistics cell, paste a block copied in Excel, save and see the total;
add a measure to Brå's action plan by typing in its grid; choose a chart's table from
a list; copy a range and the whole table out; axe-core on those pages.

Run with `pytest -m browser tests/test_browser_grids.py`; skipped locally (failing on
CI) without Chromium and Playwright, like the other browser tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_support import browser_context, new_page, require, serving
from browser_support import chromium as launch
from conftest import seed_repository

from avtalsgen import model as m
from avtalsgen.build import init_municipality
from avtalsgen.context import table_item

pytestmark = pytest.mark.browser

SLUG = "provkommun"  # made by `avtalsgen init`: its example has a total and Brå's measures
STATISTICS = f"/k/{SLUG}/fil/statistik"
MEASURES = f"/k/{SLUG}/dok/handlingsplan/avsnitt/1"  # "Åtgärder"
CHARTS = f"/k/{SLUG}/dok/lagesbild/avsnitt/1"  # "Trygghet": a line chart
ROWS = "tables.anmalda_brott.rows"
# Three rows of four cells as Excel puts them on the clipboard: Swedish figures, the
# last line ended too.
BLOCK = "2 300\t2 150\t2 011\t1 980\r\n10,6\t12\t15\t9\r\n300\t310\t290\t280\r\n"


class Server:
    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    require("browser tests", ("axe_playwright_python.sync_playwright",))
    from avtalsgen.web.app import create_app

    def change(root: Path) -> None:
        init_municipality(SLUG, root, "Provkommun")

    root = seed_repository(tmp_path_factory.mktemp("grids"), change)
    with serving(create_app(root)) as url:
        yield Server(root, url)


@pytest.fixture(scope="module")
def chromium(server: Server) -> Iterator[Any]:
    with launch() as browser:
        yield browser


@pytest.fixture
def page(chromium: Any, server: Server) -> Iterator[Any]:
    with browser_context(chromium, server.url) as context:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        yield new_page(context)


def cell(page: Any, name: str) -> Any:
    return page.locator(f'table.grid [name="{name}"]')


def save(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form.editor button[name='form:action'][value=save]").first.click()


def paste(page: Any, text: str) -> None:
    """What Ctrl+V does after copying in Excel: a paste event with text/plain, on the
    focused element."""
    page.evaluate("""(text) => {
        const data = new DataTransfer();
        data.setData("text/plain", text);
        document.activeElement.dispatchEvent(new ClipboardEvent("paste",
            {clipboardData: data, bubbles: true, cancelable: true}));
    }""", text)


def focused(page: Any) -> str:
    return page.evaluate("document.activeElement.name || ''")


def load(server: Server, name: str) -> Any:
    return yaml.safe_load((server.root / SLUG / name).read_text(encoding="utf-8"))


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for v in Axe().run(page).response["violations"]:
        nodes = "; ".join(" ".join(n.get("target", [])) for n in v["nodes"][:5])
        found.append(f"{page.url}: [{v.get('impact')}] {v['id']}: {v['help']} – {nodes}")
    return found


def wait_for_preview(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#forhandsvisning").locator("article.preview, .problem")).to_have_count(1)


def no_page_load(page: Any) -> None:
    page.evaluate("window.samePage = true")


def still_same_page(page: Any) -> bool:
    return page.evaluate("window.samePage === true")


def test_a_coordinator_pastes_types_chooses_and_copies(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    timings: dict[str, float] = {}
    started = time.perf_counter()

    # -- the statistics grid: a click lands in the cell, which shows its value -------
    page.goto(STATISTICS)
    target = cell(page, f"{ROWS}[2][2]")  # Tillgrepp, 2022
    target.click()
    assert focused(page) == f"{ROWS}[2][2]"
    expect(target).to_have_value("2290")
    box = target.bounding_box()
    assert box and box["width"] >= 80, box
    assert page.evaluate("(el) => el.scrollWidth <= el.clientWidth", target.element_handle())
    assert target.get_attribute("id") and page.locator(
        f'label[for="{target.get_attribute("id")}"]').inner_text() == "2022, Tillgrepp"
    # The grid scrolls in its own box, not the page: nothing of the form overflows.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.evaluate("""() => { window.inputs = 0;
        document.querySelector('form.editor').addEventListener('input', () => window.inputs++);
    }""")
    no_page_load(page)
    paste(page, BLOCK)
    # Two rows and a column were added to fit the block; the figures read as numbers.
    expect(page.locator("table.grid[data-rows='tables.anmalda_brott.rows'] tbody tr")
           ).to_have_count(5)
    expect(cell(page, f"{ROWS}[2][2]")).to_have_value("2300")
    expect(cell(page, f"{ROWS}[3][2]")).to_have_value("10,6")
    expect(cell(page, f"{ROWS}[4][5]")).to_have_value("280")
    expect(cell(page, f"{ROWS}[0][5]")).to_have_value("")
    assert page.evaluate("window.inputs") > 0, "the form was not marked as changed"
    assert still_same_page(page)
    # Labels for the new rows and a heading for the new column, typed; Enter moves down.
    cell(page, f"{ROWS}[3][0]").click()
    page.keyboard.type("Rån")
    page.keyboard.press("Enter")
    assert focused(page) == f"{ROWS}[4][0]"
    page.keyboard.type("Bedrägeri")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert focused(page) == f"{ROWS}[2][0]"
    cell(page, "tables.anmalda_brott.columns[5]").fill("Prognos")
    timings["paste"] = time.perf_counter() - started
    save(page)
    table = load(server, "statistics.yaml")["tables"]["anmalda_brott"]
    assert table["columns"] == ["Brottstyp", "2021", "2022", "2023", "2024", "Prognos"]
    assert table["rows"] == [
        ["Våldsbrott", 412, 398, 421, 389, None],
        ["Skadegörelse", 1210, 1105, 1187, 1043, None],
        ["Tillgrepp", 2345, 2300, 2150, 2011, 1980],
        ["Rån", None, 10.6, 12, 15, 9],
        ["Bedrägeri", None, 300, 310, 290, 280],
    ]
    total = table_item("", m.Table.model_validate(table))["total"]
    assert total[:3] == ["Totalt", "3\u00a0967", "4\u00a0113,6"]
    shown = page.locator("table.grid[data-rows='tables.anmalda_brott.rows'] tr.computed")
    expect(shown.locator("th, td.cell")).to_have_text(total)
    found = axe_violations(page)

    # -- copying out: a range by Shift+click, then the whole table -------------------
    step = time.perf_counter()
    cell(page, f"{ROWS}[2][1]").click()
    cell(page, f"{ROWS}[3][2]").click(modifiers=["Shift"])
    expect(page.locator("table.grid td.in-range")).to_have_count(4)
    page.keyboard.press("Control+c")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.replace("\r\n", "\n") == "2345\t2300\n\t10,6"  # Rån has no 2021
    page.get_by_role("button", name="Kopiera tabellen").first.click()
    expect(page.locator(".grid-status").first).to_contain_text("kopierad")
    whole = page.evaluate("navigator.clipboard.readText()").split("\n")
    assert whole[0] == "Brottstyp\t2021\t2022\t2023\t2024\tPrognos"
    assert whole[5] == "Bedrägeri\t\t300\t310\t290\t280"
    timings["copy"] = time.perf_counter() - step
    # One value pasted over a cell: a figure loses its thousands space, a label that
    # looks like a number is marked as text, as the form reads them.
    cell(page, f"{ROWS}[0][1]").click()
    page.keyboard.press("Control+a")
    paste(page, "1 046\r\n")
    expect(cell(page, f"{ROWS}[0][1]")).to_have_value("1046")
    cell(page, f"{ROWS}[0][0]").click()
    page.keyboard.press("Control+a")
    paste(page, "2019")
    expect(cell(page, f"{ROWS}[0][0]")).to_have_value("'2019")

    # -- Brå's measures: a new measure typed in the grid -----------------------------
    step = time.perf_counter()
    page.goto(MEASURES)
    wait_for_preview(page)
    found += axe_violations(page)
    plan = "sections[1].content[0].measures.causes[0].measures"
    no_page_load(page)
    page.get_by_role("button", name="Lägg till åtgärd").first.click()
    assert still_same_page(page), "adding a row loaded the page"
    assert focused(page) == f"{plan}[2].measure"
    page.keyboard.type("Nattvandring i centrum")
    for value in ("Varje fredag", "Ht 2025", "Föreningssamordnare Förnamn Efternamn",
                  "Rapport varje kvartal"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the status: a select keeps its own arrow keys
    assert focused(page) == f"{plan}[2].status"
    save(page)
    measures = load(server, "handlingsplan.yaml")["sections"][1]["content"][0]["measures"]
    assert measures["causes"][0]["measures"][2] == {
        "measure": "Nattvandring i centrum", "goal": "Varje fredag", "when": "Ht 2025",
        "who": "Föreningssamordnare Förnamn Efternamn",
        "follow_up": "Rapport varje kvartal", "status": "green"}
    timings["measure"] = time.perf_counter() - step

    # -- a chart's table, chosen from the list by its title --------------------------
    step = time.perf_counter()
    page.goto(CHARTS)
    wait_for_preview(page)
    found += axe_violations(page)
    choice = page.get_by_label("Tabell", exact=True)
    expect(choice).to_have_value("otrygghet")
    options = choice.locator("option").all_inner_texts()
    assert "Anmälda brott per år" in options and "anmalda_brott" not in options
    choice.select_option(label="Anmälda brott per år")
    save(page)
    chart = load(server, "lagesbild.yaml")["sections"][1]["content"][0]["chart"]
    assert chart["table"] == "anmalda_brott"
    timings["choose"] = time.perf_counter() - step

    assert not found, "axe-core:\n" + "\n".join(found)
    assert not page.errors, page.errors
    print("grid story timings (s):", {k: round(v, 2) for k, v in timings.items()})
