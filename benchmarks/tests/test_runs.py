"""The seed's loop (examples/classic.py's), the timing of twolayer's solvers against it and their
tables, at tiny sizes: structure and the bit-for-bit check, not timings."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import numpy as np
import pytest

from harness import seed_script
from reference import seed_loop as plain_seed_loop
from runs import (
    EXAMPLE,
    SOLVERS,
    Implementation,
    Runner,
    WorkloadResult,
    example_seed_loop,
    losses_note,
    table,
    time_workload,
    to_json,
)
from twolayer import seed_draws
from workloads import Problem, Workload, make_problem

TINY = Workload("tiny", 8, 20, 6, 2, 5, 1e-4)


def _perturbed(problem: Problem, dtype: str) -> Runner:
    """The seed's loop with its first loss nudged by one unit in the last place."""
    run = SOLVERS[0].prepare(problem, dtype)
    assert not isinstance(run, str)

    def nudged(iterations: int) -> list[float]:
        losses = run(iterations)
        return [float(np.nextafter(losses[0], np.inf)), *losses[1:]]

    return nudged


def _missing(problem: Problem, dtype: str) -> str:
    return "skipped: FakeLib is not installed"


EXTRA = [
    Implementation("nudged loop", "float64", _perturbed),
    Implementation("FakeLib", "float64", _missing),
    Implementation("own start", "float64", _perturbed, comparable=False),
]


@pytest.fixture(scope="module")
def result() -> WorkloadResult:
    rounds: list[int] = []
    found = time_workload(
        make_problem(TINY), 5, 2, [*SOLVERS, *EXTRA], each_round=lambda: rounds.append(1)
    )
    assert rounds == [1, 1]  # the hook runs before each round
    return found


def test_every_row_is_timed_in_every_round(result: WorkloadResult) -> None:
    assert result.iterations == 5 and result.workload is TINY
    names = [(r.name, r.dtype) for r in result.rows]
    assert names == [(i.name, i.dtype) for i in [*SOLVERS, *EXTRA]]
    skipped = result.row("FakeLib", "float64")
    assert skipped is not None and skipped.times == []
    assert skipped.skipped == "skipped: FakeLib is not installed"
    for row in result.rows:
        if row is not skipped:
            assert len(row.times) == 2 and all(t > 0 for t in row.times), row.name
            assert len(row.losses) == 5 and row.memory is None  # no memory function given


def test_memory_is_measured_once_per_timed_row() -> None:
    calls: list[str] = []

    def memory(impl: Implementation, run: object) -> float:
        calls.append(impl.name)
        assert callable(run)
        run()
        return 123.0

    found = time_workload(make_problem(TINY), 3, 1, [SOLVERS[0], EXTRA[1]], memory=memory)
    assert calls == ["seed's loop (NumPy)"]
    assert [r.memory for r in found.rows] == [123.0, None]


def test_every_timed_run_starts_after_the_settling_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr("runs.time.sleep", pauses.append)
    time_workload(make_problem(TINY), 2, 3, [SOLVERS[0], SOLVERS[1], EXTRA[1]], settle=0.25)
    assert pauses == [0.25] * (3 * 2)  # every round, each timed row (the skipped one is not)
    pauses.clear()
    time_workload(make_problem(TINY), 2, 1, [SOLVERS[0]])
    assert pauses == [0.0]  # the default: no pause


def test_bit_identity_is_flagged_exactly(result: WorkloadResult) -> None:
    notes = {(r.name, r.dtype): losses_note(r, result.reference) for r in result.rows}
    assert notes[("seed's loop (NumPy)", "float64")] == "reference"
    assert notes[("twolayer direct", "float64")] == "bit-identical"
    assert notes[("nudged loop", "float64")].startswith("max rel. diff ")
    assert notes[("twolayer dual", "float64")].startswith("max rel. diff ")
    assert notes[("FakeLib", "float64")] == "—"
    assert notes[("own start", "float64")] == "not comparable (own init, biases)"


def test_tables_have_one_row_per_implementation(result: WorkloadResult) -> None:
    extra = [("extra", lambda w, r: "X")]
    for columns in ([], extra):
        lines = table(result, columns).splitlines()
        assert lines[0].startswith("### tiny:") and "5 iterations timed" in lines[0]
        assert lines[1] == "" and lines[2].startswith("| implementation | dtype | median s |")
        rows = lines[2:]
        assert len(rows) == 2 + len(result.rows)
        assert all(line.count("|") == 9 + len(columns) for line in rows)
    text = table(result, extra)
    assert "| GFLOP/s | extra | losses vs the seed's loop | note |" in text
    assert "| twolayer direct | float64 |" in text and "| X | bit-identical |" in text
    assert "| FakeLib | float64 | — |" in text and "skipped: FakeLib is not installed" in text


def test_json_keeps_every_timing(result: WorkloadResult) -> None:
    data = json.loads(json.dumps(to_json(result)))
    assert data["iterations"] == 5 and data["workload"]["name"] == "tiny"
    rows = {(r["name"], r["dtype"]): r for r in data["rows"]}
    assert rows[("twolayer direct", "float64")]["losses_vs_seed"] == "bit-identical"
    assert len(rows[("twolayer dual", "float32")]["times"]) == 2
    assert rows[("FakeLib", "float64")]["skipped"] == "skipped: FakeLib is not installed"


def test_the_dual_solver_is_skipped_where_it_does_not_pay() -> None:
    problem = make_problem(Workload("tall-ish", 30, 10, 4, 2, 2, 1e-4))
    dual = next(i for i in SOLVERS if i.name == "twolayer dual")
    assert dual.prepare(problem, "float64") == "n/a: the dual solver is cheaper only when N < D_in"


def test_seed_loop_is_the_notebooks_loop() -> None:
    """The example's loop, the benchmarks' reference, against the tests' independent one."""
    seed_loop = example_seed_loop()
    x, y, params = seed_draws(3, None)
    printed: list[str] = []

    def report(it: int, loss: object) -> None:
        printed.append(f"{it} {loss}")  # as print(it, loss) writes it

    losses = seed_loop(x, y, params.w1, params.w2, 1e-6, 7, report)
    expected, w1, w2 = plain_seed_loop(3, iterations=7)
    assert printed == expected and [f"{i} {v}" for i, v in enumerate(losses)] == expected
    assert np.array_equal(params.w1, w1) and np.array_equal(params.w2, w2)  # updated in place


def test_seed_script_is_the_seeds_loop() -> None:
    """The whole-process check's script prints what the function returns.  Both run in child
    processes of the same environment, so that they use the same BLAS threads (and so round
    alike)."""
    function = (
        "import runpy\n"
        "from twolayer import seed_draws\n"
        f"seed_loop = runpy.run_path({str(EXAMPLE)!r})['seed_loop']\n"
        "x, y, p = seed_draws(0)\n"
        "for i, loss in enumerate(seed_loop(x, y, p.w1, p.w2, 1e-6, 3, None)): "
        "print(i, repr(loss))\n"
    )
    printed = [
        subprocess.run(command, check=True, capture_output=True, text=True,
                       cwd=EXAMPLE.parent).stdout.splitlines()
        for command in (seed_script(3), [sys.executable, "-c", function])
    ]  # fmt: skip
    assert printed[0] == printed[1] and len(printed[0]) == 3
    tree = ast.parse(EXAMPLE.read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"typing", "numpy", "collections.abc"}  # NumPy only
