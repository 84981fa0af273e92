"""Two browsers edit the same section of Skellefteå's underlag: the second save gets
both versions side by side, and one click keeps what it typed (nothing retyped)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_support import browser_context, new_page, require, serving
from browser_support import chromium as launch
from conftest import seed_repository

pytestmark = pytest.mark.browser

URL = "/k/skelleftea/dok/underlag/avsnitt/0"
HEADING = '[name="sections[0].heading"]'
FIRST_BLOCK = '[name="sections[0].content[0]"]'


class Server:
    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url

    def section(self) -> dict[str, Any]:
        data = yaml.safe_load((self.root / "skelleftea" / "underlag.yaml")
                              .read_text("utf-8"))
        return data["sections"][0]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    require("browser tests", ("axe_playwright_python.sync_playwright",))
    from avtalsgen.web.app import create_app

    root = seed_repository(tmp_path)
    with serving(create_app(root)) as url:
        yield Server(root, url)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launch() as browser:
        yield browser


def save(page: Any) -> None:
    with page.expect_navigation():
        page.locator("form.editor button[name='form:action'][value=save]").first.click()


@contextlib.contextmanager
def two_editors(chromium: Any, server: Server) -> Iterator[tuple[Any, Any]]:
    with browser_context(chromium, server.url) as one, \
            browser_context(chromium, server.url) as two:
        first, second = new_page(one), new_page(two)
        first.goto(URL)
        second.goto(URL)
        yield first, second
        # The conflict page answers 409, which Chromium logs; nothing else may fail.
        errors = [e for e in first.errors + second.errors if "status of 409" not in e]
        assert not errors, errors


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"[{v['impact']}] {v['id']}: {v['help']}" for v in found
            if v.get("impact") in ("serious", "critical")]


def test_different_fields_are_merged_in_one_click(chromium: Any, server: Server) -> None:
    from playwright.sync_api import expect

    with two_editors(chromium, server) as (first, second):
        first.locator(HEADING).fill("Inledning och syfte")
        block = second.locator(FIRST_BLOCK)
        typed = block.input_value().replace("2021–2025", "2022–2026")
        block.fill(typed)
        save(first)
        expect(first.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
        save(second)
        expect(second.get_by_role("heading", level=1)).to_have_text(
            "Någon annan har sparat samma fil")
        table = second.get_by_role("table")
        # Side by side: the saved heading, the text as typed, each marked.
        expect(table.get_by_role("row", name="Rubrik")).to_contain_text("Inledning och syfte")
        row = table.get_by_role("row").filter(has_text="2022–2026")
        expect(row.get_by_role("rowheader")).to_contain_text("Innehåll › ")
        expect(row.locator("td").nth(0).locator("del")).to_have_text("2021–2025.")
        expect(row.locator("td").nth(1).locator("ins")).to_have_text("2022–2026.")
        expect(row.locator("td").nth(2)).to_have_text("du")
        found = axe_violations(second)
        assert not found, "axe-core on the conflict page:\n" + "\n".join(found)
        with second.expect_navigation():
            second.get_by_role("button", name="Slå ihop").click()
        expect(second.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
        section = server.section()
        assert section["heading"] == "Inledning och syfte"  # the first editor's
        assert section["content"][0] == " ".join(typed.split())  # the second's, not retyped
        expect(second.locator(FIRST_BLOCK)).to_have_value(section["content"][0])


def test_the_same_field_takes_my_version_in_one_click(chromium: Any, server: Server) -> None:
    from playwright.sync_api import expect

    with two_editors(chromium, server) as (first, second):
        first.locator(HEADING).fill("Inledning (första)")
        second.locator(HEADING).fill("Inledning (andra)")
        typed = "Ett nytt stycke som den andra redaktören skrev.\n\nMed två rader & <tecken>."
        second.locator(FIRST_BLOCK).fill(typed)
        save(first)
        save(second)
        expect(second.get_by_role("heading", level=1)).to_have_text(
            "Någon annan har sparat samma fil")
        rubrik = second.get_by_role("table").get_by_role("row", name="Rubrik")
        expect(rubrik).to_contain_text("Inledning (första)")
        expect(rubrik).to_contain_text("Inledning (andra)")
        expect(rubrik.locator("td").nth(2)).to_have_text("båda")
        expect(second.get_by_role("button", name="Slå ihop")).to_have_count(0)
        expect(second.get_by_role("link", name="Behåll den sparade versionen")).to_be_visible()
        with second.expect_navigation():
            second.get_by_role("button", name="Använd min version").click()
        expect(second.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
        section = server.section()
        assert section["heading"] == "Inledning (andra)"
        assert section["content"][0] == typed
        expect(second.locator(HEADING)).to_have_value("Inledning (andra)")


def test_keeping_the_saved_version_changes_nothing(chromium: Any, server: Server) -> None:
    from playwright.sync_api import expect

    with two_editors(chromium, server) as (first, second):
        first.locator(HEADING).fill("Inledning (första)")
        second.locator(HEADING).fill("Inledning (andra)")
        save(first)
        save(second)
        before = server.section()
        second.get_by_role("link", name="Behåll den sparade versionen").click()
        expect(second.locator(HEADING)).to_have_value("Inledning (första)")
        assert server.section() == before
