"""Time this machine's solvers against the seed's loop: the library behind ``twolayer bench``.

:func:`time_workload` gives every :class:`Implementation` the same starting arrays of a
:class:`~twolayer.timing.workloads.Workload`, warms each up, then runs them alternately for several
rounds, in reversed order every other round to spread slow drifts; a :class:`Row` keeps every
time and the losses of the last run.  :data:`SOLVERS` are the seed's loop (the reference) and
twolayer's direct and dual solvers in float64 and float32.  The repository's ``benchmarks/``
adds peer libraries, memory, checks and the recorded tables (``docs/performance.md``).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from twolayer.timing.workloads import Problem, Workload

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


def _seed_loop(problem: Problem, dtype: str) -> Runner:
    """The seed notebook's loop as written, collecting the losses instead of printing them."""
    from twolayer.timing.seed_loop import seed_loop

    def run(iterations: int) -> list[float]:
        w1, w2 = problem.params.w1.copy(), problem.params.w2.copy()
        return seed_loop(problem.x, problem.y, w1, w2, problem.workload.lr, iterations)

    return run


def _twolayer(solver: str) -> Callable[[Problem, str], Runner | str]:
    def prepare(problem: Problem, dtype: str) -> Runner | str:
        from twolayer.config import TrainConfig
        from twolayer.train import train

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
"""The reference first, then twolayer's solvers: the rows ``twolayer bench`` times."""


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
