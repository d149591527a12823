"""When a run stops and what it records each epoch: the convergence test (n_iter_no_change,
tol and tol_mode), L-BFGS's max_fun, shuffle=False, and the per-epoch scores."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.errors import ConfigError
from twolayer.nn import metrics
from twolayer.nn.model import forward
from twolayer.state import EarlyStopping
from twolayer.train import train


def regression(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 3))
    return x, np.sin(x @ np.array([[1.0], [-0.5], [0.3]]))


QUICK = TrainConfig(iterations=2000, lr=0.05, hidden=8, init="he", bias=True, loss="half_mse",
                    optimizer="adam")  # fmt: skip


def test_n_iter_no_change_stops_a_run_whose_loss_has_stalled() -> None:
    x, y = regression()
    result = train(x, y, QUICK.replace(n_iter_no_change=5, tol=1e-3, tol_mode="absolute"))
    assert result.stop_reason == "converged" and len(result.history) < 2000
    losses = [r.loss for r in result.history]
    # the last 5 epochs brought no improvement of 1e-3 over the best before them
    best_before = min(losses[:-5])
    assert all(loss > best_before - 1e-3 for loss in losses[-5:])
    assert result.state.convergence.wait == 5
    # without the test the same run goes on
    assert train(x, y, QUICK.replace(iterations=len(losses) + 5)).stop_reason == "completed"


def test_relative_and_absolute_progress() -> None:
    relative, absolute = EarlyStopping(), EarlyStopping()
    for tracker, mode in ((relative, "relative"), (absolute, "absolute")):
        for t, loss in enumerate([100.0, 99.5, 99.0]):
            tracker.observe(loss, t, None, 0.01, mode)
    # relative: neither 99.5 nor 99.0 is below 100 (1 - 0.01) = 99, so the best stays 100;
    # absolute: 99.5 < 100 - 0.01 and 99.0 < 99.5 - 0.01 both count as progress
    assert (relative.best_loss, relative.best_iteration, relative.wait) == (100.0, 0, 2)
    assert (absolute.best_loss, absolute.best_iteration, absolute.wait) == (99.0, 2, 0)


def test_tol_ranges_depend_on_the_mode() -> None:
    assert TrainConfig(tol=5.0, tol_mode="absolute").tol == 5.0
    with pytest.raises(ConfigError, match="tol must be in"):
        TrainConfig(tol=5.0)
    with pytest.raises(ConfigError, match="tol must be in"):
        TrainConfig(tol=-1.0, tol_mode="absolute")
    with pytest.raises(ConfigError, match="unknown tol_mode"):
        TrainConfig(tol_mode="both")
    with pytest.raises(ConfigError, match="n_iter_no_change must be an integer > 0"):
        TrainConfig(n_iter_no_change=0)


def test_max_fun_ends_lbfgs_before_its_iterations() -> None:
    x, y = regression()
    config = QUICK.replace(optimizer="lbfgs", iterations=500, lr=1.0)
    limited = train(x, y, config.replace(max_fun=20))
    assert limited.stop_reason == "max_fun" and len(limited.history) < 20
    assert train(x, y, config.replace(iterations=10)).stop_reason == "completed"
    with pytest.raises(ConfigError, match="max_fun must be an integer > 0"):
        TrainConfig(max_fun=0)


def test_shuffle_false_walks_the_data_in_order() -> None:
    x, y = regression()
    config = QUICK.replace(iterations=4, batch_size=8, shuffle=False)
    start = train(x, y, config.replace(iterations=0)).params
    one = train(x, y, config.replace(seed=1), start)
    other = train(x, y, config.replace(seed=2), start)  # another shuffling stream: unused
    assert np.array_equal(one.params.w1, other.params.w1)
    assert one.state.rng_state is None
    shuffled = train(x, y, config.replace(shuffle=True, seed=1), start)
    assert not np.array_equal(shuffled.params.w1, one.params.w1)


def test_scores_are_recorded_each_epoch_when_asked() -> None:
    x, y = regression(60)
    config = QUICK.replace(iterations=5, validation_fraction=0.25, scores=True)
    result = train(x, y, config)
    assert all(r.score is not None and r.val_score is not None for r in result.history)
    # the last record scores the parameters at the start of its epoch: the result of 4 epochs
    before = train(x, y, config.replace(iterations=4))
    from twolayer.data.splits import validation_split

    fit, val = validation_split(60, 0.25, 0)
    pred = forward(before.params, x, "relu")[0]
    assert result.history[-1].score == pytest.approx(metrics.r2(y[fit], pred[fit]), rel=1e-12)
    assert result.history[-1].val_score == pytest.approx(metrics.r2(y[val], pred[val]), rel=1e-12)
    assert "score" in result.history[0].to_dict()
    assert "score" not in train(x, y, config.replace(scores=False)).history[0].to_dict()


def test_accuracy_scores_for_the_classification_losses() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 2))
    labels = (x[:, 0] > 0).astype(int)
    config = QUICK.replace(iterations=30, loss="cross_entropy", scores=True)
    result = train(x, np.eye(2)[labels], config)
    assert 0.9 <= result.history[-1].score <= 1.0
    multi = np.stack([labels, (x[:, 1] > 0).astype(int)], axis=1).astype(float)
    result = train(x, multi, config.replace(loss="binary_cross_entropy"))
    pred = forward(train(x, multi, config.replace(loss="binary_cross_entropy", iterations=29)).params,
                   x, "relu")[0] > 0  # fmt: skip
    assert result.history[-1].score == metrics.accuracy(multi > 0.5, pred)
    assert result.history[-1].score > 0.8
