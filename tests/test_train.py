"""The training loop: optimizers end to end, minibatches, validation, early stopping, the
divergence guard, history, callbacks, determinism and resuming."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from reference import seed_loop
from twolayer.cli import main
from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.data.splits import validation_split
from twolayer.errors import ConfigError, DataError, DivergenceError
from twolayer.nn.model import forward
from twolayer.state import Callback, Record, TrainState
from twolayer.train import train


def tiny_data(
    n: int = 16, d_in: int = 5, d_out: int = 2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))


OVERFIT = {
    "gd": {"lr": 0.005, "iterations": 3000},
    "momentum": {"lr": 0.001, "iterations": 1500},
    "nesterov": {"lr": 0.001, "iterations": 1500},
    "adam": {"lr": 0.01, "iterations": 1500},
    "lbfgs": {"lr": 1.0, "iterations": 300},
}


@pytest.mark.parametrize("optimizer", sorted(OVERFIT))
def test_each_optimizer_overfits_a_tiny_dataset(optimizer: str) -> None:
    x, y = tiny_data()
    config = TrainConfig(
        hidden=64, bias=True, init="he", optimizer=optimizer, track="loss", **OVERFIT[optimizer]
    )
    result = train(x, y, config)
    first, last = result.history[0].loss, result.history[-1].loss
    assert last < 1e-6 * first, (first, last)


def test_seed_recipe_is_the_default_config() -> None:
    expected, w1, _ = seed_loop(0, iterations=40)
    x, y, params = seed_draws(0)
    result = train(x, y, TrainConfig(iterations=40), params)
    assert [f"{r.iteration} {r.loss!r}" for r in result.history] == expected
    assert np.array_equal(result.params.w1, w1)


def test_train_command_defaults_print_the_seed_run(capsys: pytest.CaptureFixture[str]) -> None:
    expected, _, _ = seed_loop(4, iterations=50)
    assert main(["train", "--seed", "4", "--iterations", "50"]) == 0
    assert capsys.readouterr().out.splitlines() == expected


def test_train_command_with_validation_prints_three_columns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["train", "--iterations", "5", "--validation-fraction", "0.25", "--optimizer", "adam"]
    assert main([*args, "--lr", "1e-3", "--init", "he", "--bias"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    # sums over 48 and 16 rows would not compare: each is divided by its own rows
    assert header == ("# iteration, training loss, validation loss: sse per sample (the sum "
                      "over a set divided by its rows)")  # fmt: skip
    assert [line.split()[0] for line in lines] == ["0", "1", "2", "3", "4"]
    assert all(len(line.split()) == 3 for line in lines)


def test_divergence_guard_fires_on_a_large_rate_and_not_on_the_seeds() -> None:
    x, y, params = seed_draws(0)
    with pytest.raises(DivergenceError) as info:
        train(x, y, TrainConfig(lr=1e-3), params)
    assert info.value.iteration == 1 and info.value.lr == 1e-3
    assert "exploded" in str(info.value) and "try a smaller one such as 0.0001" in str(info.value)
    assert train(x, y, TrainConfig(iterations=500, track="loss"), params).stop_reason == "completed"


def test_non_finite_loss_is_reported_and_never_applied() -> None:
    x, y, params = seed_draws(0)
    with pytest.raises(DivergenceError, match="at iteration 4: the loss became inf"):
        train(x, y, TrainConfig(lr=1e-3, divergence_factor=math.inf), params)
    # bad data is found before training and named: not blamed on the rate
    x_bad = x.copy()
    x_bad[3, 7] = np.nan
    with pytest.raises(DataError, match="x has a value at row 4, column 8 that is not finite"):
        train(x_bad, y, TrainConfig(), params)
    y_bad = y.copy()
    y_bad[1, 0] = np.inf
    with pytest.raises(DataError, match="y has a value at row 2, column 1"):
        train(x, y_bad, TrainConfig(), params)
    with pytest.raises(DataError, match="not finite in float32"):
        train(x * 1e38, y, TrainConfig(dtype="float32"), params)
    # finite entries whose sum overflows are still finite data (the check looks closer)
    from twolayer.train import _check_finite

    _check_finite(np.full((4, 3), 1e308), "x", "float64")
    # finite data whose loss overflows at the start: the data, not the rate, is to blame
    with pytest.raises(DivergenceError, match="the loss of the starting weights is inf: the data"):
        train(x * 1e300, y, TrainConfig(), params)
    with pytest.raises(ValueError, match="starting weights"):  # also a ValueError
        train(x * 1e300, y, TrainConfig(), params)


def test_early_stopping_restores_the_best_weights() -> None:
    x, y, params = seed_draws(0, SeedProblem(n=16, d_in=20, hidden=8, d_out=2))
    # Validation targets equal to the initial predictions: the best validation loss (0) is at
    # iteration 0, and it only grows as training moves the weights away.
    y_val = forward(params, x)[0]
    config = TrainConfig(iterations=100, lr=1e-4, hidden=8, early_stopping=True, patience=3)
    result = train(x, y, config, params, validation=(x, y_val))
    assert result.stop_reason == "early_stopping"
    assert [r.iteration for r in result.history] == [0, 1, 2, 3]
    assert result.history[0].val_loss == 0.0
    assert result.state.early.best_iteration == 0
    assert np.array_equal(result.params.w1, params.w1) and np.array_equal(
        result.params.w2, params.w2
    )


def test_early_stopping_on_the_training_loss_without_validation() -> None:
    x, y = tiny_data()
    config = TrainConfig(
        iterations=5000,
        lr=0.01,
        hidden=8,
        init="he",
        optimizer="adam",
        early_stopping=True,
        tol=0.01,
    )
    result = train(x, y, config)
    assert result.stop_reason == "early_stopping"
    assert len(result.history) < 5000


def test_validation_split_is_seeded_disjoint_and_sorted() -> None:
    train_idx, val_idx = validation_split(20, 0.25, seed=3)
    assert len(val_idx) == 5 and len(train_idx) == 15
    assert sorted({*train_idx, *val_idx}) == list(range(20))
    assert list(val_idx) == sorted(val_idx)
    again = validation_split(20, 0.25, seed=3)
    assert np.array_equal(again[1], val_idx)
    assert not np.array_equal(validation_split(20, 0.25, seed=4)[1], val_idx)
    with pytest.raises(DataError, match="leaves no training samples"):
        validation_split(1, 0.5, seed=0)


def test_the_result_carries_the_validation_split_it_trained_with() -> None:
    x, y = tiny_data(n=20)
    config = TrainConfig(iterations=2, lr=0.01, hidden=4, init="he", validation_fraction=0.25,
                         seed=3)  # fmt: skip
    result = train(x, y, config)
    assert result.split is not None
    for got, want in zip(result.split, validation_split(20, 0.25, seed=3), strict=True):
        assert np.array_equal(got, want)
    assert train(x, y, config.replace(validation_fraction=0.0)).split is None
    assert train(x, y, config, validation=(x[:4], y[:4])).split is None  # given, not split off


def test_the_state_is_the_engines_at_the_end_whatever_the_callbacks_read() -> None:
    x, y = tiny_data(n=20)
    config = TrainConfig(iterations=5, lr=0.01, hidden=4, init="he", optimizer="adam")

    class RecordOnly(Callback):
        reads_state = False

    quiet = train(x, y, config, callbacks=[RecordOnly()])
    reading = train(x, y, config, callbacks=[Callback()])
    assert quiet.engine == reading.engine == "buffered"
    for p, q in zip(quiet.state.params, reading.state.params, strict=True):
        assert np.array_equal(p, q)
    for name, buffers in quiet.state.opt_state.items():
        for p, q in zip(buffers, reading.state.opt_state[name], strict=True):
            assert np.array_equal(p, q)


@pytest.mark.parametrize("changes", [{}, {"bias": True}, {"solver": "dual"}])
def test_a_diverged_run_leaves_the_state_at_the_weights_the_guard_kept(
    changes: dict[str, Any],
) -> None:
    x, y = tiny_data(n=8, d_in=12)
    config = TrainConfig(iterations=200, lr=0.3, hidden=6, init="he", **changes)
    start = train(x, y, config.replace(iterations=1)).state
    with pytest.raises(DivergenceError) as stopped:
        train(x, y, config, state=start)
    done = stopped.value.iteration  # the updates applied before the guard stopped the run
    assert done > 1
    again = train(x, y, config.replace(iterations=done))
    for p, q in zip(start.params, again.params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-9)


def test_history_records() -> None:
    x, y = tiny_data(n=32)
    config = TrainConfig(iterations=6, lr=0.01, hidden=10, init="he", schedule="step", step_size=2, gamma=0.5,
                         validation_fraction=0.25)  # fmt: skip
    result = train(x, y, config)
    records = result.history
    assert [r.lr for r in records] == [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]
    assert all(
        set(r.grad_norms) == {"w1", "w2"} and all(v > 0 for v in r.grad_norms.values())
        for r in records
    )
    assert all(r.dead_fraction is not None and 0 <= r.dead_fraction <= 1 for r in records)
    assert all(r.val_loss is not None for r in records)
    assert [r.elapsed for r in records] == sorted(r.elapsed for r in records)
    row = records[0].to_dict()
    assert {
        "iteration",
        "loss",
        "val_loss",
        "lr",
        "dead_fraction",
        "elapsed",
        "grad_norm_w1",
    } <= set(row)
    manifest = result.manifest
    assert manifest["seed"] == 0 and manifest["config"]["schedule"] == "step"
    assert {"python", "numpy", "blas", "twolayer"} <= set(manifest)


def test_dead_fraction_counts_units_off_for_every_sample() -> None:
    x, y, params = seed_draws(0, SeedProblem(n=4, d_in=3, hidden=4, d_out=1))
    params = params.map(lambda p: p.copy())
    params.w1[:, 0] = 0.0  # h = 0 for every sample: unit 0 is dead
    result = train(np.abs(x), y, TrainConfig(iterations=1, lr=1e-9, hidden=4), params)
    alive = (forward(params, np.abs(x))[1].a != 0).any(axis=0)
    assert result.history[0].dead_fraction == pytest.approx(1 - alive.mean())
    assert result.history[0].dead_fraction >= 0.25


def test_minibatches_are_seeded_and_cover_every_sample_once() -> None:
    x, y = tiny_data(n=10)
    config = TrainConfig(iterations=3, lr=0.01, hidden=4, init="he", batch_size=4, loss="mse")
    a, b, c = train(x, y, config), train(x, y, config), train(x, y, config.replace(seed=1))
    assert np.array_equal(a.params.w1, b.params.w1)
    assert not np.array_equal(a.params.w1, c.params.w1)
    assert a.state.step == 3 * 3  # ceil(10 / 4) updates per epoch
    # The epoch's batches are a permutation: with a rate of ~0 the epoch loss is the full loss.
    frozen = train(x, y, config.replace(lr=1e-300, iterations=1))
    full = train(x, y, config.replace(lr=1e-300, iterations=1, batch_size=None))
    assert frozen.history[0].loss == pytest.approx(full.history[0].loss, rel=1e-12)


def test_minibatch_epoch_loss_combines_batches() -> None:
    x, y, params = seed_draws(0, SeedProblem(n=12, d_in=6, hidden=5, d_out=2))
    # A rate of ~0 keeps the weights fixed, so the epoch's loss must equal the full-batch loss.
    for loss in ("sse", "mse"):
        full = train(x, y, TrainConfig(iterations=1, lr=1e-300, hidden=5, loss=loss), params)
        mini = train(
            x, y, TrainConfig(iterations=1, lr=1e-300, hidden=5, loss=loss, batch_size=5), params
        )
        assert mini.history[0].loss == pytest.approx(full.history[0].loss, rel=1e-12)


def test_runs_are_deterministic() -> None:
    x, y = tiny_data(n=40)
    config = TrainConfig(iterations=20, lr=0.01, hidden=16, init="he", bias=True, optimizer="adam", batch_size=8,
                         validation_fraction=0.2, schedule="cosine")  # fmt: skip
    a, b = train(x, y, config), train(x, y, config)
    assert [r.loss for r in a.history] == [r.loss for r in b.history]
    assert [r.val_loss for r in a.history] == [r.val_loss for r in b.history]
    for name in a.params.named():
        assert np.array_equal(getattr(a.params, name), getattr(b.params, name))


@pytest.mark.parametrize(
    ("optimizer", "batch"), [("gd", None), ("nesterov", 7), ("adam", 7), ("adam", None)]
)
def test_resuming_from_state_equals_an_uninterrupted_run(optimizer: str, batch: int | None) -> None:
    x, y = tiny_data(n=30)
    config = TrainConfig(iterations=12, lr=0.01, hidden=8, init="he", bias=True, optimizer=optimizer,
                         batch_size=batch, schedule="plateau", plateau_patience=2)  # fmt: skip
    whole = train(x, y, config)

    class StopAt(Callback):
        def on_iteration_end(self, record: Record, state: TrainState) -> bool:
            return record.iteration == 4

    first = train(x, y, config, callbacks=[StopAt()])
    assert first.stop_reason == "callback" and first.state.iteration == 5
    rest = train(x, y, config, state=first.state)
    assert [r.loss for r in first.history + rest.history] == [r.loss for r in whole.history]
    for name in whole.params.named():
        assert np.array_equal(getattr(rest.params, name), getattr(whole.params, name))


def test_lbfgs_resumes_from_state_with_fresh_curvature_memory() -> None:
    # SciPy keeps L-BFGS's curvature pairs private, so a resumed run restarts that memory: it
    # continues from the saved weights and keeps descending, but is not bit-identical.
    x, y = tiny_data()
    config = TrainConfig(iterations=10, hidden=8, init="he", optimizer="lbfgs")
    first = train(x, y, config.replace(iterations=5))
    rest = train(x, y, config, state=first.state)
    assert [r.iteration for r in rest.history] == [5, 6, 7, 8, 9]
    assert rest.history[0].loss == pytest.approx(
        train(x, y, config.replace(iterations=6)).history[5].loss
    )
    assert rest.history[-1].loss < first.history[-1].loss


def test_lbfgs_records_each_iteration() -> None:
    x, y = tiny_data()
    result = train(x, y, TrainConfig(iterations=20, hidden=8, init="he", optimizer="lbfgs"))
    losses = [r.loss for r in result.history]
    assert len(losses) == 20 and result.stop_reason == "completed"
    assert losses[-1] < losses[0]


def test_float32_end_to_end() -> None:
    x, y, params = seed_draws(0, SeedProblem(n=16, d_in=20, hidden=8, d_out=2))
    result = train(x, y, TrainConfig(iterations=5, lr=1e-4, hidden=8, dtype="float32"),
                   params.map(lambda p: p.astype(np.float32)))  # fmt: skip
    assert all(p.dtype == np.float32 for p in result.params)


def test_bad_data_and_config() -> None:
    x, y = tiny_data()
    with pytest.raises(DataError, match="x has 16 samples but y has 15"):
        train(x, y[:15])
    with pytest.raises(DataError, match="must be 2-D"):
        train(x[0], y)
    with pytest.raises(ConfigError, match="lr must be a finite number > 0, got nan"):
        TrainConfig(lr=float("nan"))
    with pytest.raises(ConfigError, match="lbfgs works on the full batch"):
        TrainConfig(optimizer="lbfgs", batch_size=4)
    with pytest.raises(ConfigError, match="unknown configuration keys: colour"):
        TrainConfig.from_dict({"colour": "red"})
    assert TrainConfig.from_dict(TrainConfig(lr=0.5).to_dict()) == TrainConfig(lr=0.5)
