"""Every activation's backward against central differences of its forward, and every loss's
gradient against central differences of its value: each differentiable piece checked alone."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.nn.activations import ACTIVATIONS
from twolayer.nn.gradcheck import numerical_gradient, relative_error
from twolayer.nn.losses import LOSSES, squared_scale


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_is_the_derivative_of_forward(name: str) -> None:
    act = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    h = rng.standard_normal((6, 5))
    h[np.abs(h) < 1e-3] = 0.5  # no sample on ReLU's kink, where no derivative exists
    grad_a = rng.standard_normal((6, 5))
    numeric = numerical_gradient(lambda: float(np.sum(act.forward(h) * grad_a)), h)
    analytic = act.backward(h, act.forward(h), grad_a)
    assert relative_error(analytic, numeric) < 1e-8


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradient_is_the_derivative_of_the_loss(name: str) -> None:
    rng = np.random.default_rng(2)
    y_pred = rng.standard_normal((7, 3))
    y = np.eye(3)[rng.integers(0, 3, 7)] if name == "cross_entropy" else rng.standard_normal((7, 3))
    fn = LOSSES[name].fn
    numeric = numerical_gradient(lambda: float(fn(y_pred, y)[0]), y_pred)
    assert relative_error(fn(y_pred, y)[1], numeric) < 1e-8


@pytest.mark.parametrize("name", ["sse", "mse", "half_mse"])
def test_the_scale_table_is_what_the_squared_losses_compute(name: str) -> None:
    rng = np.random.default_rng(3)
    y_pred, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    loss, grad = LOSSES[name].fn(y_pred, y)
    scale = squared_scale(name, 5, 4)
    assert loss == np.sum((y_pred - y) ** 2) / scale.divisor
    assert np.array_equal(grad, (y_pred - y) * scale.grad_factor)
    assert {"sse": 1, "mse": 20, "half_mse": 10}[name] == scale.divisor
