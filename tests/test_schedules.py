"""Learning-rate schedules: their values at chosen steps."""

from __future__ import annotations

import math

import pytest

from twolayer.errors import ConfigError
from twolayer.nn.schedules import ReduceOnPlateau, make_schedule


def test_constant() -> None:
    schedule = make_schedule("constant", 0.1)
    assert [schedule(t) for t in (0, 1, 1000)] == [0.1, 0.1, 0.1]


def test_inverse_scaling() -> None:
    schedule = make_schedule("invscaling", 0.1, power=0.5)
    assert schedule(0) == 0.1
    assert schedule(3) == pytest.approx(0.1 / 2)  # (3 + 1)^0.5 = 2


def test_step_decay() -> None:
    schedule = make_schedule("step", 1.0, step_size=10, gamma=0.5)
    assert [schedule(t) for t in (0, 9, 10, 19, 20, 35)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]


def test_cosine() -> None:
    schedule = make_schedule("cosine", 1.0, total=100, lr_min=0.1)
    assert schedule(0) == 1.0
    assert schedule(50) == pytest.approx(0.55)  # halfway: the mean of 1.0 and 0.1
    assert schedule(100) == pytest.approx(0.1)
    assert schedule(500) == pytest.approx(0.1)
    assert schedule(25) == pytest.approx(0.1 + 0.45 * (1 + math.cos(math.pi / 4)))


def test_reduce_on_plateau() -> None:
    schedule = make_schedule("plateau", 1.0, patience=2, factor=0.5, lr_min=0.3)
    assert isinstance(schedule, ReduceOnPlateau)
    rates = []
    for loss in [10.0, 9.0, 9.0, 9.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]:
        schedule.observe(loss)
        rates.append(schedule(0))
    # two steps without progress halve the rate; the floor 0.3 stops it there
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3]


def test_unknown_schedule() -> None:
    with pytest.raises(ConfigError, match="unknown schedule 'linear'"):
        make_schedule("linear", 0.1)
