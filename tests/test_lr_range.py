"""The learning-rate range test: it finds the seed's rate, stops through the divergence guard,
and leaves the weights it was given alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_one_error, run_cli
from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.errors import ConfigError
from twolayer.lr_range import lr_range_test


def test_on_the_seed_it_suggests_the_seeds_own_rate() -> None:
    x, y, params = seed_draws(0, SeedProblem(64, 1000, 100, 10))
    before = params.w1.copy()
    found = lr_range_test(x, y, TrainConfig(), params, lr_min=1e-10, lr_max=10.0)
    assert found.stopped == "diverged"  # the guard stopped it: loss > 4 x the first
    assert found.suggested is not None and 3e-7 <= found.suggested <= 3e-6  # the seed: 1e-6
    assert found.lowest is not None and found.suggested < found.lowest
    assert len(found.rates) == len(found.losses) == len(found.smoothed) < 100
    np.testing.assert_allclose(np.diff(np.log(found.rates)), np.log(1e11) / 99)  # geometric
    assert np.array_equal(params.w1, before)  # the caller's weights are not trained


def test_a_mean_loss_on_standardised_data_wants_a_rate_near_1e_3() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5))
    y = (x @ rng.standard_normal((5, 1))) / 2
    config = TrainConfig(loss="mse", optimizer="adam", bias=True, init="he", seed=0)
    found = lr_range_test(x, y, config, lr_min=1e-7, lr_max=10.0, steps=80)
    assert found.suggested is not None and 1e-4 <= found.suggested <= 1e-1


def test_the_range_must_make_sense() -> None:
    x, y = np.ones((4, 2)), np.ones((4, 1))
    with pytest.raises(ConfigError, match="need 0 < lr_min < lr_max"):
        lr_range_test(x, y, TrainConfig(), lr_min=1.0, lr_max=1e-3)
    with pytest.raises(ConfigError, match="steps must be an integer >= 3"):
        lr_range_test(x, y, TrainConfig(), steps=2)


def test_the_command_prints_the_curve_and_the_suggestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["lr-find", "--plot", "lr.png", "--json"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "lr loss smoothed" and lines[1].startswith("1e-10 2.63")
    assert "suggested --lr 1e-06 (the loss fell fastest there" in out
    assert json.loads(lines[-1])["stopped"] == "diverged"
    assert Path("lr.png").read_bytes()[:4] == b"\x89PNG"
    code, out, err = run_cli(["lr-find", "--plot", "lr.gif"], capsys)
    assert_one_error(code, out, err, "must end in .png, .svg, .pdf")
