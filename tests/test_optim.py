"""Each optimizer's update, re-derived by hand and compared exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twolayer.errors import ConfigError
from twolayer.nn.model import Params
from twolayer.nn.optim import make_optimizer

RNG = np.random.default_rng(0)
W0 = Params(
    RNG.standard_normal((3, 4)),
    RNG.standard_normal((4, 2)),
    RNG.standard_normal(4),
    RNG.standard_normal(2),
)
G1 = W0.map(lambda p: RNG.standard_normal(p.shape))
G2 = W0.map(lambda p: RNG.standard_normal(p.shape))
LR, MU = 0.05, 0.9


def two_steps(name: str, **kwargs: float) -> Params:
    opt = make_optimizer(name, **kwargs)
    state = opt.init(W0)
    params, state = opt.update(W0, G1, state, LR, 1)
    params, _ = opt.update(params, G2, state, LR, 2)
    return params


def assert_params_equal(a: Params, b: Params) -> None:
    assert a.named().keys() == b.named().keys()
    for name in a.named():
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_gradient_descent() -> None:
    # w2 = w1 - lr g2 = (w0 - lr g1) - lr g2
    expected = W0.map(lambda w, g1, g2: (w - LR * g1) - LR * g2, G1, G2)
    assert_params_equal(two_steps("gd"), expected)


def test_momentum() -> None:
    def by_hand(w: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
        v1 = MU * np.zeros_like(w) - LR * g1  # v starts at zero
        w1 = w + v1
        v2 = MU * v1 - LR * g2
        return w1 + v2

    assert_params_equal(two_steps("momentum", mu=MU), W0.map(by_hand, G1, G2))


def test_nesterov() -> None:
    def by_hand(w: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
        v1 = MU * np.zeros_like(w) - LR * g1
        w1 = w + (MU * v1 - LR * g1)  # step from the look-ahead point
        v2 = MU * v1 - LR * g2
        return w1 + (MU * v2 - LR * g2)

    assert_params_equal(two_steps("nesterov", mu=MU), W0.map(by_hand, G1, G2))


def test_adam() -> None:
    b1, b2, eps = 0.8, 0.99, 1e-7

    def by_hand(w: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
        m = b1 * np.zeros_like(w) + (1 - b1) * g1
        v = b2 * np.zeros_like(w) + (1 - b2) * (g1 * g1)
        lr_t = LR * math.sqrt(1 - b2**1) / (1 - b1**1)
        w = w - lr_t * m / (np.sqrt(v) + eps)
        m = b1 * m + (1 - b1) * g2
        v = b2 * v + (1 - b2) * (g2 * g2)
        lr_t = LR * math.sqrt(1 - b2**2) / (1 - b1**2)
        return w - lr_t * m / (np.sqrt(v) + eps)

    assert_params_equal(two_steps("adam", beta1=b1, beta2=b2, epsilon=eps), W0.map(by_hand, G1, G2))


def test_gradient_descent_is_momentum_with_zero_mass() -> None:
    assert_params_equal(two_steps("momentum", mu=0.0), two_steps("gd"))
    assert_params_equal(two_steps("nesterov", mu=0.0), two_steps("gd"))


def test_state_is_plain_and_unchanged_inputs() -> None:
    opt = make_optimizer("adam")
    state = opt.init(W0)
    assert set(state) == {"m", "v"}
    before = W0.w1.copy()
    opt.update(W0, G1, state, LR, 1)
    assert np.array_equal(W0.w1, before)
    assert make_optimizer("gd").init(W0) == {}


def test_unknown_optimizer() -> None:
    with pytest.raises(
        ConfigError, match="unknown optimizer 'rmsprop'; valid optimizers are: adam, gd"
    ):
        make_optimizer("rmsprop")
