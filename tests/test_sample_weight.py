"""Sample weights through the loop: integer weights are repeated rows, zero weights are absent
rows, every engine takes them or refuses them in words."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.errors import ConfigError, DataError
from twolayer.nn.objective import loss_and_grads
from twolayer.train import train

COUNTS = np.array([1, 3, 0, 2, 1, 4, 2, 1, 0, 2, 1, 3])


def data(loss: str, n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, 4))
    if loss == "cross_entropy":
        return x, np.eye(3)[rng.integers(0, 3, n)]
    if loss == "binary_cross_entropy":
        return x, rng.integers(0, 2, (n, 3)).astype(float)
    return x, rng.standard_normal((n, 3))


@pytest.mark.parametrize(
    ("loss", "optimizer", "bias", "alpha"),
    [
        ("sse", "gd", False, 0.0),
        ("half_mse", "momentum", True, 0.3),
        ("mse", "adam", True, 0.0),
        ("cross_entropy", "nesterov", True, 0.1),
        ("binary_cross_entropy", "adam", False, 0.2),
        ("half_mse", "lbfgs", True, 0.1),
    ],
)
def test_integer_weights_train_as_repeated_rows(
    loss: str, optimizer: str, bias: bool, alpha: float
) -> None:
    x, y = data(loss)
    lr = 1e-3 if loss == "sse" else 0.05
    config = TrainConfig(iterations=15, lr=lr, hidden=6, init="he", bias=bias, loss=loss,
                         optimizer=optimizer, alpha=alpha, seed=2)  # fmt: skip
    weighted = train(x, y, config, sample_weight=COUNTS)
    repeated = train(np.repeat(x, COUNTS, 0), np.repeat(y, COUNTS, 0), config)
    assert [r.loss for r in weighted.history] == pytest.approx(
        [r.loss for r in repeated.history], rel=1e-11
    )
    for a, b in zip(weighted.params, repeated.params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_the_objective_of_weights_is_the_objective_of_repeated_rows() -> None:
    x, y = data("half_mse")
    params = train(x, y, TrainConfig(iterations=0, hidden=5, init="he", bias=True)).params
    kw = {"activation": "tanh", "loss": "half_mse", "alpha": 0.4}
    value, grads, _ = loss_and_grads(params, x, y, weight=COUNTS.astype(float), **kw)
    value_r, grads_r, _ = loss_and_grads(
        params, np.repeat(x, COUNTS, 0), np.repeat(y, COUNTS, 0), **kw
    )
    assert float(value) == pytest.approx(float(value_r), rel=1e-13)
    for a, b in zip(grads, grads_r, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_minibatches_with_weights_skip_a_batch_of_weight_zero() -> None:
    x, y = data("half_mse")
    weight = np.ones(12)
    weight[:4] = 0.0  # with shuffle=False the first batch of 4 weighs nothing
    config = TrainConfig(iterations=3, lr=0.05, hidden=5, init="he", loss="half_mse",
                         batch_size=4, shuffle=False)  # fmt: skip
    result = train(x, y, config, sample_weight=weight)
    assert result.state.step == 3 * 2  # two updates an epoch, not three
    assert all(np.isfinite(r.loss) for r in result.history)


def test_validation_split_carries_the_weights() -> None:
    x, y = data("half_mse", n=40)
    config = TrainConfig(iterations=3, lr=0.01, hidden=5, init="he", loss="half_mse",
                         validation_fraction=0.25)  # fmt: skip
    ones = train(x, y, config, sample_weight=np.ones(40))
    plain = train(x, y, config)
    assert [r.val_loss for r in ones.history] == pytest.approx(
        [r.val_loss for r in plain.history], rel=1e-13
    )
    heavy = train(x, y, config, sample_weight=np.linspace(0.1, 4.0, 40))
    assert heavy.history[0].val_loss != pytest.approx(plain.history[0].val_loss, rel=1e-6)


def test_bad_weights_are_refused_in_words() -> None:
    x, y = data("sse")
    for weight, words in (
        (np.ones(5), r"sample_weight must have shape \(12,\), one per sample; got \(5,\)"),
        (-np.ones(12), "sample_weight must be finite and >= 0"),
        (np.full(12, np.nan), "sample_weight must be finite and >= 0"),
        (np.zeros(12), "sample_weight must have a positive sum"),
    ):
        with pytest.raises(DataError, match=words):
            train(x, y, TrainConfig(iterations=1), sample_weight=weight)
    with pytest.raises(ConfigError, match="no sample weights"):
        train(x, y, TrainConfig(iterations=1, solver="dual"), sample_weight=np.ones(12))


def test_dask_refuses_weights() -> None:
    da = pytest.importorskip("dask.array")
    x, y = data("sse")
    with pytest.raises(ConfigError, match="the dask engine takes no sample weights on Dask arrays"):
        train(da.from_array(x, chunks=6), da.from_array(y, chunks=6), TrainConfig(iterations=1),
              sample_weight=np.ones(12))  # fmt: skip


def test_weighted_runs_take_the_portable_engine_and_unit_weights_match_the_default() -> None:
    x, y = data("sse")
    config = TrainConfig(iterations=10, lr=1e-3, hidden=6)
    plain = train(x, y, config)  # the in-place engine
    ones = train(x, y, config, sample_weight=np.ones(12))  # the portable engine, weighted
    np.testing.assert_allclose(ones.params.w1, plain.params.w1, rtol=1e-12)
