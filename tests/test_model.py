"""The network's math on a hand-worked example, with and without biases."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.errors import ConfigError
from twolayer.nn.losses import sse
from twolayer.nn.model import Params, backward, forward, init_params, predict


def tiny() -> tuple[Params, np.ndarray, np.ndarray]:
    x = np.array([[1.0, 2.0]])  # N=1, D_in=2
    w1 = np.array([[1.0, -1.0, -1.0], [0.5, 1.0, 0.0]])  # D_in=2, H=3
    w2 = np.array([[1.0], [-1.0], [5.0]])  # H=3, D_out=1
    y = np.array([[3.0]])
    return Params(w1, w2), x, y


def test_hand_worked_forward_and_loss() -> None:
    params, x, y = tiny()
    y_pred, cache = forward(params, x)
    # h = x @ w1 = [1*1 + 2*0.5, 1*(-1) + 2*1, 1*(-1) + 2*0] = [2, 1, -1]
    assert cache.h.tolist() == [[2.0, 1.0, -1.0]]
    # relu: the third unit is off
    assert cache.a.tolist() == [[2.0, 1.0, 0.0]]
    # y_pred = a @ w2 = 2*1 + 1*(-1) + 0*5 = 1
    assert y_pred.tolist() == [[1.0]]
    loss, grad = sse(y_pred, y)
    # loss = (1 - 3)^2 = 4;  d loss / d y_pred = 2 (1 - 3) = -4
    assert float(loss) == 4.0
    assert grad.tolist() == [[-4.0]]


def test_hand_worked_backward() -> None:
    params, x, y = tiny()
    y_pred, cache = forward(params, x)
    grads = backward(params, cache, sse(y_pred, y)[1])
    # grad_w2 = a.T @ g = [2, 1, 0]^T * (-4) = [-8, -4, 0]^T
    assert grads.w2.tolist() == [[-8.0], [-4.0], [0.0]]
    # grad_a = g @ w2.T = -4 * [1, -1, 5] = [-4, 4, -20]; relu zeroes the third (h = -1 < 0)
    # grad_w1 = x.T @ grad_h = [1, 2]^T @ [-4, 4, 0] = [[-4, 4, 0], [-8, 8, 0]]
    assert grads.w1.tolist() == [[-4.0, 4.0, 0.0], [-8.0, 8.0, 0.0]]
    assert grads.b1 is None and grads.b2 is None


def test_hand_worked_biases() -> None:
    params, x, y = tiny()
    params = Params(params.w1, params.w2, np.array([0.0, 0.0, 2.0]), np.array([0.5]))
    y_pred, cache = forward(params, x)
    # h = [2, 1, -1] + b1 = [2, 1, 1]: the third unit turns on; y_pred = 2 - 1 + 5 + 0.5 = 6.5
    assert y_pred.tolist() == [[6.5]]
    grads = backward(params, cache, sse(y_pred, y)[1])
    # g = 2 (6.5 - 3) = 7; grad_b2 = sum over samples of g = 7; grad_b1 = grad_h = 7 * w2^T
    assert grads.b2.tolist() == [7.0]
    assert grads.b1.tolist() == [7.0, -7.0, 35.0]


def test_relu_passes_the_gradient_at_zero_like_the_seed() -> None:
    params = Params(np.array([[1.0]]), np.array([[1.0]]))
    _, cache = forward(params, np.array([[0.0]]))
    grads = backward(params, cache, np.array([[1.0]]))
    assert grads.w1.tolist() == [[0.0]]  # x = 0, so grad_w1 = 0 ...
    assert cache.h.tolist() == [[0.0]]
    # ... but grad_h was passed through: check through a second input
    _, cache = forward(params, np.array([[0.0], [1.0]]))
    grads = backward(params, cache, np.array([[1.0], [1.0]]))
    assert grads.w1.tolist() == [[1.0]]


@pytest.mark.parametrize("init", ["normal", "he", "glorot", "uniform"])
def test_init_shapes_scales_and_dtype(init: str) -> None:
    rng = np.random.default_rng(0)
    params = init_params(rng, 400, 300, 20, init=init, bias=True, dtype="float32")
    assert params.w1.shape == (400, 300) and params.w2.shape == (300, 20)
    assert params.b1.tolist() == [0.0] * 300 and params.b2.tolist() == [0.0] * 20
    assert all(p.dtype == np.float32 for p in params)
    expected = {"normal": 1.0, "he": np.sqrt(2 / 400), "glorot": np.sqrt(2 / 700),
                "uniform": np.sqrt(1 / (3 * 400))}[init]  # fmt: skip
    assert params.w1.std() == pytest.approx(expected, rel=0.02)
    if init == "uniform":  # within +-1/sqrt(fan_in), both layers
        assert np.abs(params.w1).max() <= 1 / np.sqrt(400)
        assert np.abs(params.w2).max() <= 1 / np.sqrt(300)
        assert np.abs(params.w2).max() > 0.95 / np.sqrt(300)


def test_init_rejects_bad_names_and_sizes() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(
        ConfigError, match=r"unknown init 'xavier'; valid inits are: glorot, he, normal, uniform$"
    ):
        init_params(rng, 2, 2, 2, init="xavier")
    with pytest.raises(ConfigError, match="hidden must be an integer > 0, got 0"):
        init_params(rng, 2, 0, 2)


def test_params_helpers() -> None:
    params, x, _ = tiny()
    assert list(params.named()) == ["w1", "w2"]
    assert params.sizes == (2, 3, 1)
    doubled = params.map(lambda p: 2 * p)
    assert np.array_equal(doubled.w1, 2 * params.w1)
    assert np.array_equal(predict(params, x), forward(params, x)[0])
