"""Gradient checks: every activation x loss x bias combination, and random shapes (Hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from twolayer.nn import activations
from twolayer.nn.activations import ACTIVATIONS, Activation
from twolayer.nn.gradcheck import TOLERANCE, check_gradients, random_problem, relative_error
from twolayer.nn.losses import LOSSES, get_loss
from twolayer.nn.model import forward

TABLE = list(itertools.product(sorted(ACTIVATIONS), sorted(LOSSES), [False, True], [False, True]))


def far_from_kinks(params, x, activation: str) -> bool:  # type: ignore[no-untyped-def]
    """Central differences are only valid where no ReLU-like unit can change side."""
    if activation not in ("relu", "leaky_relu"):
        return True
    _, cache = forward(params, x, activation)
    return bool(np.min(np.abs(cache.h)) > 1e-4)


@pytest.mark.parametrize(("activation", "loss", "bias", "weighted"), TABLE)
def test_every_combination_passes(activation: str, loss: str, bias: bool, weighted: bool) -> None:
    params, x, y = random_problem(seed=1, n=6, d_in=4, hidden=5, d_out=3, loss=loss, bias=bias)
    assert far_from_kinks(params, x, activation)
    # Weighted: sample weights and the L2 penalty together (its factor uses the weights' sum).
    weight = np.array([0.5, 2.0, 1.0, 3.0, 0.0, 1.5]) if weighted else None
    errors = check_gradients(params, x, y, activation=activation, loss=loss, weight=weight,
                             alpha=0.7 if weighted else 0.0)  # fmt: skip
    assert [e.name for e in errors] == (["w1", "w2", "b1", "b2"] if bias else ["w1", "w2"])
    for error in errors:
        assert error.relative_error < TOLERANCE, str(error)


@given(
    n=st.integers(1, 7),
    d_in=st.integers(1, 6),
    hidden=st.integers(1, 7),
    d_out=st.integers(1, 4),
    seed=st.integers(0, 10_000),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    loss=st.sampled_from(sorted(LOSSES)),
    bias=st.booleans(),
)
def test_random_shapes_pass(
    n: int, d_in: int, hidden: int, d_out: int, seed: int, activation: str, loss: str, bias: bool
) -> None:
    params, x, y = random_problem(seed, n, d_in, hidden, d_out, loss=loss, bias=bias)
    assume(far_from_kinks(params, x, activation))
    value = abs(float(get_loss(loss).fn(forward(params, x, activation)[0], y)[0]))
    for error in check_gradients(params, x, y, activation=activation, loss=loss):
        # A central difference of step 1e-6 carries a rounding error of about 1e-16 |loss| / 1e-6
        # = 1e-10 |loss|; a gradient that small (a unit barely used) cannot be checked
        # relatively, so there the absolute error is held to 100 times that rounding instead.
        absolute = abs(error.analytic - error.numeric)
        assert error.relative_error < TOLERANCE or absolute < 1e-8 * max(1.0, value), str(error)


def test_a_wrong_backward_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # ReLU's backward without its mask: the check must name w1 as wrong.
    wrong = Activation("relu", activations.relu, lambda h, a, grad_a: grad_a)
    monkeypatch.setitem(ACTIVATIONS, "relu", wrong)
    params, x, y = random_problem(seed=2, n=8, d_in=4, hidden=6, d_out=2)
    errors = {e.name: e for e in check_gradients(params, x, y)}
    assert errors["w1"].relative_error > 1e-2
    assert errors["w2"].relative_error < TOLERANCE
    assert "analytic" in str(errors["w1"]) and "numeric" in str(errors["w1"])


def test_relative_error_definition() -> None:
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 0.0]), np.array([1.0, 1e-3])) == pytest.approx(1e-3)
    assert relative_error(np.array([2.0, -4.0]), np.array([2.0, -3.0])) == pytest.approx(0.25)


def test_parameters_are_restored_after_the_check() -> None:
    params, x, y = random_problem(seed=3)
    before = {k: v.copy() for k, v in params.named().items()}
    check_gradients(params, x, y)
    assert all(np.array_equal(before[k], v) for k, v in params.named().items())
