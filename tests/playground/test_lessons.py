"""The guided lessons (static/lessons.json): each sets up a run in which what it asks the learner
to watch really happens, and each step is a valid change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twolayer.playground.app import STATIC
from twolayer.playground.session import Session
from twolayer.playground.settings import Settings

LESSONS = json.loads((Path(STATIC) / "lessons.json").read_text())


def run(settings: Settings, iterations: int) -> Session:
    session = Session(settings.replace(iterations=iterations))
    while not session.finished and session.error is None:
        session.advance(500, seconds=60)
    return session


def test_every_lesson_and_step_is_valid_settings() -> None:
    assert set(LESSONS) == {"overfitting", "dead-relus", "optimizers"}
    for lesson in LESSONS.values():
        settings = Settings.from_text(lesson["settings"])
        for step in lesson["steps"]:
            settings = Settings.from_text(step["settings"], settings)
        assert lesson["question"].endswith("?") and lesson["watch"]


def test_overfitting_opens_a_gap_that_l2_closes() -> None:
    base = Settings.from_text(LESSONS["overfitting"]["settings"])
    free = run(base, 1500).history.last
    penalised = run(Settings.from_text({"alpha": "1"}, base), 1500).history.last
    assert free is not None and penalised is not None
    assert free.val_loss > 5 * free.loss  # the test loss stays high while training fits
    assert penalised.val_loss < free.val_loss


def test_a_high_rate_kills_relus_and_a_low_one_or_leaky_ones_do_not() -> None:
    base = Settings.from_text(LESSONS["dead-relus"]["settings"])
    high = run(base, 200).history.last
    low = run(Settings.from_text({"lr": "0.3"}, base), 200).history.last
    leaky = run(Settings.from_text({"activation": "leaky_relu"}, base), 200).history.last
    assert high is not None and low is not None and leaky is not None
    assert high.dead_fraction == 1.0 and high.score is not None and high.score < 0.6  # stuck
    assert low.dead_fraction == 0.0 and leaky.dead_fraction == 0.0
    assert low.score is not None and low.score > 0.95


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_momentum_and_adam_beat_gd_at_the_lessons_rate(optimizer: str) -> None:
    base = Settings.from_text(LESSONS["optimizers"]["settings"])
    gd = run(base, 600).history.last
    other = run(base.replace(optimizer=optimizer), 600).history.last
    assert other.loss < gd.loss  # type: ignore[union-attr]
