"""Losses: values, gradients, and the exact learning-rate factors between them."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.errors import ConfigError
from twolayer.losses import (
    cross_entropy,
    get_loss,
    half_mse,
    log_softmax,
    lr_equivalent_to_sse,
    mse,
    softmax,
    sse,
)
from twolayer.train import train


def test_values_on_a_small_example() -> None:
    y_pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[0.0, 2.0], [1.0, 1.0]])
    # differences: [[1, 0], [2, 3]]; SSE = 1 + 0 + 4 + 9 = 14
    assert float(sse(y_pred, y)[0]) == 14.0
    assert float(mse(y_pred, y)[0]) == 14.0 / 4
    assert float(half_mse(y_pred, y)[0]) == 14.0 / (2 * 2)
    assert sse(y_pred, y)[1].tolist() == [[2.0, 0.0], [4.0, 6.0]]
    assert mse(y_pred, y)[1].tolist() == [[0.5, 0.0], [1.0, 1.5]]
    assert half_mse(y_pred, y)[1].tolist() == [[0.5, 0.0], [1.0, 1.5]]


def test_cross_entropy_value_and_stability() -> None:
    scores = np.array([[0.0, 0.0], [1000.0, 0.0]])
    one_hot = np.array([[1.0, 0.0], [0.0, 1.0]])
    loss, grad = cross_entropy(scores, one_hot)
    # row 1: -log(1/2); row 2: -log(softmax = e^-1000 / (1 + e^-1000)) = 1000 (to rounding)
    assert float(loss) == pytest.approx((np.log(2) + 1000.0) / 2)
    # grad = (softmax - y) / N: row 1 ([0.5, 0.5] - [1, 0]) / 2, row 2 ([1, 0] - [0, 1]) / 2
    assert np.allclose(grad, [[-0.25, 0.25], [0.5, -0.5]])
    assert np.allclose(softmax(scores).sum(axis=1), 1.0)
    assert np.all(np.isfinite(log_softmax(scores)))


def test_unknown_loss_lists_the_valid_ones() -> None:
    with pytest.raises(
        ConfigError, match="unknown loss 'l1'; valid losss are: cross_entropy, half_mse, mse, sse"
    ):
        get_loss("l1")


def weights_after(
    loss: str, lr: float, n: int, d_out: int
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    problem = SeedProblem(n=n, d_in=50, hidden=20, d_out=d_out, lr=1e-4, iterations=30)
    x, y, params = seed_draws(0, problem)
    result = train(x, y, TrainConfig(iterations=30, lr=lr, hidden=20, loss=loss), params)
    return result.params.w1, result.params.w2, [r.loss for r in result.history]


@pytest.mark.parametrize("loss", ["mse", "half_mse"])
def test_equivalent_learning_rates_give_bit_identical_weights_for_powers_of_two(loss: str) -> None:
    # N * D_out = 512 and 2 N = 128 are powers of two: scaling by them is exact in floating point.
    n, d_out = 64, 8
    w1, w2, _ = weights_after("sse", 1e-4, n, d_out)
    lr = lr_equivalent_to_sse(loss, 1e-4, n, d_out)
    assert lr == 1e-4 * {"mse": n * d_out, "half_mse": 2 * n}[loss]
    other_w1, other_w2, _ = weights_after(loss, lr, n, d_out)
    assert np.array_equal(w1, other_w1)
    assert np.array_equal(w2, other_w2)


@pytest.mark.parametrize("loss", ["mse", "half_mse"])
def test_equivalent_learning_rates_agree_to_rounding_otherwise(loss: str) -> None:
    n, d_out = 60, 10
    w1, _, losses = weights_after("sse", 1e-4, n, d_out)
    other_w1, _, other_losses = weights_after(
        loss, lr_equivalent_to_sse(loss, 1e-4, n, d_out), n, d_out
    )
    np.testing.assert_allclose(other_w1, w1, rtol=1e-11, atol=1e-13)
    scale = {"mse": n * d_out, "half_mse": 2 * n}[loss]
    np.testing.assert_allclose(np.array(other_losses) * scale, losses, rtol=1e-11)


def test_lr_equivalence_rejects_other_losses() -> None:
    with pytest.raises(ConfigError):
        lr_equivalent_to_sse("cross_entropy", 1e-6, 64, 10)
