"""Editing actions in Chromium as a coordinator does them: "Lägg till", a move and
"Ta bort" change the form without a page load, keep the scroll position and put the
focus where the action points; keyboard shortcuts for the common moves; Ctrl+S saves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_support import browser_context, new_page, require, serving
from browser_support import chromium as launch
from conftest import seed_repository

pytestmark = pytest.mark.browser

SLUG, DOC = "skelleftea", "underlag"
SECTION = f"/k/{SLUG}/dok/{DOC}/avsnitt/0"
LIST = "sections[0].content"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    require("browser tests", ())
    from avtalsgen.web.app import create_app

    root = seed_repository(tmp_path_factory.mktemp("editing"))
    with serving(create_app(root)) as url:
        yield url, root


@pytest.fixture
def page(server: tuple[str, Path]) -> Iterator[Any]:
    with launch() as browser, browser_context(browser, server[0]) as context:
        yield new_page(context)


def items(page: Any) -> int:
    return int(page.locator(f'input[name="{LIST}.__len__"]').get_attribute("value"))


def focused_name(page: Any) -> str:
    return page.evaluate("document.activeElement && (document.activeElement.name || '')")


def test_add_move_remove_without_a_page_load(page: Any, server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect

    loads: list[str] = []
    page.goto(SECTION)
    page.on("framenavigated", lambda frame: loads.append(frame.url))
    before = items(page)
    add = page.locator(f'button[name="form:action"][value="add:{LIST}"]')
    add.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0

    add.click()
    expect(page.locator(f'input[name="{LIST}.__len__"]')).to_have_value(str(before + 1))
    assert loads == [], loads
    assert focused_name(page).startswith(f"{LIST}[{before}]"), focused_name(page)
    assert abs(page.evaluate("window.scrollY") - scrolled) < 400
    expect(page.get_by_role("status").filter(has_text="inte sparad")).to_be_visible()
    page.keyboard.type("Ett nytt stycke om trygghet")

    # Alt+Shift+↑ moves the item with the focus up one place.
    page.keyboard.press("Alt+Shift+ArrowUp")
    expect(page.locator(f'[name="{LIST}[{before - 1}].text"], '
                        f'[name="{LIST}[{before - 1}]"]').first).to_have_value(
        "Ett nytt stycke om trygghet")
    assert loads == [], loads
    assert f"[{before - 1}]" in (page.evaluate(
        "document.activeElement.value || document.activeElement.name") or "")

    # "Ta bort" on the last item: gone, still no page load.
    page.locator(f'button[name="form:action"][value="remove:{LIST}[{before}]"]').click()
    expect(page.locator(f'input[name="{LIST}.__len__"]')).to_have_value(str(before))
    assert loads == [], loads

    # Ctrl+S saves (a page load, as any save), and the file has the new paragraph.
    with page.expect_navigation():
        page.keyboard.press("Control+s")
    expect(page.get_by_role("status").filter(has_text="Sparat.")).to_be_visible()
    saved = yaml.safe_load((server[1] / SLUG / f"{DOC}.yaml").read_text("utf-8"))
    assert "Ett nytt stycke om trygghet" in str(saved["sections"][0]["content"])
    assert not page.errors, page.errors


def test_the_document_page_edits_a_section_in_place(page: Any,
                                                    server: tuple[str, Path]) -> None:
    """The document as it will print; a click on a paragraph opens its section's fields
    in place (no page load), and Spara shows the document again at that place."""
    from playwright.sync_api import expect

    loads: list[str] = []
    page.goto(f"/k/{SLUG}/dok/{DOC}")
    view = page.locator("section.docview")
    expect(view.get_by_role("heading", level=2, name="Dokumentet")).to_be_visible()
    part = page.locator('[id="del-1.0"]')
    heading = part.locator(".doc-h").first
    old = heading.inner_text().strip()
    page.on("framenavigated", lambda frame: loads.append(frame.url))
    clicked = part.locator("p").nth(1)
    said = " ".join(clicked.inner_text().split())
    clicked.click()
    form = page.locator(".in-place form.editor")
    expect(form).to_be_visible()
    assert loads == [], loads
    field = form.locator('[name="sections[1].sections[0].heading"]')
    expect(field).to_have_value(old)
    assert focused_name(page).startswith("sections[1]"), focused_name(page)
    # The cursor is in the paragraph that was clicked, not the section's first field.
    assert " ".join(page.evaluate("document.activeElement.value").split()) == said
    field.fill("Brottsutvecklingen i kommunen")
    with page.expect_navigation():
        form.get_by_role("button", name="Spara").first.click()
    assert "sparat=1" in page.url and page.url.endswith("#del-1.0"), page.url
    expect(page.locator('[id="del-1.0"] .doc-h').first).to_contain_text(
        "Brottsutvecklingen i kommunen")
    saved = yaml.safe_load((server[1] / SLUG / f"{DOC}.yaml").read_text("utf-8"))
    assert saved["sections"][1]["sections"][0]["heading"] == "Brottsutvecklingen i kommunen"
    assert not page.errors, page.errors
