"""Sizes that cannot fit in memory are refused before anything is allocated, naming them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem
from twolayer.data.datasets import random_dataset
from twolayer.errors import ConfigError
from twolayer.io import memory
from twolayer.nn.gradcheck import random_problem
from twolayer.nn.model import init_params
from twolayer.train import train

HUGE = 10**9
MACHINE = 16 * 2**30


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine of 16 GiB, whatever this one has."""
    monkeypatch.setattr(memory, "available_bytes", lambda: MACHINE)


LIBRARY: list[tuple[str, Callable[[], Any], str]] = [
    ("train", lambda: train(np.ones((4, 3)), np.ones((4, 1)), TrainConfig(hidden=HUGE)),
     "n=4, d_in=3, hidden=1000000000, d_out=1: needs about"),
    ("train, a minibatch", lambda: train(np.ones((4, 3)), np.ones((4, 1)),
                                         TrainConfig(hidden=HUGE, batch_size=2)),
     "batch_size=2, d_in=3, hidden=1000000000"),
    ("init_params", lambda: init_params(np.random.default_rng(0), 3, HUGE, 1),
     "d_in=3, hidden=1000000000, d_out=1: needs about"),
    ("float32 weights", lambda: init_params(np.random.default_rng(0), 10**5, 10**5, 1,
                                            dtype="float32"), "hidden=100000"),
    ("SeedProblem", lambda: SeedProblem(n=10**12), "n=1000000000000, d_in=1000"),
    ("random_dataset", lambda: random_dataset(0, hidden=HUGE), "hidden=1000000000"),
    ("random_problem", lambda: random_problem(0, n=HUGE), "n=1000000000, d_in=4"),
]  # fmt: skip


@pytest.mark.usefixtures("machine")
@pytest.mark.parametrize(("call", "message"), [c[1:] for c in LIBRARY], ids=[c[0] for c in LIBRARY])
def test_library_entry_points_refuse_what_cannot_fit(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        call()
    assert "of memory, more than the" in str(caught.value)


@pytest.mark.usefixtures("machine")
def test_the_estimators_refuse_it_as_a_value_error() -> None:
    pytest.importorskip("sklearn")
    from twolayer.estimators import TwoLayerRegressor

    with pytest.raises(ValueError, match="hidden=1000000000"):
        TwoLayerRegressor(hidden=HUGE).fit(np.ones((4, 3)), np.ones(4))


def test_the_limit_is_this_machine_s_and_what_fits_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert memory.available_bytes() is None or memory.available_bytes() > 2**20
    monkeypatch.setattr(memory, "available_bytes", lambda: 10_000)
    memory.check_fits(10_000, {"n": 1})
    with pytest.raises(ConfigError, match=r"^--n 2: needs about 9.8 KiB of memory, more than "
                       r"the 9.8 KiB this machine has$"):  # fmt: skip
        memory.check_fits(10_001, {"--n": 2})
    monkeypatch.setattr(memory, "available_bytes", lambda: None)  # unknown: nothing refused
    memory.check_fits(10**30, {"n": 1})


@pytest.mark.parametrize(
    ("nbytes", "text"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1536, "1.5 KiB"),
        (3 * 2**30, "3.0 GiB"),
        (2**60, "1024.0 PiB"),
    ],
)
def test_byte_counts_read_as_people_read_them(nbytes: int, text: str) -> None:
    assert memory.format_bytes(nbytes) == text
