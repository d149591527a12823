"""`benchmarks/step_costs.py` at small sizes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import step_costs
from twolayer.engines import buffered


@pytest.fixture(autouse=True)
def _small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(step_costs, "ROWS", 2_000)
    monkeypatch.setattr(step_costs, "SEED_ITERATIONS", 12)


def test_the_twins_are_timed_and_then_restored() -> None:
    twins = {attr: getattr(buffered, attr) for attr in step_costs.TWINS.values() if attr}
    timers = step_costs.Timers()
    engine = step_costs.classify_engine()
    with step_costs.timed_twins(timers):
        engine.epoch(1e-3, lambda loss: None)
    assert set(timers.spent) == set(step_costs.TWINS)  # every part ran and was timed
    assert all(seconds > 0 for seconds in timers.spent.values())
    assert all(getattr(buffered, attr) is fn for attr, fn in twins.items())


def test_the_section(tmp_path: Path) -> None:
    path = tmp_path / "bench.md"
    assert step_costs.main(["--rounds", "1", "--markdown", str(path)]) == 0
    text = path.read_text()
    assert "<!-- step-costs:start -->" in text and "<!-- step-costs:end -->" in text
    for name in [*step_costs.TWINS, "the loop's own Python", "the five products alone"]:
        assert f"| {name} |" in text
    whole = re.search(r"\| \*\*whole step\*\* \| \*\*([\d.]+)\*\* \| \*\*([\d.]+)\*\* \|", text)
    assert whole is not None and min(float(g) for g in whole.groups()) > 0
    # The in-place engine's run is the seed's loop bit for bit under either BLAS setting.
    assert "| losses equal the seed's loop's, bit for bit | yes | yes |" in text
