"""The peer libraries' rows, at a tiny size: each runs the workload or says why not."""

from __future__ import annotations

import importlib.util

import pytest

from peers import IMPLEMENTATIONS, PEERS, jax_jit, sklearn_mlp, torch_eager
from runs import SOLVERS
from workloads import Workload, make_problem

TINY = Workload("tiny", 8, 20, 6, 2, 5, 1e-4)


def test_rows_are_twolayers_then_each_peer_in_both_dtypes() -> None:
    assert IMPLEMENTATIONS[: len(SOLVERS)] == SOLVERS
    names = [(i.name, i.dtype) for i in PEERS]
    assert names == [
        (name, dtype)
        for name in ("PyTorch eager", "JAX jit", "scikit-learn MLPRegressor")
        for dtype in ("float64", "float32")
    ]
    assert [i.comparable for i in PEERS] == [True] * 4 + [False] * 2


def _seed_losses(iterations: int) -> list[float]:
    run = SOLVERS[0].prepare(make_problem(TINY), "float64")
    assert not isinstance(run, str)
    return run(iterations)


@pytest.mark.parametrize("prepare", [torch_eager, jax_jit], ids=["torch", "jax"])
def test_same_algorithm_peers_follow_the_seeds_loop(prepare: object) -> None:
    library = {torch_eager: "torch", jax_jit: "jax"}[prepare]  # type: ignore[index]
    run = prepare(make_problem(TINY), "float64")  # type: ignore[operator]
    if importlib.util.find_spec(library) is None:
        assert isinstance(run, str) and run.startswith("skipped: ")
        return
    losses = run(5)
    assert losses == pytest.approx(_seed_losses(5), rel=1e-12)


def test_scikit_learn_runs_its_own_start() -> None:
    pytest.importorskip("sklearn")
    run = sklearn_mlp(make_problem(TINY), "float64")
    assert not isinstance(run, str)
    losses = run(3)
    assert len(losses) == 3 and all(loss > 0 for loss in losses)
