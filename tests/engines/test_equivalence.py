"""One table: every engine against the portable engine, the math as a learner reads it.

Each row names a configuration, an engine and how close its run must be to the portable
engine's run of the same configuration: bit for bit (``0``) for the in-place engine at the
seed's sizes, 1e-9 relative for the dual engine, 1e-15 for Dask.  The buffered engine is held
bit for bit to it for combinations of every option (:data:`OPTIONS`): each pair of activation
and loss with the other options drawn, and, marked slow, the whole product.  Below, the
buffered twins of the math (``*_into``) are held bit for bit equal to the functions beside
them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.nn.activations import (
    ACTIVATIONS,
    TWINS,
    relu,
    relu_backward,
    relu_backward_into,
    relu_into,
)
from twolayer.nn.losses import (
    LOSSES,
    LossBuffers,
    get_loss,
    loss_into,
    squared_error_into,
    squared_scale,
)
from twolayer.nn.model import Buffers, Params, backward, backward_into, forward, forward_into
from twolayer.nn.objective import add_penalty, add_penalty_into
from twolayer.nn.optim import adam, adam_into, adam_rate, gd_step, momentum_step, step_into
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


def run(engine: str, problem: SeedProblem, changes: dict[str, Any]) -> TrainResult:
    x, y, params = seed_draws(3, problem)
    config = problem.config(**{"track": "loss", **ENGINE_CONFIG[engine], **changes})
    params = None if config.bias else params.map(lambda p: p.astype(config.dtype))  # bias: drawn
    if engine == "dask":
        da = pytest.importorskip("dask.array")
        pytest.importorskip("array_api_compat")
        x, y = da.from_array(x, chunks=(13, -1)), da.from_array(y, chunks=(13, -1))
    result = train(x, y, config, params)
    assert result.engine == engine  # the table's choice
    return result


@pytest.mark.parametrize(("engine", "problem", "changes", "rel"), TABLE)
def test_every_engine_follows_the_portable_engine(
    engine: str, problem: SeedProblem, changes: dict[str, Any], rel: float,
    portable: Callable[..., TrainResult],
) -> None:  # fmt: skip
    ours = run(engine, problem, changes)
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


OPTIONS: dict[str, list[Any]] = {
    "activation": list(ACTIVATIONS),
    "loss": list(LOSSES),
    "optimizer": ["gd", "momentum", "nesterov", "adam"],
    "bias": [False, True],
    "alpha": [0.0, 0.3],
    "l1": [0.0, 0.05],
    "batch_size": [None, 10, 53],  # full batch, a short last batch, one batch the data's size
    "shuffle": [True, False],
    "dtype": ["float64", "float32"],
    "weighted": [False, True],  # sample weights, some of them 0 (and a batch of weight 0)
    "track": ["loss", "full"],
}


def drawn_combinations() -> list[dict[str, Any]]:
    """Every pair of activation and loss, twice, with the other options drawn (seeded)."""
    rng = np.random.default_rng(21)
    rows = []
    for activation, loss, _ in itertools.product(OPTIONS["activation"], OPTIONS["loss"], "ab"):
        row = {k: v[rng.integers(len(v))] for k, v in OPTIONS.items()}
        rows.append({**row, "activation": activation, "loss": loss})
    return rows


def all_combinations() -> list[dict[str, Any]]:
    return [
        dict(zip(OPTIONS, values, strict=True)) for values in itertools.product(*OPTIONS.values())
    ]


def buffered_and_portable(options: dict[str, Any]) -> tuple[TrainResult, TrainResult]:
    """Runs of one combination of options on the buffered and the portable engine."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((53, 7))
    classes = np.eye(3)[rng.integers(0, 3, 53)]
    y = classes if "cross_entropy" in options["loss"] else rng.standard_normal((53, 3))
    weights = rng.random(53)
    weights[:12] = 0  # with batches of 10 unshuffled, the first has weight 0
    kwargs = {"sample_weight": weights} if options["weighted"] else {}
    changes = {k: v for k, v in options.items() if k != "weighted"}
    lr = 1e-3 if options["loss"] == "sse" else 1e-2
    config = TrainConfig(iterations=4, lr=lr, hidden=6, init="he", **changes)
    return (train(x, y, config, engine="buffered", **kwargs),
            train(x, y, config, engine="portable", **kwargs))  # fmt: skip


def assert_bit_for_bit(ours: TrainResult, reference: TrainResult) -> None:
    for a, b in zip(reference.history, ours.history, strict=True):
        assert (b.loss, b.grad_norms, b.dead_fraction) == (a.loss, a.grad_norms, a.dead_fraction)
    assert all(np.array_equal(q, p) for p, q in zip(reference.params, ours.params, strict=True))
    assert ours.state.opt_state.keys() == reference.state.opt_state.keys()
    for name, buffers in reference.state.opt_state.items():
        for p, q in zip(buffers, ours.state.opt_state[name], strict=True):
            assert np.array_equal(q, p), name
    assert (ours.state.step, ours.state.rng_state) == (
        reference.state.step,
        reference.state.rng_state,
    )


@pytest.mark.parametrize(
    "options", drawn_combinations(), ids=lambda o: "-".join(map(str, o.values()))
)
def test_the_buffered_engine_is_the_portable_engine_bit_for_bit(options: dict[str, Any]) -> None:
    assert_bit_for_bit(*buffered_and_portable(options))


@pytest.mark.slow
def test_every_combination_of_options_bit_for_bit() -> None:
    for options in all_combinations():  # 25,600 pairs of short runs: minutes
        assert_bit_for_bit(*buffered_and_portable(options))


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


@pytest.mark.parametrize("name", list(TWINS))
def test_activation_twins_are_the_activations(name: str) -> None:
    h = np.array([[-1.5, 0.0, 2.0, 40.0], [3.0, -0.0, -2.0, -40.0]])
    grad_a = np.arange(8.0).reshape(2, 4) - 2.5
    a, keep, mask = np.empty_like(h), np.empty_like(h), np.empty(h.shape, bool)
    pair, twin = ACTIVATIONS[name], TWINS[name]
    twin.forward(h, a, keep, mask)
    assert np.array_equal(a, pair.forward(h))
    expected = pair.backward(h, pair.forward(h), grad_a.copy())
    twin.backward(grad_a, a, keep)
    assert np.array_equal(grad_a, expected)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", list(LOSSES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_loss_into_is_the_loss(name: str, weighted: bool, dtype: str) -> None:
    rng = np.random.default_rng(3)
    y_pred = rng.standard_normal((11, 4)).astype(dtype)
    y = np.eye(4)[rng.integers(0, 4, 11)] if "cross" in name else rng.standard_normal((11, 4))
    y = y.astype(dtype)
    weight = rng.random(11).astype(dtype) if weighted else None
    loss, grad = get_loss(name).fn(y_pred, y, weight)
    buf = LossBuffers(*(np.empty((11, 4), dtype) for _ in range(3)), np.empty((11, 1), dtype),
                      np.empty((), dtype))  # fmt: skip
    total = None if weight is None else np.add.reduce(weight, out=np.empty((), dtype))
    value = loss_into(name, y_pred, y, None if weight is None else weight[:, None], total, buf)
    assert value.dtype == loss.dtype and np.array_equal(value, loss)
    assert np.array_equal(buf.grad, grad)


def test_adam_into_and_the_penalty_twin_are_the_pure_rules() -> None:
    rng = np.random.default_rng(0)
    params = Params(*(rng.standard_normal(shape) for shape in ((4, 3), (3, 2), (3,), (2,))))
    grads = params.map(lambda p: rng.standard_normal(p.shape))
    flat = lambda p: np.concatenate([a.ravel() for a in p])  # noqa: E731
    w, g = flat(params), flat(grads)
    value, penalised = add_penalty(params, np.float64(1.25), grads, 0.3, 0.1)
    ours = add_penalty_into(np.float64(1.25), w[:18], g[:18], np.empty(18), 12, 0.3, 0.1)
    assert ours == value and np.array_equal(g, flat(penalised))
    optimizer = adam(0.8, 0.9, 1e-7)
    state = optimizer.init(params)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in (1, 2, 3):
        params, state = optimizer.update(params, penalised, state, 0.01, t)
        rate = adam_rate(0.01, t, 0.8, 0.9)
        adam_into(w, g, m, v, rate, 0.8, 0.9, 1e-7, np.empty_like(w), np.empty_like(w))
    assert np.array_equal(w, flat(params))
    assert np.array_equal(m, flat(state["m"])) and np.array_equal(v, flat(state["v"]))


def test_the_tolerances_are_tight_enough_to_fail() -> None:
    # A run with one more iteration differs from the reference beyond every tolerance above.
    x, y, params = seed_draws(3, SMALL)
    a = train(x, y, SMALL.config(track="loss"), params)
    b = train(x, y, SMALL.config(track="loss", lr=SMALL.lr * (1 + 1e-8)), params)
    assert a.history[-1].loss != pytest.approx(b.history[-1].loss, rel=1e-12, abs=0)


def test_engines_take_their_configurations() -> None:
    x, y, params = seed_draws(0, SMALL)
    engines = [
        train(x, y, TrainConfig(iterations=1, hidden=12, optimizer="adam"), params).engine,
        train(x, y, TrainConfig(iterations=1, hidden=12), params).engine,
        train(x, y, TrainConfig(iterations=1, hidden=12, optimizer="lbfgs"), params).engine,
        train(x, y, TrainConfig(iterations=1, hidden=12), params, engine="portable").engine,
    ]
    assert engines == ["buffered", "inplace", "portable", "portable"]  # lbfgs, the named one
