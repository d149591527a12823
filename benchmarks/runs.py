"""Time this machine's solvers against the seed's loop, and write the tables of the times.

:func:`time_workload` gives every :class:`Implementation` the same starting arrays of a
:class:`~workloads.Workload`, warms each up, then runs them alternately for several rounds, in
reversed order every other round to spread slow drifts; a :class:`Row` keeps every time and the
losses of the last run.  :data:`SOLVERS` are the seed's loop (the reference: the function of
``examples/classic.py``, not a copy of it) and twolayer's direct and dual solvers in float64
and float32: what ``bench.py`` times.  :mod:`peers` adds peer libraries, :mod:`harness` memory
and checks, :mod:`report` the recorded tables (``docs/performance.md``).

:func:`table` writes a workload's heading and one row per implementation, with the time
relative to the seed's loop, the rate and how the losses compare with the seed loop's
(:func:`losses_note`: "bit-identical" is the check that the direct solver makes the seed's
steps exactly); :mod:`report` passes extra columns.  :func:`to_json` keeps every timing.
"""

from __future__ import annotations

import math
import runpy
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from twolayer import TrainConfig, train
from workloads import Problem, Workload

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "classic.py"
"""The seed's loop in our own words, whose ``seed_loop`` function is the reference row."""

Runner = Callable[[int], list[float]]
"""Runs an implementation for the given number of iterations; returns its losses."""


@dataclass(frozen=True)
class Implementation:
    """One row of a table: a way to run the workload in one dtype."""

    name: str
    dtype: str
    prepare: Callable[[Problem, str], Runner | str]
    """Returns a runner, or a note saying why the row is skipped."""
    library: str = "numpy"  # the array library it allocates with (how its memory is read)
    note: str = ""
    comparable: bool = True  # False: starts from its own weights, so its losses differ anyway


@cache
def example_seed_loop() -> Callable[..., list[float]]:
    """``seed_loop`` of ``examples/classic.py``, loaded from its file (the example is no package
    to import, and running it by path keeps ``sys.path`` as it is)."""
    loop: Callable[..., list[float]] = runpy.run_path(str(EXAMPLE))["seed_loop"]
    return loop


def _seed_loop(problem: Problem, dtype: str) -> Runner:
    """The seed notebook's loop as written, collecting the losses instead of printing them."""
    seed_loop = example_seed_loop()

    def run(iterations: int) -> list[float]:
        w1, w2 = problem.params.w1.copy(), problem.params.w2.copy()
        return seed_loop(problem.x, problem.y, w1, w2, problem.workload.lr, iterations, None)

    return run


def _twolayer(solver: str) -> Callable[[Problem, str], Runner | str]:
    def prepare(problem: Problem, dtype: str) -> Runner | str:
        w = problem.workload
        if solver == "dual" and w.n >= w.d_in:
            return "n/a: the dual solver is cheaper only when N < D_in"
        x, y = problem.x.astype(dtype), problem.y.astype(dtype)
        params = problem.params.map(lambda p: p.astype(dtype))

        def run(iterations: int) -> list[float]:
            config = TrainConfig(
                iterations=iterations,
                lr=w.lr,
                hidden=w.hidden,
                dtype=dtype,
                divergence_factor=math.inf,
                track="loss",
                solver=solver,
            )
            return [r.loss for r in train(x, y, config, params).history]

        return run

    return prepare


SOLVERS = [
    Implementation("seed's loop (NumPy)", "float64", _seed_loop, note="the reference"),
    *(
        Implementation(f"twolayer {solver}", dtype, _twolayer(solver))
        for solver in ("direct", "dual")
        for dtype in ("float64", "float32")
    ),
]
"""The reference first, then twolayer's solvers: the rows ``bench.py`` times."""


@dataclass
class Row:
    """The measurements of one implementation on one workload."""

    name: str
    dtype: str
    note: str
    times: list[float] = field(default_factory=list)  # seconds per timed run
    losses: list[float] = field(default_factory=list)
    memory: float | None = None  # peak bytes above the level before one run, where measured
    skipped: str = ""  # why the row has no figures
    comparable: bool = True  # see Implementation

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass
class WorkloadResult:
    workload: Workload
    iterations: int
    rows: list[Row]

    def row(self, name: str, dtype: str) -> Row | None:
        return next((r for r in self.rows if (r.name, r.dtype) == (name, dtype)), None)

    @property
    def reference(self) -> Row:
        row = self.rows[0]
        assert row.name.startswith("seed's loop")
        return row


Memory = Callable[[Implementation, Callable[[], object]], float | None]
"""Measures the peak memory of one call of its second argument, a short run of the first."""


SETTLE_S = 0.2
"""Seconds the benchmarks let pass before each timed run (see :func:`time_workload`)."""


def time_workload(
    problem: Problem,
    iterations: int,
    rounds: int,
    implementations: Sequence[Implementation] = SOLVERS,
    *,
    each_round: Callable[[], object] = lambda: None,
    memory: Memory | None = None,
    log: Callable[[str], object] = lambda line: None,
    settle: float = 0.0,
) -> WorkloadResult:
    """Warm every implementation up, then time them alternately for ``rounds`` rounds.

    ``each_round`` runs before every round (the benchmarks measure the matrix-multiply peak
    there); ``memory``, when given, measures each row once more on at most 2 iterations.
    ``settle`` seconds pass before every timed run (:data:`SETTLE_S` in the benchmarks), so that
    no thread pool left busy by the previous run (OpenBLAS's threads spin for a while after a
    product before they sleep) shares the cores with the next one.
    """
    rows, runners = [], []
    for impl in implementations:
        row = Row(impl.name, impl.dtype, impl.note, comparable=impl.comparable)
        rows.append(row)
        prepared = impl.prepare(problem, impl.dtype)
        if isinstance(prepared, str):
            row.skipped = prepared
            continue
        log(f"  warm-up: {impl.name} {impl.dtype}")
        prepared(1)
        runners.append((impl, row, prepared))
    for r in range(rounds):
        each_round()
        order = runners if r % 2 == 0 else runners[::-1]
        for _, row, runner in order:
            time.sleep(settle)
            start = time.perf_counter()
            losses = runner(iterations)
            row.times.append(time.perf_counter() - start)
            row.losses = losses
        log(f"  round {r + 1}/{rounds} done")
    if memory is not None:
        for impl, row, runner in runners:
            row.memory = memory(impl, _bound(runner, min(iterations, 2)))
    return WorkloadResult(problem.workload, iterations, rows)


def _bound(runner: Runner, iterations: int) -> Callable[[], object]:
    return lambda: runner(iterations)


# --- the tables -----------------------------------------------------------------------------


def losses_note(row: Row, reference: Row) -> str:
    """How ``row``'s losses compare with the seed loop's: "bit-identical" or the largest
    relative difference."""
    if row is reference:
        return "reference"
    if not row.losses or not row.comparable:
        return "not comparable (own init, biases)" if row.losses else "—"
    if row.dtype == "float64" and row.losses == reference.losses:
        return "bit-identical"
    pairs = zip(row.losses, reference.losses, strict=False)
    worst = max((abs(a - b) / abs(b) for a, b in pairs if b), default=math.nan)
    return f"max rel. diff {worst:.1e}"


def gflops(result: WorkloadResult, row: Row) -> float:
    """The row's rate, counting the direct algorithm's ``4 N D_in H + 6 N H D_out`` operations
    per iteration (an effective rate for the dual solver, which does far fewer)."""
    return result.workload.flops * result.iterations / row.median / 1e9


Column = tuple[str, Callable[[WorkloadResult, Row], str]]
"""A table column: its header and the cell of a timed row."""

COLUMNS: list[Column] = [
    ("implementation", lambda w, r: r.name),
    ("dtype", lambda w, r: r.dtype),
    ("median s", lambda w, r: f"{r.median:.4g}"),
    ("min–max s", lambda w, r: f"{min(r.times):.4g}–{max(r.times):.4g}"),
    ("× seed's loop", lambda w, r: f"{r.median / w.reference.median:.3f}"),
    ("GFLOP/s", lambda w, r: f"{gflops(w, r):.1f}"),
    ("losses vs the seed's loop", lambda w, r: losses_note(r, w.reference)),
    ("note", lambda w, r: r.note),
]


def table(result: WorkloadResult, extra: Sequence[Column] = ()) -> str:
    """The workload's heading and one markdown row per implementation; ``extra`` columns go
    after GFLOP/s."""
    w = result.workload
    columns = [*COLUMNS[:6], *extra, *COLUMNS[6:]]
    lines = [
        f"### {w.name}: {w.describe()}; {result.iterations} iterations timed "
        f"({w.flops / 1e6:,.1f} MFLOP per iteration)",
        "",
        "| " + " | ".join(header for header, _ in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in result.rows:
        if row.times:
            cells = [cell(result, row) for _, cell in columns]
        else:
            cells = [row.name, row.dtype, *["—"] * (len(columns) - 3), row.skipped]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_json(result: WorkloadResult) -> dict[str, Any]:
    """The workload's raw figures as JSON-ready data (every timing, not only medians)."""
    return {
        "workload": vars(result.workload),
        "iterations": result.iterations,
        "rows": [
            {
                "name": r.name,
                "dtype": r.dtype,
                "times": r.times,
                "memory": r.memory,
                "skipped": r.skipped,
                "losses_vs_seed": losses_note(r, result.reference),
            }
            for r in result.rows
        ],
    }
