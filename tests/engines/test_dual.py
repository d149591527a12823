"""The dual engine: the direct solver's run to 1e-9, with w1 formed only when read."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

from twolayer.cli import main
from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.engines import dual, inplace
from twolayer.errors import ConfigError, DivergenceError
from twolayer.nn.model import Params
from twolayer.outputs.callbacks import PrintLosses
from twolayer.state import Callback, Record, TrainResult, TrainState
from twolayer.train import train


@pytest.fixture
def formed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count how often the dual solver forms w1."""
    calls: list[int] = []
    real = dual.DualSolver.params

    def counting(self: dual.DualSolver) -> Params:
        calls.append(1)
        return real(self)

    monkeypatch.setattr(dual.DualSolver, "params", counting)
    return calls


def both(x: Any, y: Any, config: TrainConfig, params: Params, **kw: Any) -> tuple[TrainResult, TrainResult]:  # fmt: skip
    return train(x, y, config.replace(solver="direct"), params, **kw), train(
        x, y, config.replace(solver="dual"), params, **kw
    )


def assert_close_runs(direct: TrainResult, ours: TrainResult, rel: float = 1e-9) -> None:
    assert len(direct.history) == len(ours.history)
    for a, b in zip(direct.history, ours.history, strict=True):
        assert (a.iteration, a.lr) == (b.iteration, b.lr)
        assert b.loss == pytest.approx(a.loss, rel=rel, abs=0)
    for p, q in zip(direct.params, ours.params, strict=True):
        np.testing.assert_allclose(q, p, rtol=rel, atol=rel * np.abs(p).max())


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov"])
def test_the_seeds_500_iterations_match_the_direct_solver(
    optimizer: str, formed: list[int]
) -> None:
    x, y, params = seed_draws(0)
    lr = 1e-6 if optimizer == "gd" else 1e-7  # momentum's larger steps need a smaller rate
    config = SeedProblem(lr=lr).config(track="loss", optimizer=optimizer)
    direct, ours = both(x, y, config, params)
    assert direct.history[-1].loss < 1e-3 * direct.history[0].loss  # it really trained
    assert_close_runs(direct, ours)
    assert formed == [1]  # w1 formed once, at the end
    assert type(ours.state) is TrainState and ours.state.params is ours.params
    assert ours.state.step == 500 and ours.state.iteration == 500
    for name in ours.state.opt_state:
        for p, q in zip(direct.state.opt_state[name], ours.state.opt_state[name], strict=True):
            np.testing.assert_allclose(q, p, rtol=1e-9, atol=1e-9 * np.abs(p).max())


def test_float32_stays_close_to_float32_direct() -> None:
    x, y, params = seed_draws(3, SeedProblem(32, 200, 20, 4))
    config = TrainConfig(iterations=50, lr=1e-5, hidden=20, dtype="float32", track="loss")
    x32, y32, p32 = (
        x.astype("float32"),
        y.astype("float32"),
        params.map(lambda p: p.astype("float32")),
    )
    direct, ours = both(x32, y32, config, p32)
    assert ours.params.w1.dtype == np.float32
    assert_close_runs(direct, ours, rel=1e-4)


def test_full_tracking_gives_the_same_statistics() -> None:
    x, y, params = seed_draws(5, SeedProblem(24, 80, 16, 3))
    for optimizer in ("gd", "momentum"):
        config = TrainConfig(iterations=30, lr=1e-5, hidden=16, optimizer=optimizer)
        direct, ours = both(x, y, config, params)
        for a, b in zip(direct.history, ours.history, strict=True):
            assert b.grad_norms == pytest.approx(a.grad_norms, rel=1e-9)
            assert b.dead_fraction == a.dead_fraction


def test_callbacks_that_read_params_see_the_current_weights(formed: list[int]) -> None:
    x, y, params = seed_draws(6, SeedProblem(16, 40, 8, 2))
    config = TrainConfig(iterations=8, lr=1e-5, hidden=8, optimizer="momentum")
    seen: list[tuple[Params, Params]] = []

    class Keep(Callback):
        def on_iteration_end(self, record: Record, state: TrainState) -> bool:
            seen.append((state.params, state.opt_state["velocity"]))
            return record.iteration == 4

    result = train(x, y, config.replace(solver="dual"), params, callbacks=[Keep()])
    assert result.stop_reason == "callback" and len(seen) == 5 and len(formed) == 5
    for i, (weights, velocity) in enumerate(seen):
        expected = train(x, y, config.replace(iterations=i + 1), params)
        for p, q in zip([*expected.params, *expected.state.opt_state["velocity"]],
                        [*weights, *velocity], strict=True):  # fmt: skip
            np.testing.assert_allclose(q, p, rtol=1e-9, atol=1e-12)


def test_printing_callbacks_never_form_w1(formed: list[int]) -> None:
    x, y, params = seed_draws(0)
    out = io.StringIO()
    config = SeedProblem(iterations=50).config(track="loss", solver="dual")
    train(x, y, config, params, callbacks=[PrintLosses(out)])
    assert formed == [1] and len(out.getvalue().splitlines()) == 50


def test_resuming_with_a_velocity_equals_an_uninterrupted_run() -> None:
    x, y, params = seed_draws(9, SeedProblem(16, 40, 8, 2))
    for optimizer in ("momentum", "nesterov"):
        config = TrainConfig(iterations=14, lr=1e-5, hidden=8, optimizer=optimizer, solver="dual")
        whole = train(x, y, config, params)

        class StopAt(Callback):
            def on_iteration_end(self, record: Record, state: TrainState) -> bool:
                return record.iteration == 5

        first = train(x, y, config, params, callbacks=[StopAt()])
        assert np.any(first.state.opt_state["velocity"].w1)
        rest = train(x, y, config, state=first.state)
        combined = first.history + rest.history
        for a, b in zip(whole.history, combined, strict=True):
            assert b.loss == pytest.approx(a.loss, rel=1e-9)
        for p, q in zip(whole.params, rest.params, strict=True):
            np.testing.assert_allclose(q, p, rtol=1e-9, atol=1e-12)


def test_twolayer_seed_with_the_dual_solver(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed", "--iterations", "40", "--solver", "dual"]) == 0
    dual_lines = capsys.readouterr().out.splitlines()
    assert main(["seed", "--iterations", "40"]) == 0
    direct_lines = capsys.readouterr().out.splitlines()
    assert len(dual_lines) == len(direct_lines) == 40
    for ours, theirs in zip(dual_lines, direct_lines, strict=True):
        i, loss = ours.split()
        j, expected = theirs.split()
        assert i == j and float(loss) == pytest.approx(float(expected), rel=1e-9)


def test_auto_takes_the_dual_solver_only_when_it_is_cheaper() -> None:
    wide, _, wide_params = seed_draws(0, SeedProblem(8, 20, 4, 2))
    tall, _, tall_params = seed_draws(0, SeedProblem(20, 8, 4, 2))
    auto = TrainConfig(iterations=2, lr=1e-5, hidden=4, solver="auto")
    engines = [
        train(wide, wide[:, :2], auto, wide_params).engine,
        train(tall, tall[:, :2], auto, tall_params).engine,
        train(wide, wide[:, :2], auto.replace(solver="direct"), wide_params).engine,
        train(wide, wide[:, :2], auto.replace(optimizer="adam"), wide_params).engine,
    ]
    assert engines == ["dual", "inplace", "inplace", "buffered"]  # adam: the buffered engine


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"optimizer": "adam"}, "is exact only for gd, momentum and nesterov, not adam"),
        ({"batch_size": 4}, "needs full-batch training"),
        ({"bias": True}, "needs a network without biases"),
        ({"activation": "tanh"}, "needs the ReLU activation"),
        ({"early_stopping": True}, "cannot keep early stopping's best weights"),
    ],
)
def test_unsupported_configurations_are_refused(changes: dict[str, Any], message: str) -> None:
    x, y, _ = seed_draws(0, SeedProblem(8, 20, 4, 2))
    with pytest.raises(ConfigError, match=f"the dual solver {message}"):
        train(x, y, TrainConfig(iterations=12, hidden=4, solver="dual", **changes))


def test_unsupported_data_is_refused() -> None:
    x, y, params = seed_draws(0, SeedProblem(8, 20, 4, 2))
    config = TrainConfig(iterations=2, hidden=4, solver="dual")
    with pytest.raises(ConfigError, match="the dual solver cannot hold out validation data"):
        train(x, y, config, params, validation=(x, y))
    with pytest.raises(ConfigError, match="the dual solver needs NumPy arrays"):
        train(x, y, config.replace(dtype="float32"), params)  # float64 weights, float32 data
    with pytest.raises(ConfigError, match="unknown solver 'kernel'"):
        TrainConfig(solver="kernel")


def test_divergence_is_caught_at_the_same_iteration() -> None:
    x, y, params = seed_draws(0, SeedProblem(16, 30, 8, 2))
    config = TrainConfig(iterations=50, lr=0.05, hidden=8)
    with pytest.raises(DivergenceError) as direct:
        train(x, y, config, params)
    with pytest.raises(DivergenceError) as ours:
        train(x, y, config.replace(solver="dual"), params)
    assert ours.value.iteration == direct.value.iteration


def test_kernel_and_steady_state_memory() -> None:
    x, y, params = seed_draws(0)
    solver = dual.DualSolver(x, y, params)
    assert solver.kernel.shape == (64, 64)
    np.testing.assert_allclose(solver.kernel, x @ x.T)
    for _ in range(3):
        solver.loss_and_grad_h()
        solver.update(1e-6)
    ws = inplace.Workspace(x, y, params)
    for _ in range(3):
        ws.forward_backward()
        ws.update(1e-6)
    np.testing.assert_allclose(solver.h, x @ ws.params.w1, rtol=1e-12, atol=1e-10)
