"""What the browser tests share: their requirements, an app served by uvicorn in a
thread, and Chromium pages that collect console errors."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port, wait_until_answering

CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1280, 900
TIMEOUT_MS = 15_000  # every Playwright wait (actions, expectations, downloads)
SERVER_START_S = 20  # the server must answer within this


def require(what: str, modules: tuple[str, ...], tools: tuple[str, ...] = ()) -> None:
    """Skip (locally) or fail (on CI) when the browser, its Python packages or the
    programs a test needs are missing."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    for module in ("playwright.sync_api", "uvicorn", *modules):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the Python module {module} (pip install -e '.[test]')")
    for tool in tools:
        if not shutil.which(tool):
            missing.append(f"{tool} (apt-get install libreoffice-writer-nogui poppler-utils)")
    if not missing:
        return
    message = f"{what} need " + "; ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(message + " (required on CI)")
    pytest.skip(message)


@contextlib.contextmanager
def serving(app: Any, ready: str = "/") -> Iterator[str]:
    """The app served by uvicorn in a thread on a free port of 127.0.0.1, until the
    block ends; yields its URL once `ready` answers. git sees no global or system
    config meanwhile, as on a fresh server."""
    import uvicorn

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GIT_CONFIG_GLOBAL", os.devnull)
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, name="avtalsgen-web", daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_answering(url + ready, thread.is_alive, SERVER_START_S)
            yield url
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            assert not thread.is_alive(), "the server thread did not stop"


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"],
                                    timeout=30_000)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def browser_context(browser: Any, url: str) -> Iterator[Any]:
    """A context of its own (its own cookies) on the server at url."""
    context = browser.new_context(base_url=url, locale="sv-SE", accept_downloads=True,
                                  viewport={"width": WIDTH, "height": HEIGHT})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def new_page(context: Any) -> Any:
    """A page that collects uncaught exceptions and console errors (CSP refusals land
    here) in page.errors."""
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: page.errors.append(f"console.{m.type}: {m.text}")
            if m.type == "error" else None)
    return page


def open_fields(page: Any) -> None:
    """Unfold "Dokumentets uppgifter" below the document as it will print, as a person
    does to edit the document's own fields (its title, say)."""
    fields = page.locator("details.doc-fields")
    if fields.count() and not fields.evaluate("d => d.open"):
        fields.locator("summary").click()
