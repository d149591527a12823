"""Losses: values, gradients, and the exact learning-rate factors between them."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.errors import ConfigError
from twolayer.nn.losses import (
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


@pytest.mark.parametrize(
    "name", ["sse", "mse", "half_mse", "cross_entropy", "binary_cross_entropy"]
)
def test_integer_weights_equal_repeated_rows(name: str) -> None:
    rng = np.random.default_rng(3)
    y_pred = rng.standard_normal((5, 3))
    y = rng.integers(0, 2, size=(5, 3)).astype(float)
    if name == "cross_entropy":
        y = np.eye(3)[[0, 2, 1, 1, 0]]
    counts = np.array([1, 3, 0, 2, 1])
    loss, grad = get_loss(name).fn(y_pred, y, counts.astype(float))
    repeated_loss, repeated_grad = get_loss(name).fn(np.repeat(y_pred, counts, 0),
                                                     np.repeat(y, counts, 0))  # fmt: skip
    assert float(loss) == pytest.approx(float(repeated_loss), rel=1e-14)
    # The weighted gradient row of a sample is the sum of its copies' rows.
    summed = np.add.reduceat(repeated_grad, np.cumsum(counts)[counts > 0] - counts[counts > 0])
    assert np.allclose(grad[counts > 0], summed, rtol=1e-14, atol=0)
    assert np.all(grad[counts == 0] == 0)


def test_unit_weights_change_nothing_but_rounding() -> None:
    rng = np.random.default_rng(4)
    y_pred, y = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    for name in ("sse", "mse", "half_mse"):
        plain, weighted = get_loss(name).fn(y_pred, y), get_loss(name).fn(y_pred, y, np.ones(6))
        assert float(plain[0]) == pytest.approx(float(weighted[0]), rel=1e-15)
        assert np.allclose(plain[1], weighted[1], rtol=1e-15, atol=0)


def test_binary_cross_entropy_matches_scikit_learns_log_loss() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    z = np.array([[2.0, -1.0], [0.5, 40.0], [-3.0, 0.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    loss, grad = get_loss("binary_cross_entropy").fn(z, y)
    p = 1 / (1 + np.exp(-z))
    # summed over labels, averaged over samples: log_loss of each column, added
    expected = sum(sklearn_metrics.log_loss(y[:, k], p[:, k]) for k in range(2))
    assert float(loss) == pytest.approx(expected, rel=1e-12)
    assert np.allclose(grad, (p - y) / 3)
    far = get_loss("binary_cross_entropy").fn(np.array([[800.0, -800.0]]), np.array([[0.0, 1.0]]))
    assert float(far[0]) == pytest.approx(1600.0)  # no log(0), no overflow


def test_unknown_loss_lists_the_valid_ones() -> None:
    with pytest.raises(
        ConfigError,
        match="unknown loss 'l1'; valid losses are: binary_cross_entropy, cross_entropy, half_mse, mse, sse",
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
