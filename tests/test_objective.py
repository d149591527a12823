"""The L2 penalty: its value and gradient, its scaling with the batch, and that every engine and
the estimators train the same penalised objective."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from helpers import run_cli
from twolayer.config import TrainConfig
from twolayer.errors import ConfigError
from twolayer.nn.activations import ACTIVATIONS
from twolayer.nn.gradcheck import TOLERANCE, check_gradients, random_problem
from twolayer.nn.losses import LOSSES, get_loss
from twolayer.nn.model import forward
from twolayer.nn.objective import l2_penalty, loss_and_grads, penalty_factor
from twolayer.train import train


@pytest.mark.parametrize(
    ("activation", "loss", "bias"),
    list(itertools.product(sorted(ACTIVATIONS), sorted(LOSSES), [False, True])),
)
def test_gradients_with_the_penalty_match_central_differences(
    activation: str, loss: str, bias: bool
) -> None:
    params, x, y = random_problem(4, 6, 5, 7, 3, loss=loss, bias=bias)
    for error in check_gradients(params, x, y, activation=activation, loss=loss, alpha=0.7):
        assert error.relative_error < TOLERANCE, str(error)


def test_penalty_value_gradient_and_scaling() -> None:
    params, x, y = random_problem(1, 8, 4, 5, 2, loss="half_mse", bias=True)
    value, grads = l2_penalty(params, 0.3)
    assert value == pytest.approx(0.15 * (np.sum(params.w1**2) + np.sum(params.w2**2)))
    assert np.array_equal(grads.w1, 0.3 * params.w1) and not np.any(grads.b1)
    assert penalty_factor("half_mse", 8) == 1 / 8 and penalty_factor("sse", 8) == 1.0
    # scikit-learn's objective: SSE / (2n) + 0.5 * alpha * sum ||W||^2 / n
    ours, _, _ = loss_and_grads(params, x, y, activation="relu", loss="half_mse", alpha=0.3)
    sse = np.sum((forward(params, x)[0] - y) ** 2)
    squares = np.sum(params.w1**2) + np.sum(params.w2**2)
    assert float(ours) == pytest.approx(sse / 16 + 0.5 * 0.3 * squares / 8, rel=1e-13)
    plain, _, _ = loss_and_grads(params, x, y, activation="relu", loss="half_mse")
    assert float(plain) == float(get_loss("half_mse").fn(forward(params, x)[0], y)[0])


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 6))
    return x, x[:, :2] @ rng.standard_normal((2, 2)) + 0.1 * rng.standard_normal((60, 2))


def test_the_penalty_shrinks_the_weights_and_is_in_the_recorded_loss() -> None:
    x, y = data()
    config = TrainConfig(iterations=300, lr=1e-2, hidden=8, loss="half_mse", optimizer="adam",
                         init="he", bias=True)  # fmt: skip
    plain, penalised = train(x, y, config), train(x, y, config.replace(alpha=5.0))
    norm = lambda r: float(np.sum(r.params.w1**2) + np.sum(r.params.w2**2))  # noqa: E731
    assert norm(penalised) < 0.5 * norm(plain)
    last = penalised.history[-1]
    start = train(x, y, config.replace(alpha=5.0, iterations=len(penalised.history) - 1))
    value, _, _ = loss_and_grads(start.params, x, y, activation="relu", loss="half_mse", alpha=5.0)
    assert last.loss == pytest.approx(float(value), rel=1e-12)


@pytest.mark.parametrize(("loss", "rows", "factor"), [("mse", 20, 1 / 20), ("sse", 20, 1.0),
                                                     ("half_mse", 7, 1 / 7)])  # fmt: skip
def test_a_batch_adds_the_penalty_scaled_by_its_own_size(
    loss: str, rows: int, factor: float
) -> None:
    x, y = data()
    params = train(x, y, TrainConfig(iterations=0, hidden=8, init="he")).params
    with_penalty, grads, _ = loss_and_grads(params, x[:rows], y[:rows], activation="relu",
                                            loss=loss, alpha=2.0)  # fmt: skip
    without, plain, _ = loss_and_grads(params, x[:rows], y[:rows], activation="relu", loss=loss)
    value, extra = l2_penalty(params, 2.0)
    assert float(with_penalty - without) == pytest.approx(factor * float(value), rel=1e-12)
    np.testing.assert_allclose(grads.w2 - plain.w2, factor * extra.w2, rtol=1e-10, atol=1e-14)


def test_lbfgs_minimises_the_penalised_objective() -> None:
    pytest.importorskip("scipy")
    x, y = data()
    config = TrainConfig(iterations=60, hidden=8, loss="half_mse", optimizer="lbfgs", init="he")
    penalised = train(x, y, config.replace(alpha=1.0))
    plain = train(x, y, config)
    norm = lambda r: float(np.sum(r.params.w1**2) + np.sum(r.params.w2**2))  # noqa: E731
    assert norm(penalised) < norm(plain)


def test_engines_without_a_penalty_refuse_or_step_aside() -> None:
    with pytest.raises(ConfigError, match="the dual solver has no L2 penalty"):
        train(*data(), TrainConfig(solver="dual", alpha=0.1, hidden=4))
    with pytest.raises(ConfigError, match="alpha must be a finite number >= 0"):
        TrainConfig(alpha=-1.0)


@pytest.mark.parametrize("flag", ["--alpha", "--l1"])
def test_the_command_line_takes_each_penalty(capsys: pytest.CaptureFixture[str], flag: str) -> None:
    base = ["train", "--iterations", "3", "--n", "20", "--d-in", "5", "--hidden", "4",
            "--lr", "1e-4", "--json", "--quiet"]  # fmt: skip
    code, out, _ = run_cli([*base, flag, "1e3"], capsys)
    assert code == 0
    penalised = float(out.splitlines()[0].split()[1])
    code, out, _ = run_cli(base, capsys)
    assert penalised > float(out.splitlines()[0].split()[1])  # the penalty adds to the loss
    code, _, err = run_cli([*base, flag, "-2"], capsys)
    assert code == 2 and f"error: argument {flag}: must be a finite number >= 0, got -2" in err


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 100 epochs
def test_estimators_pass_alpha_on() -> None:
    pytest.importorskip("sklearn")
    from twolayer.estimators import TwoLayerRegressor

    x, y = data()
    small = TwoLayerRegressor(hidden=8, iterations=100, random_state=0).fit(x, y)
    large = TwoLayerRegressor(hidden=8, iterations=100, random_state=0, alpha=10.0).fit(x, y)
    weights = lambda m: float(np.sum(m.model_.params.w1**2))  # noqa: E731
    assert weights(large) < weights(small)
    assert TwoLayerRegressor().get_params()["alpha"] == 0.0


def test_the_l1_penalty_and_its_gradient_match_central_differences() -> None:
    from twolayer.nn.gradcheck import numerical_gradient, relative_error
    from twolayer.nn.objective import l1_penalty

    params, _, _ = random_problem(2, 5, 4, 6, 3, loss="mse", bias=True)
    value, grads = l1_penalty(params, 0.4)
    assert value == pytest.approx(0.4 * (np.sum(np.abs(params.w1)) + np.sum(np.abs(params.w2))))
    assert not np.any(grads.b1) and not np.any(grads.b2)
    for name in ("w1", "w2"):
        array = getattr(params, name)
        assert np.min(np.abs(array)) > 1e-4  # away from the kink at 0, where |w| has no slope
        numeric = numerical_gradient(lambda: float(l1_penalty(params, 0.4)[0]), array)
        assert relative_error(getattr(grads, name), numeric) < TOLERANCE
    zero = params.__class__(np.zeros((2, 3)), np.zeros((3, 1)))
    assert not np.any(l1_penalty(zero, 1.0)[1].w1)  # the subgradient 0 at w = 0


def test_the_l1_penalty_trains_everywhere_alpha_does() -> None:
    x, y = data()
    config = TrainConfig(iterations=300, lr=1e-2, hidden=8, loss="half_mse", optimizer="adam",
                         init="he", bias=True)  # fmt: skip
    plain, sparse = train(x, y, config), train(x, y, config.replace(l1=0.5))
    sizes = lambda r: float(np.abs(r.params.w1).sum() + np.abs(r.params.w2).sum())  # noqa: E731
    assert sizes(sparse) < 0.7 * sizes(plain)
    small = lambda r: float(np.mean(np.abs(r.params.w1) < 1e-2))  # noqa: E731
    assert small(sparse) > 2 * small(plain)  # the same pull on every weight: small ones end near 0
    last = sparse.history[-1]
    start = train(x, y, config.replace(l1=0.5, iterations=len(sparse.history) - 1))
    value, _, _ = loss_and_grads(start.params, x, y, activation="relu", loss="half_mse", l1=0.5)
    assert last.loss == pytest.approx(float(value), rel=1e-12)
    with pytest.raises(ConfigError, match="has no L1 penalty"):
        train(x, y, TrainConfig(solver="dual", l1=0.1, hidden=4))
    with pytest.raises(ConfigError, match="l1 must be a finite number >= 0"):
        TrainConfig(l1=-1.0)
