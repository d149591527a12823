"""One table: every engine against the portable engine, the math as a learner reads it.

Each row names a configuration, an engine and how close its run must be to the portable
engine's run of the same configuration: bit for bit (``0``) for the in-place engine at the
seed's sizes, 1e-9 relative for the dual engine, 1e-15 for Dask.  Below it, the buffered twins
of the math (``*_into``) are held bit for bit equal to the functions beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from twolayer.activations import relu, relu_backward, relu_backward_into, relu_into
from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.losses import get_loss, squared_error_into, squared_scale
from twolayer.model import Buffers, backward, backward_into, forward, forward_into
from twolayer.optim import gd_step, momentum_step, step_into
from twolayer.state import TrainResult
from twolayer.train import train

SEED = SeedProblem(iterations=60)
SMALL = SeedProblem(40, 30, 12, 3, 1e-4, 30)
TINY = SeedProblem(20, 12, 9, 3, 1e-4, 25)
ENGINE_CONFIG = {"inplace": {"solver": "direct"}, "dual": {"solver": "dual"}, "dask": {}}

TABLE: list[tuple[str, SeedProblem, dict[str, Any], float]] = [
    # engine, problem, configuration changes, relative tolerance (0: bit for bit)
    ("inplace", SEED, {}, 0),
    ("inplace", SEED, {"optimizer": "momentum", "lr": 2e-7}, 0),
    ("inplace", SEED, {"optimizer": "nesterov", "lr": 2e-7, "schedule": "cosine"}, 0),
    ("inplace", SMALL, {"loss": "mse", "lr": 0.05, "track": "full"}, 0),
    ("inplace", SMALL, {"loss": "half_mse", "lr": 0.01, "schedule": "plateau"}, 0),
    *(
        ("inplace", TINY, {"track": track, **changes}, 0)
        for track in ("full", "loss")
        for changes in (
            {"optimizer": "momentum", "momentum": 0.8},
            {"optimizer": "nesterov", "schedule": "step", "step_size": 3, "gamma": 0.5},
            {"loss": "mse", "lr": 0.05, "schedule": "plateau", "plateau_patience": 2},
            {"loss": "half_mse", "lr": 0.02, "optimizer": "momentum", "schedule": "cosine"},
            {"dtype": "float32", "optimizer": "nesterov"},
            {"dtype": "float32", "loss": "mse", "lr": 0.05},
        )
    ),
    ("dual", SEED, {}, 1e-9),
    ("dual", SEED, {"optimizer": "momentum", "lr": 2e-7}, 1e-9),
    ("dual", SMALL, {"optimizer": "nesterov", "loss": "mse", "lr": 0.02, "track": "full"}, 1e-9),
    ("dask", SMALL, {"track": "full"}, 1e-15),
    ("dask", SMALL, {"optimizer": "adam", "lr": 1e-3, "loss": "mse"}, 1e-15),
    ("dask", SMALL, {"bias": True, "activation": "tanh", "init": "glorot", "lr": 1e-3}, 1e-15),
    ("dask", SMALL, {"loss": "mse", "lr": 0.05, "alpha": 0.5, "track": "full"}, 1e-15),
]


def run(
    engine: str, problem: SeedProblem, changes: dict[str, Any], paths: list[str]
) -> TrainResult:
    x, y, params = seed_draws(3, problem)
    config = problem.config(**{"track": "loss", **ENGINE_CONFIG[engine], **changes})
    params = None if config.bias else params.map(lambda p: p.astype(config.dtype))  # bias: drawn
    if engine == "dask":
        da = pytest.importorskip("dask.array")
        pytest.importorskip("array_api_compat")
        x, y = da.from_array(x, chunks=(13, -1)), da.from_array(y, chunks=(13, -1))
    result = train(x, y, config, params)
    assert paths == [engine]
    return result


@pytest.mark.parametrize(("engine", "problem", "changes", "rel"), TABLE)
def test_every_engine_follows_the_portable_engine(
    engine: str, problem: SeedProblem, changes: dict[str, Any], rel: float,
    paths: list[str], portable: Callable[..., TrainResult],
) -> None:  # fmt: skip
    ours = run(engine, problem, changes, paths)
    x, y, params = seed_draws(3, problem)
    config = problem.config(**{"track": "loss", **changes})
    start = None if config.bias else params.map(lambda p: p.astype(config.dtype))
    reference = portable(x, y, config, start)
    assert len(ours.history) == len(reference.history) == problem.iterations
    for a, b in zip(reference.history, ours.history, strict=True):
        assert (a.iteration, a.lr, a.dead_fraction) == (b.iteration, b.lr, b.dead_fraction)
        if rel == 0:
            assert (b.loss, b.grad_norms) == (a.loss, a.grad_norms)
        else:
            assert b.loss == pytest.approx(a.loss, rel=rel, abs=0)
            assert b.grad_norms == pytest.approx(a.grad_norms, rel=max(rel, 1e-12))
    assert ours.state.opt_state.keys() == reference.state.opt_state.keys()
    for buffers in ours.state.opt_state:
        for p, q in zip(
            reference.state.opt_state[buffers], ours.state.opt_state[buffers], strict=True
        ):
            assert np.array_equal(q, p) if rel == 0 else np.allclose(q, p, rtol=rel, atol=rel)
    for name, p in reference.params.named().items():
        q = np.asarray(getattr(ours.params, name))
        if rel == 0:
            assert np.array_equal(q, p), name
        else:
            np.testing.assert_allclose(q, p, rtol=rel, atol=rel * np.abs(p).max())
    assert ours.state.step == reference.state.step


@pytest.fixture
def batch() -> tuple[Any, ...]:
    x, y, params = seed_draws(1, SeedProblem(9, 7, 5, 3))
    return x, y, params


def test_forward_and_backward_into_are_forward_and_backward(batch: tuple[Any, ...]) -> None:
    x, y, params = batch
    n, hidden, d_out = x.shape[0], params.w1.shape[1], y.shape[1]
    buf = Buffers(*(np.empty((n, hidden)) for _ in range(3)), np.empty((n, hidden), bool),
                  *(np.empty((n, d_out)) for _ in range(3)), np.empty((n, hidden)))  # fmt: skip
    y_pred, cache = forward(params, x)
    forward_into(params.w1, params.w2, x, buf)
    assert np.array_equal(buf.h, cache.h) and np.array_equal(buf.a, cache.a)
    assert np.array_equal(buf.y_pred, y_pred)
    for name in ("sse", "mse", "half_mse"):
        loss, grad = get_loss(name).fn(y_pred, y)
        scale = squared_scale(name, n, d_out)
        sse = squared_error_into(buf.y_pred, y, scale.grad_factor, buf.diff, buf.square,
                                 np.empty(()))  # fmt: skip
        assert np.array_equal(np.float64(sse) / scale.divisor, loss), name
        assert np.array_equal(buf.diff, grad), name
    grads = backward(params, cache, buf.diff)
    grad_w1, grad_w2 = np.empty_like(params.w1), np.empty_like(params.w2)
    backward_into(params.w2, x, buf, grad_w2, grad_w1)
    assert np.array_equal(grad_w1, grads.w1) and np.array_equal(grad_w2, grads.w2)


def test_relu_into_is_relu() -> None:
    h = np.array([[-1.5, 0.0, 2.0], [3.0, -0.0, -2.0]])
    grad_a = np.arange(6.0).reshape(2, 3) + 1
    a, mask = np.empty_like(h), np.empty_like(h)  # keep: of h's dtype
    relu_into(h, a, mask, np.empty(h.shape, bool))
    assert np.array_equal(a, relu(h))
    relu_backward_into(grad_a, mask)
    assert np.array_equal(grad_a, relu_backward(h, relu(h), np.arange(6.0).reshape(2, 3) + 1))
    negative = -(np.arange(6.0).reshape(2, 3) + 1)  # zeroed by multiplying: -0.0, equal to 0
    expected = relu_backward(h, relu(h), negative.copy())
    relu_backward_into(negative, mask)
    assert np.array_equal(negative, expected) and np.all(negative[h < 0] == 0)


@pytest.mark.parametrize("rule", ["gd", "momentum", "nesterov"])
def test_step_into_is_the_pure_rule(rule: str) -> None:
    rng = np.random.default_rng(0)
    w, g, v = (rng.standard_normal((4, 3)) for _ in range(3))
    lr, mu = 0.37, 0.81
    w_in, v_in, scratch, ahead = w.copy(), v.copy(), np.empty_like(w), np.empty_like(w)
    if rule == "gd":
        step, sign = step_into(w_in, g, lr, scratch)
        assert np.array_equal(w_in, gd_step(w, g, lr)) and sign == -1.0
        assert np.array_equal(step, lr * g)
        return
    nesterov = rule == "nesterov"
    step_into(w_in, g, lr, scratch, v_in, mu, ahead if nesterov else None)
    new_w, new_v = momentum_step(w, g, v, lr, mu, nesterov=nesterov)
    assert np.array_equal(w_in, new_w) and np.array_equal(v_in, new_v)


def test_the_tolerances_are_tight_enough_to_fail() -> None:
    # A run with one more iteration differs from the reference beyond every tolerance above.
    x, y, params = seed_draws(3, SMALL)
    a = train(x, y, SMALL.config(track="loss"), params)
    b = train(x, y, SMALL.config(track="loss", lr=SMALL.lr * (1 + 1e-8)), params)
    assert a.history[-1].loss != pytest.approx(b.history[-1].loss, rel=1e-12, abs=0)


def test_engines_take_their_configurations(paths: list[str]) -> None:
    x, y, params = seed_draws(0, SMALL)
    train(x, y, TrainConfig(iterations=1, hidden=12, optimizer="adam"), params)
    assert paths == []  # adam: portable
