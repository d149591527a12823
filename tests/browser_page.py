"""Small waits and reads shared by the playground's browser tests (their fixtures are in
tests/playground/conftest.py)."""

from __future__ import annotations

from typing import Any


def open_page(tab: Any, url: str) -> None:
    """Open ``url`` and wait for the first frame to be drawn."""
    tab.goto(url)
    wait_for(tab, "train-loss", "v => v !== '–'")


def wait_for(tab: Any, test_id: str, predicate: str) -> None:
    """Wait until ``predicate`` (JavaScript, of the element's text) holds."""
    element = f"document.querySelector('[data-testid=\"{test_id}\"]')"
    tab.wait_for_function(
        f"() => {{ const el = {element}; return el && ({predicate})(el.textContent); }}"
    )


def number(tab: Any, test_id: str) -> float:
    return float(tab.get_by_test_id(test_id).text_content())


def iteration_reaches(tab: Any, n: int) -> int:
    wait_for(tab, "iteration", f"v => Number(v) >= {n}")
    return int(number(tab, "iteration"))


def train_to(tab: Any, n: int) -> None:
    """Play until iteration ``n``, pause, and wait for the page to say it paused."""
    tab.get_by_test_id("play").click()
    iteration_reaches(tab, n)
    tab.get_by_test_id("pause").click()
    tab.get_by_test_id("play").wait_for(state="visible")


def steady(tab: Any, test_id: str, attribute: str | None = None) -> str:
    """The text (or ``attribute``) of ``test_id`` once it stops changing: a frame sent just
    before a pause may still arrive after the page shows it paused."""
    element = tab.get_by_test_id(test_id)
    read = (lambda: element.get_attribute(attribute)) if attribute else element.text_content
    seen = None
    for _ in range(40):
        now = read()
        if now == seen:
            break
        seen = now
        tab.wait_for_timeout(250)
    return str(seen)


def state(tab: Any, expression: str) -> Any:
    """``expression`` of the page's state (``window.twolayerPlayground``, named ``s``)."""
    return tab.evaluate(f"() => {{ const s = window.twolayerPlayground; return {expression}; }}")
