"""The fixtures of the playground's browser tests: headless Chromium (Debian's ``chromium``)
driven by Playwright against ``twolayer playground`` run as a real process.

A test that asks for one of them skips without Playwright (``pip install '.[playground-test]'``)
or without Chromium (``apt-get install chromium``); Playwright's own browser download is never
used: it launches the system's Chromium by its path.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from browser_page import open_page
from helpers import Served, playground_server

# Root runs Chromium without its sandbox; the rest keeps it from reaching for the network.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update"]  # fmt: skip


def chromium_path() -> str:
    """Chromium's path; the test skips without it."""
    found = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    if found is None:
        pytest.skip("needs Chromium: apt-get install chromium")
    return found


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    with playground_server() as served:
        yield served


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium_path()
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def launch(playwright: Any) -> Any:
    """Launch another Chromium with ``extra`` flags (closed by the caller)."""
    return lambda *extra: playwright.chromium.launch(executable_path=chromium_path(),
                                                     args=[*FLAGS, *extra])  # fmt: skip


@pytest.fixture(scope="module")
def browser(launch: Any) -> Iterator[Any]:
    chromium = launch()
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Any, server: Served) -> Iterator[Any]:
    """A tab of its own browser context; ``page.open(hash)`` opens the playground there.  The
    test fails if the page raised an error or logged one (a refused script or style too)."""
    context = browser.new_context(viewport={"width": 1360, "height": 980}, accept_downloads=True)
    context.set_default_timeout(20_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.open = lambda hash_="": open_page(tab, server.url + hash_)  # type: ignore[attr-defined]
    yield tab
    context.close()
    assert errors == [], "the page raised errors"
