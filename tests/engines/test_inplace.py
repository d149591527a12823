"""The in-place engine: bit for bit the seed's loop, and no allocation per iteration."""

from __future__ import annotations

import io
import os
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import twolayer
from reference import seed_loop as plain_seed_loop
from twolayer.cli import main
from twolayer.config import TrainConfig
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.engines import buffered, inplace, layout
from twolayer.engines.buffered import BufferedEngine
from twolayer.engines.choice import Facts, unmet
from twolayer.errors import DivergenceError
from twolayer.nn.model import Params, init_params
from twolayer.nn.optim import make_optimizer
from twolayer.outputs.callbacks import PrintLosses
from twolayer.state import Callback, Record, TrainResult, TrainState
from twolayer.train import train

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


SIZES = [
    (0, 64, 1000, 100, 10, 1e-6, 500),  # the seed's problem
    (1, 64, 1000, 100, 10, 1e-6, 150),
    (42, 64, 1000, 100, 10, 1e-6, 60),
    (3, 8, 30, 5, 2, 1e-4, 60),
    (7, 33, 17, 64, 1, 1e-4, 60),
    (2024, 200, 40, 80, 3, 1e-5, 40),
]


@pytest.mark.parametrize(("seed", "n", "d_in", "hidden", "d_out", "lr", "iterations"), SIZES)
def test_printed_lines_and_weights_are_the_seeds_bit_for_bit(
    seed: int, n: int, d_in: int, hidden: int, d_out: int, lr: float, iterations: int,
) -> None:  # fmt: skip
    expected, w1, w2 = plain_seed_loop(seed, n, d_in, hidden, d_out, lr, iterations)
    problem = SeedProblem(n, d_in, hidden, d_out, lr, iterations)
    x, y, params = seed_draws(seed, problem)
    out = io.StringIO()
    result = train(x, y, problem.config(track="loss", solver="direct"), params,
                   callbacks=[PrintLosses(out)])  # fmt: skip
    assert result.engine == "inplace"
    assert out.getvalue().splitlines() == expected
    assert np.array_equal(result.params.w1, w1)
    assert np.array_equal(result.params.w2, w2)


def test_twolayer_seed_prints_the_seeds_lines(capsys: pytest.CaptureFixture[str]) -> None:
    expected, _, _ = plain_seed_loop(5, 64, 1000, 100, 10, 1e-6, 500)
    assert main(["seed", "--seed", "5"]) == 0
    assert capsys.readouterr().out.splitlines() == expected
    x, y, params = seed_draws(5)  # the run of `twolayer seed`, one iteration of it
    config = SeedProblem(iterations=1).config(track="loss", solver="direct")
    assert train(x, y, config, params).engine == "inplace"


def test_the_callers_weights_are_not_modified() -> None:
    x, y, params = seed_draws(0)
    before = params.map(np.copy)
    result = train(x, y, SeedProblem(iterations=5).config(track="loss"), params)
    assert np.array_equal(params.w1, before.w1) and np.array_equal(params.w2, before.w2)
    assert not np.array_equal(result.params.w1, before.w1)


def _same_params(a: Params, b: Params) -> bool:
    return all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))


def test_callbacks_see_the_current_weights_and_may_stop() -> None:
    x, y, params = seed_draws(2, SeedProblem(16, 12, 6, 2))
    config = TrainConfig(iterations=10, lr=1e-4, hidden=6, optimizer="momentum")
    seen: list[Params] = []

    class Keep(Callback):
        def on_iteration_end(self, record: Record, state: TrainState) -> bool:
            seen.append(state.params.map(np.copy))  # the engine updates in place: copy
            return record.iteration == 3

    stopped = train(x, y, config, params, callbacks=[Keep()])
    assert stopped.stop_reason == "callback" and len(seen) == 4
    for i, kept in enumerate(seen):
        expected = train(x, y, config.replace(iterations=i + 1), params).params
        assert _same_params(kept, expected)


def test_resuming_from_state_equals_an_uninterrupted_run() -> None:
    x, y, params = seed_draws(4, SeedProblem(16, 12, 6, 2))
    config = TrainConfig(iterations=12, lr=1e-4, hidden=6, optimizer="nesterov")
    whole = train(x, y, config, params)

    class StopAt(Callback):
        def on_iteration_end(self, record: Record, state: TrainState) -> bool:
            return record.iteration == 4

    first = train(x, y, config, params, callbacks=[StopAt()])
    rest = train(x, y, config, state=first.state)
    assert [r.loss for r in first.history + rest.history] == [r.loss for r in whole.history]
    assert _same_params(rest.params, whole.params)


def test_divergence_guard_stops_before_the_bad_update(
    portable: Callable[..., TrainResult],
) -> None:
    x, y, params = seed_draws(0, SeedProblem(16, 30, 8, 2))
    config = TrainConfig(iterations=50, lr=0.05, hidden=8)
    with pytest.raises(DivergenceError) as ours:
        train(x, y, config, params)
    with pytest.raises(DivergenceError) as reference:
        portable(x, y, config, params)
    assert (ours.value.iteration, ours.value.loss) == (reference.value.iteration,
                                                        reference.value.loss)  # fmt: skip


VALIDATING = [
    {"validation_fraction": 0.25},
    {"validation_fraction": 0.25, "early_stopping": True, "patience": 3},
    {"early_stopping": True, "patience": 3, "tol": 0.5},  # on the training loss
    {"validation_fraction": 0.25, "scores": True, "schedule": "plateau"},
]


@pytest.mark.parametrize("changes", VALIDATING)
@pytest.mark.parametrize("optimizer", ["gd", "nesterov"])
@pytest.mark.parametrize("blocks", [False, True])
def test_validation_and_early_stopping_run_in_place_as_the_portable_loop_runs(
    changes: dict[str, Any], optimizer: str, blocks: bool,
    portable: Callable[..., TrainResult], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    if blocks:  # small activations, blocked (and in lanes) all the same
        monkeypatch.setattr(inplace, "CACHE_BYTES", 1024)
        monkeypatch.setattr(inplace, "BLOCK_BYTES", 4096)
        monkeypatch.setattr(inplace, "MIN_BLOCK_ROWS", 8)
    x, y, params = seed_draws(6, SeedProblem(300, 20, 16, 3))
    config = TrainConfig(iterations=40, lr=0.02, hidden=16, loss="mse", optimizer=optimizer,
                         **changes)  # fmt: skip
    ours = train(x, y, config, params)
    assert ours.engine == "inplace"
    reference = portable(x, y, config, params)
    assert ours.stop_reason == reference.stop_reason
    assert len(ours.history) == len(reference.history) >= 4
    for a, b in zip(ours.history, reference.history, strict=True):
        assert a.loss == pytest.approx(b.loss, rel=1e-12)
        for field in ("val_loss", "score", "val_score"):  # optional: both absent, or both close
            mine, theirs = getattr(a, field), getattr(b, field)
            assert (mine is None) == (theirs is None), field
            if theirs is not None:
                assert mine == pytest.approx(theirs, rel=1e-12), field
        assert a.lr == b.lr
    for p, q in zip(ours.params, reference.params, strict=True):  # early stopping's best too
        np.testing.assert_allclose(p, q, rtol=1e-11, atol=1e-13)


def test_early_stopping_keeps_the_best_weights_not_the_live_ones() -> None:
    x, y, _ = seed_draws(6, SeedProblem(100, 30, 50, 3))
    config = TrainConfig(iterations=3000, lr=0.05, hidden=50, loss="mse", init="he",
                         validation_fraction=0.25, early_stopping=True, patience=5, tol=0.0)  # fmt: skip
    result = train(x, y, config)
    assert result.engine == "inplace" and result.stop_reason == "early_stopping"
    losses = [r.val_loss for r in result.history]
    best = losses.index(min(losses))
    assert 10 < best < len(losses) - 1  # it trained, then overfitted
    again = train(x, y, config.replace(iterations=best, early_stopping=False))
    assert _same_params(result.params, again.params)  # the weights the best loss belonged to


def test_the_dual_solver_is_not_chosen_for_validation() -> None:
    x, y, params = seed_draws(0)  # N < D_in: "auto" would take the dual solver
    config = TrainConfig(iterations=3, lr=1e-6, hidden=100, solver="auto")
    engines = [train(x, y, config, params).engine,
               train(x, y, config.replace(validation_fraction=0.25), params).engine,
               train(x, y, config.replace(early_stopping=True), params).engine]  # fmt: skip
    assert engines == ["dual", "inplace", "inplace"]


def test_a_run_in_lanes_holds_blas_to_one_thread_between_epochs() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x, y, params = seed_draws(1, SeedProblem(6000, 10, 100, 2, 1e-7, 3))  # fused blocks
    seen: list[int] = []

    class Threads(Callback):
        def on_iteration_end(self, record: Record, state: TrainState) -> bool:
            seen.extend(p["num_threads"] for p in threadpoolctl.threadpool_info()
                        if p["user_api"] == "blas")  # fmt: skip
            return False

    before = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    config = TrainConfig(iterations=3, lr=1e-7, hidden=100, validation_fraction=0.1)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(inplace, "lane_count", lambda blocks: 2)
        train(x, y, config, params, callbacks=[Threads()])
    assert seen and set(seen) == {1}
    after = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert after == before  # restored when the run ends


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"optimizer": "adam"}, "supports the optimizers gd, momentum, nesterov"),
        ({"activation": "tanh"}, "needs the ReLU activation"),
        ({"loss": "cross_entropy"}, "supports the losses sse, mse, half_mse"),
        ({"bias": True}, "needs a network without biases"),
        ({"alpha": 0.1}, "has no L2 penalty (alpha)"),
    ],
)
def test_other_runs_take_the_buffered_engine(changes: dict[str, Any], why: str) -> None:
    config = TrainConfig(iterations=3, lr=1e-4, hidden=6, init="he", **changes)
    assert unmet("inplace", Facts(config)) == why
    x, y, _ = seed_draws(0, SeedProblem(20, 5, 6, 2))
    assert train(x, y, config).engine == "buffered"


def test_minibatches_and_mixed_dtypes_take_other_engines() -> None:
    x, y, params = seed_draws(0, SeedProblem(20, 5, 6, 2))
    engines = [
        train(x, y, TrainConfig(iterations=2, lr=1e-4, hidden=6, **changes), params).engine
        for changes in ({"batch_size": 7}, {"dtype": "float32"}, {"batch_size": 20})
    ]
    assert engines == ["buffered", "portable", "inplace"]  # float32 data, float64 weights


def test_blocks_cover_every_sample_once() -> None:
    assert inplace.block_rows(64, 100, 8) is None  # the seed's 51 KiB of activations: one block
    rows = inplace.block_rows(200_000, 100, 8)
    assert rows is not None and rows % 8 == 0 and rows >= inplace.MIN_BLOCK_ROWS
    x, y, params = seed_draws(0, SeedProblem(37, 4, 3, 2))
    ws = inplace.Workspace(x, y, params, blocks=8)
    parts = ws.parts()  # every lane's blocks
    assert ws.hidden.blocked and len(parts) == 5
    assert [(p.start, p.stop) for p in parts] == [(0, 8), (8, 16), (16, 24), (24, 32), (32, 37)]


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov"])
@pytest.mark.parametrize("fuse", [True, False])
def test_blocked_loop_matches_the_seeds_loop_to_rounding(optimizer: str, fuse: bool) -> None:
    x, y, params = seed_draws(8, SeedProblem(300, 20, 40, 3))
    lr = 1e-5
    whole = inplace.Workspace(x, y, params, optimizer=optimizer, blocks=0, alive=True)
    blocked = inplace.Workspace(x, y, params, optimizer=optimizer, blocks=64, fuse=fuse, alive=True)
    assert blocked.hidden.blocked and not whole.hidden.blocked
    lanes = [blocked.x_blocks, *(xs for _, xs, _, _ in blocked.lanes)]
    assert blocked.hidden.fused == fuse
    assert sum(b is not None for xs in lanes for b in xs) == (5 if fuse else 0)
    for _ in range(100):
        a, b = whole.forward_backward(), blocked.forward_backward()
        assert b == pytest.approx(a, rel=1e-13)
        assert np.array_equal(blocked.alive(), whole.alive())
        whole.update(lr)
        blocked.update(lr)
    assert a < 0.1 * _first_loss(x, y, params)  # it trained
    for p, q in zip(whole.params, blocked.params, strict=True):
        np.testing.assert_allclose(q, p, rtol=1e-12, atol=1e-12 * np.abs(p).max())


def test_the_layout_is_row_major_for_the_seed_and_column_major_w1_with_blocks() -> None:
    x, y, params = seed_draws(0)
    seed = inplace.Workspace(x, y, params)
    assert seed.layout == layout.ROW_MAJOR and seed.params.w1.flags.c_contiguous
    x, y, params = seed_draws(1, SeedProblem(300, 20, 40, 3))
    fused64 = inplace.Workspace(x, y, params, blocks=64, fuse=True, optimizer="momentum")
    assert fused64.layout == layout.Layout("F", "F")
    arrays = [fused64.params.w1, fused64.grads.w1, fused64.scratch.w1, fused64.velocity.w1]
    assert all(a.flags.f_contiguous and not a.flags.c_contiguous for a in arrays)
    assert all(buf.h.flags.f_contiguous and buf.keep.flags.f_contiguous
               for buf, _, _ in fused64.hidden.blocks)  # fmt: skip
    unfused = inplace.Workspace(x, y, params, blocks=64, fuse=False)
    assert unfused.layout == layout.Layout("F", "C")  # its blocks are rows of one array
    x32, y32, p32 = x.astype(np.float32), y.astype(np.float32), params.map(np.float32)
    assert inplace.Workspace(x32, y32, p32, blocks=64, fuse=True).layout == layout.Layout("F", "C")
    with pytest.raises(ValueError, match="need fused blocks"):
        inplace.HiddenPass(y, 40, "sse", 64, order="F")


def test_first_rows_are_contiguous_views_of_the_buffer() -> None:
    for order in "CF":
        buf = np.empty((8, 3), order=order)
        view = layout.first_rows(buf, 5)
        assert view.shape == (5, 3) and np.shares_memory(view, buf)
        assert view.flags.c_contiguous if order == "C" else view.flags.f_contiguous
        view[...] = np.arange(15.0).reshape(5, 3)
        assert np.array_equal(layout.first_rows(buf, 5), np.arange(15.0).reshape(5, 3))


@pytest.mark.parametrize("order", ["C", "F"])
def test_copy_in_order_copies_every_band(order: layout.Order) -> None:
    a = np.arange(130.0 * 7).reshape(130, 7)  # two full bands of 64 rows and a short one
    for source in (a, np.asfortranarray(a)):
        copy = layout.copy_in_order(source, order)
        assert np.array_equal(copy, a) and not np.shares_memory(copy, source)
        assert layout.order_of(copy) == order


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["gd", "nesterov"])
@pytest.mark.parametrize("fuse", [True, False])
def test_every_layout_gives_the_same_run(dtype: str, optimizer: str, fuse: bool) -> None:
    x, y, params = seed_draws(3, SeedProblem(301, 20, 40, 3))  # a short last block too
    x, y, params = x.astype(dtype), y.astype(dtype), params.map(lambda p: p.astype(dtype))
    given = Params(np.asfortranarray(params.w1), params.w2.copy())
    before = given.map(np.copy)
    layouts = [layout.Layout(w, h) for w in "CF" for h in ("CF" if fuse else "C")]
    runs = [inplace.Workspace(x, y, given, optimizer=optimizer, blocks=64, fuse=fuse, layout=lay,
                              velocity=params.map(np.zeros_like))
            for lay in layouts]  # fmt: skip
    rel = 1e-13 if dtype == "float64" else 1e-5
    for _ in range(20):
        losses = [ws.forward_backward() for ws in runs]
        assert losses == pytest.approx([losses[0]] * len(runs), rel=rel)
        for ws in runs:
            ws.update(1e-5)
    for ws in runs[1:]:
        for p, q in zip(runs[0].params, ws.params, strict=True):
            np.testing.assert_allclose(q, p, rtol=100 * rel, atol=100 * rel * np.abs(p).max())
    for p, q in zip(before, given, strict=True):
        assert np.array_equal(p, q)  # the caller's arrays, column-major or not, stay as given


def _first_loss(x: np.ndarray, y: np.ndarray, params: Params) -> float:
    return float(np.square(np.maximum(x @ params.w1, 0) @ params.w2 - y).sum())


@pytest.mark.parametrize(
    "problem",
    [
        SeedProblem(6000, 10, 100, 2, 1e-7, 5),  # activations 4.8 MB, w1 8 KB: fused blocks
        SeedProblem(1200, 200, 700, 2, 1e-8, 3),  # activations 6.7 MB, w1 1.1 MB: x@w1 whole
    ],
)
def test_train_blocks_large_activations_and_matches_the_portable_loop(
    problem: SeedProblem, portable: Callable[..., TrainResult]
) -> None:
    x, y, params = seed_draws(1, problem)
    hidden = inplace.Workspace(x, y, params).hidden
    assert hidden.blocked and len(hidden.blocks) >= 2
    assert hidden.fused == (problem.d_in * problem.hidden * 8 <= inplace.FUSE_BYTES)
    ours = train(x, y, problem.config(), params)
    reference = portable(x, y, problem.config(), params)
    assert ours.engine == "inplace"
    for a, b in zip(ours.history, reference.history, strict=True):
        assert a.loss == pytest.approx(b.loss, rel=1e-13)
        assert a.grad_norms == pytest.approx(b.grad_norms, rel=1e-12)
        assert a.dead_fraction == b.dead_fraction
    np.testing.assert_allclose(ours.params.w1, reference.params.w1, rtol=1e-12, atol=1e-12)


def _traced_bytes(step: Callable[[], None], iterations: int = 100) -> tuple[int, int]:
    """(net bytes still allocated by the engine's own lines, largest transient rise) over
    ``iterations`` calls.

    The net count keeps only what was allocated from the package's own source files (found from
    the imported module, so a checkout folder named ``twolayer`` does not pull the tests in):
    threads left running by other tests (a Dask cluster's event loop, say) allocate at any
    moment too.
    """
    for _ in range(3):  # warm-up
        step()
    package = os.path.dirname(os.path.abspath(twolayer.__file__))
    ours = [tracemalloc.Filter(True, os.path.join(package, "*"))]
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot().filter_traces(ours)
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(iterations):
            step()
        _, peak = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot().filter_traces(ours)
    finally:
        tracemalloc.stop()
    net = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return net, peak - start


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov"])
@pytest.mark.parametrize(("blocks", "fuse"), [(0, False), (32, False), (32, True)])
def test_steady_state_iterations_allocate_nothing(
    optimizer: str, blocks: int, fuse: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inplace, "lane_count", lambda blocks: 1)  # lanes: the test below
    x, y, params = seed_draws(0, SeedProblem(64, 1000, 100, 10))
    ws = inplace.Workspace(x, y, params, optimizer=optimizer, blocks=blocks, fuse=fuse, alive=True)
    smallest = min(a.nbytes for a in _arrays(ws) if a.ndim)

    def step() -> None:
        ws.forward_backward()
        ws.update(1e-6)
        ws.hidden.active[...] = False  # what alive() resets, without its copy

    net, transient = _traced_bytes(step)
    assert net == 0
    # NumPy's per-call bookkeeping (iterator objects, freed within the call) is traced too;
    # anything the size of one of the loop's arrays would show here.
    assert transient < 2048 < smallest


def test_lanes_allocate_no_array(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inplace, "lane_count", lambda blocks: 2)
    x, y, params = seed_draws(0, SeedProblem(2000, 1000, 100, 50))  # arrays above 16 KiB
    ws = inplace.Workspace(x, y, params, blocks=256, fuse=True, alive=True)
    assert len(ws.lanes) == 1
    smallest = min(a.nbytes for a in _arrays(ws) if a.ndim)

    def step() -> None:
        ws.forward_backward()
        ws.update(1e-9)
        ws.hidden.active[...] = False

    net, transient = _traced_bytes(step)
    # the thread pool's bookkeeping (futures, its queue) is all that comes and goes
    assert net == 0 and transient < smallest


def _arrays(ws: inplace.Workspace) -> list[np.ndarray]:
    found = [*ws.params, *ws.grads, *ws.scratch, ws.hidden.h, ws.hidden.grad_h]
    for buffers, _, _ in ws.hidden.blocks:
        found.extend(a for a in buffers if a.base is None or a.size)
    return found


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov", "adam"])
@pytest.mark.parametrize("shuffle", [True, False])
def test_buffered_steps_allocate_nothing(optimizer: str, shuffle: bool) -> None:
    # The estimators' recipe and more: minibatches gathered (or viewed), a short last batch,
    # biases, softmax cross-entropy, the L2 penalty, sample weights, every statistic tracked.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1060, 40))
    y = np.eye(10)[rng.integers(0, 10, 1060)]
    config = TrainConfig(hidden=50, bias=True, init="he", loss="cross_entropy", alpha=1e-3,
                         optimizer=optimizer, lr=1e-3, batch_size=200, shuffle=shuffle)  # fmt: skip
    params = init_params(rng, 40, 50, 10, init="he", bias=True)
    state = TrainState(params, make_optimizer(optimizer).init(params))
    engine = BufferedEngine(config, x, y, state, rng.random(1060))
    assert len(engine.bounds) == 6 and engine.last is not engine.full
    engine.epoch(1e-3, lambda loss: None)  # warm-up
    smallest = min(b.hidden.h.nbytes for b in (engine.full, engine.last))  # (60, 50) and up
    batch = iter(range(10**9))

    def step() -> None:  # one batch after the other, the short last one among them
        i = next(batch) % len(engine.bounds)
        engine.run_batch(i, i, 1e-3, lambda loss: None)

    with engine.running():
        net, transient = _traced_bytes(step, iterations=60)
    assert net == 0
    # NumPy copies a broadcast operand (the biases, a row's maximum, the weights) into a
    # buffer it allocates at each such call: the engine holds it to UFUNC_BUFFER elements.
    assert transient < buffered.UFUNC_BUFFER * 8 + 2048 < smallest
