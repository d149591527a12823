"""The training doctor: each check fires on a run that has its problem, and stays quiet on the
seed's healthy run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import run_cli
from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.nn.model import Params
from twolayer.outputs.doctor import diagnose
from twolayer.state import Record
from twolayer.train import train


def records(losses: list[float], val: list[float] | None = None,
            norms: list[float] | None = None, lr: float = 1e-3) -> list[Record]:  # fmt: skip
    out = []
    for t, loss in enumerate(losses):
        grad = {} if norms is None else {"w1": norms[t], "w2": norms[t]}
        out.append(Record(t, loss, lr, 0.0, None if val is None else val[t], grad))
    return out


PARAMS = Params(np.ones((3, 4)), np.ones((4, 2)))


def checks(history: list[Record]) -> list[str]:
    return [f.check for f in diagnose(history, PARAMS, TrainConfig())]


def test_the_seeds_run_is_healthy() -> None:
    x, y, params = seed_draws(0, SeedProblem(64, 1000, 100, 10))
    result = train(x, y, TrainConfig(), params)
    assert diagnose(result.history, result.params, TrainConfig(), x) == []


def test_a_rate_too_small_and_too_large() -> None:
    x, y, params = seed_draws(0, SeedProblem(64, 1000, 100, 10))
    slow = train(x, y, TrainConfig(lr=1e-9, iterations=50), params)
    found = diagnose(slow.history, slow.params, TrainConfig(lr=1e-9), x)
    assert found and found[0].check == "update-to-weight ratio of w1"
    assert "raise --lr (try 1e-08)" in found[0].advice
    fast = records([1.0] * 30, norms=[100.0] * 30, lr=1.0)  # steps of 100 on weights of ~3
    assert "update-to-weight ratio of w1" in checks(fast)


def test_dead_and_saturated_units() -> None:
    x = np.random.default_rng(0).standard_normal((50, 3))
    dead = Params(np.ones((3, 4)), np.ones((4, 2)), np.full(4, -100.0), np.zeros(2))
    found = diagnose(records([1.0] * 3), dead, TrainConfig(), x)
    assert [f.check for f in found] == ["dead units"] and "100% of the ReLU units" in found[
        0
    ].figure
    saturated = Params(np.full((3, 4), 50.0), np.ones((4, 2)))
    config = TrainConfig(activation="tanh")
    assert [f.check for f in diagnose(records([1.0] * 3), saturated, config, x)] == ["saturation"]


def test_growing_gradients_oscillation_plateau_and_overfitting() -> None:
    n = 40
    assert checks(records([1.0 - t / 100 for t in range(n)], norms=[1.0 + t for t in range(n)],
                          lr=1e-6)) == ["gradient norm"]  # fmt: skip
    assert checks(records([1.0 + 0.1 * (t % 2) for t in range(n)])) == ["oscillation"]
    assert checks(records([1.0] * n)) == ["plateau"]
    train_losses = [1.0 / (t + 1) for t in range(n)]
    val = [0.5 + abs(t - 10) / 10 for t in range(n)]  # best at 10, rising since
    assert checks(records(train_losses, val)) == ["overfitting"]


def test_train_diagnose_prints_the_findings_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["train", "--diagnose", "--quiet"], capsys)
    assert code == 0 and out.startswith("499 ")
    assert err == "twolayer train: doctor: nothing to flag: the run looks healthy\n"
    code, out, err = run_cli(["train", "--lr", "1e-9", "--iterations", "50", "--diagnose",
                              "--quiet"], capsys)  # fmt: skip
    assert "twolayer train: doctor: update-to-weight ratio of w1: " in err
