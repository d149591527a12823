"""Side-by-side benchmarks: the seed's loop, twolayer's solvers and the libraries a user would
pick instead, on the same work, in one process.

Each :class:`Workload` is a problem drawn as the seed draws it (``seed_draws``) and a number of
full-batch gradient-descent iterations.  Every implementation (:data:`IMPLEMENTATIONS`) gets the
same starting arrays, is warmed up, then all of them run alternately for several rounds; a row
reports the median time, min and max, the ratio to the seed's loop, GFLOP/s (counting the
direct algorithm's ``4 N D_in H + 6 N H D_out`` operations per iteration, so the dual solver's
rate is an effective one), that rate as a share of the matrix-multiply peak measured in the same
rounds, the peak memory of one extra run, and how its losses compare with the seed's loop.

Peers are optional: PyTorch (eager, the same algorithm), scikit-learn (``MLPRegressor`` set up
as close as it gets) and JAX (the whole loop compiled) are skipped with a note when missing.
:func:`markdown` renders the results; :func:`write_section` puts them in ``docs/benchmarks.md``
between markers, leaving the rest of that file alone.  ``docs/performance.md`` explains the
method and the numbers.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.model import Params

Runner = Callable[[int], list[float]]
"""Runs the implementation for the given number of iterations; returns its losses."""

START_MARKER = "<!-- speed:start -->"
END_MARKER = "<!-- speed:end -->"
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Set on some machines for older OpenBLAS builds; they slow a current NumPy (see the docs)."""


@dataclass(frozen=True)
class Workload:
    """A problem of the seed's kind and how many iterations to time."""

    name: str
    n: int  # N, samples
    d_in: int  # D_in
    hidden: int  # H
    d_out: int  # D_out
    iterations: int  # full-batch gradient-descent iterations per timed run
    lr: float  # learning rate for the seed's sum of squared errors

    @property
    def flops(self) -> int:
        """Floating-point operations of one iteration's matrix products."""
        return 4 * self.n * self.d_in * self.hidden + 6 * self.n * self.hidden * self.d_out

    def describe(self) -> str:
        """Sizes and learning rate, for headings."""
        return (
            f"N={self.n:,}, D_in={self.d_in:,}, H={self.hidden:,}, D_out={self.d_out}, "
            f"lr {self.lr:g}"
        )


WORKLOADS = {
    "seed": Workload("seed", 64, 1000, 100, 10, 500, 1e-6),
    "wide": Workload("wide", 8192, 4096, 1024, 128, 20, 5e-11),
    "tall": Workload("tall", 200_000, 100, 100, 10, 20, 5e-10),
}
"""The issue's three workloads, at their full iteration counts."""

DEFAULT_ITERATIONS = {"seed": 500, "wide": 3, "tall": 5}
"""Iterations timed by a default run (a few minutes on 2 cores); ``--full`` uses WORKLOADS'."""

QUICK_ITERATIONS = {"seed": 100, "wide": 1, "tall": 1}


@dataclass
class Problem:
    """The starting arrays every implementation of a workload gets (float64)."""

    workload: Workload
    x: np.ndarray[Any, Any]
    y: np.ndarray[Any, Any]
    params: Params


def make_problem(workload: Workload, seed: int = 0) -> Problem:
    """Draw the workload's data and weights as ``np.random.seed(seed)`` and the seed would."""
    w = workload
    x, y, params = seed_draws(seed, SeedProblem(w.n, w.d_in, w.hidden, w.d_out, w.lr))
    return Problem(w, x, y, params)


@dataclass(frozen=True)
class Implementation:
    """One row of the table: a library's way to run the workload in one dtype."""

    name: str
    dtype: str
    prepare: Callable[[Problem, str], Runner | str]
    """Returns a runner, or a note saying why the row is skipped."""
    library: str = "numpy"  # numpy (also twolayer, scikit-learn), torch or jax: how memory is read
    note: str = ""


# --- the implementations -----------------------------------------------------------------


def _seed_loop(problem: Problem, dtype: str) -> Runner:
    """The seed notebook's loop as written, collecting the losses instead of printing them."""
    x, y, lr = problem.x, problem.y, problem.workload.lr

    def run(iterations: int) -> list[float]:
        w1, w2 = problem.params.w1.copy(), problem.params.w2.copy()
        losses = []
        for _ in range(iterations):
            h = x.dot(w1)
            h_relu = np.maximum(h, 0)
            y_pred = h_relu.dot(w2)
            loss = np.square(y_pred - y).sum()
            losses.append(float(loss))
            grad_y_pred = 2.0 * (y_pred - y)
            grad_w2 = h_relu.T.dot(grad_y_pred)
            grad_h_relu = grad_y_pred.dot(w2.T)
            grad_h = grad_h_relu.copy()
            grad_h[h < 0] = 0
            grad_w1 = x.T.dot(grad_h)
            w1 -= lr * grad_w1
            w2 -= lr * grad_w2
        return losses

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


def _torch(problem: Problem, dtype: str) -> Runner | str:
    if importlib.util.find_spec("torch") is None:
        return "skipped: PyTorch is not installed"
    torch: Any = importlib.import_module("torch")  # optional: typed as Any, checked or not

    torch.set_num_threads(_blas_threads())
    x, y = (torch.from_numpy(a.astype(dtype)) for a in (problem.x, problem.y))
    start = [torch.from_numpy(p.astype(dtype)) for p in (problem.params.w1, problem.params.w2)]
    lr = problem.workload.lr

    def run(iterations: int) -> list[float]:
        w1, w2 = (p.clone() for p in start)
        losses = []
        with torch.no_grad():
            for _ in range(iterations):
                h = x.mm(w1)
                h_relu = h.clamp(min=0)
                y_pred = h_relu.mm(w2)
                loss = (y_pred - y).pow(2).sum()
                losses.append(loss.item())
                grad_y_pred = 2.0 * (y_pred - y)
                grad_w2 = h_relu.t().mm(grad_y_pred)
                grad_h = grad_y_pred.mm(w2.t())
                grad_h[h < 0] = 0
                grad_w1 = x.t().mm(grad_h)
                w1 -= lr * grad_w1
                w2 -= lr * grad_w2
        return losses

    return run


def _sklearn(problem: Problem, dtype: str) -> Runner | str:
    if importlib.util.find_spec("sklearn") is None:
        return "skipped: scikit-learn is not installed"
    MLPRegressor = importlib.import_module("sklearn.neural_network").MLPRegressor

    from twolayer.losses import lr_equivalent_to_sse

    w = problem.workload
    x, y = problem.x.astype(dtype), problem.y.astype(dtype)
    lr = lr_equivalent_to_sse("half_mse", w.lr, w.n, w.d_out)  # its gradient: (y_pred - y) / N

    def run(iterations: int) -> list[float]:
        model = MLPRegressor(
            hidden_layer_sizes=(w.hidden,),
            activation="relu",
            solver="sgd",
            alpha=0.0,
            batch_size=w.n,
            learning_rate="constant",
            learning_rate_init=lr,
            momentum=0.0,
            nesterovs_momentum=False,
            shuffle=False,
            max_iter=iterations,
            tol=0.0,
            n_iter_no_change=iterations + 1,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter is reached on purpose
            model.fit(x, y)
        return [float(v) for v in model.loss_curve_]

    return run


def _jax(problem: Problem, dtype: str) -> Runner | str:
    if importlib.util.find_spec("jax") is None:
        return "skipped: JAX is not installed"
    jax: Any = importlib.import_module("jax")
    jnp: Any = importlib.import_module("jax.numpy")

    jax.config.update("jax_enable_x64", True)  # float64 rows need it; float32 stays float32
    w = problem.workload
    x, y, w1, w2 = (
        jnp.asarray(a.astype(dtype))
        for a in (problem.x, problem.y, problem.params.w1, problem.params.w2)
    )
    length = max(w.iterations, 1)

    def loop(x: Any, y: Any, w1: Any, w2: Any, iterations: Any) -> Any:
        def body(i: Any, carry: Any) -> Any:
            w1, w2, losses = carry
            h = x @ w1
            h_relu = jnp.maximum(h, 0)
            y_pred = h_relu @ w2
            losses = losses.at[i].set(jnp.sum(jnp.square(y_pred - y)))
            grad_y_pred = 2.0 * (y_pred - y)
            grad_w2 = h_relu.T @ grad_y_pred
            grad_h = jnp.where(h < 0, 0.0, grad_y_pred @ w2.T)
            grad_w1 = x.T @ grad_h
            return w1 - w.lr * grad_w1, w2 - w.lr * grad_w2, losses

        zeros = jnp.zeros(length, x.dtype)
        return jax.lax.fori_loop(0, iterations, body, (w1, w2, zeros))[2]

    compiled = jax.jit(loop)

    def run(iterations: int) -> list[float]:
        if iterations > length:
            raise ValueError(f"this runner was compiled for at most {length} iterations")
        losses = np.asarray(compiled(x, y, w1, w2, iterations))  # waits for the result
        return [float(v) for v in losses[:iterations]]

    return run


IMPLEMENTATIONS = [
    Implementation("seed's loop (NumPy)", "float64", _seed_loop, note="the reference"),
    Implementation("twolayer direct", "float64", _twolayer("direct")),
    Implementation("twolayer direct", "float32", _twolayer("direct")),
    Implementation("twolayer dual", "float64", _twolayer("dual")),
    Implementation("twolayer dual", "float32", _twolayer("dual")),
    Implementation("PyTorch eager", "float64", _torch, "torch", "same algorithm, CPU"),
    Implementation("PyTorch eager", "float32", _torch, "torch", "same algorithm, CPU"),
    Implementation("JAX jit", "float64", _jax, "jax", "whole loop compiled, CPU"),
    Implementation("JAX jit", "float32", _jax, "jax", "whole loop compiled, CPU"),
    Implementation(
        "scikit-learn MLPRegressor",
        "float64",
        _sklearn,
        note="sgd, full batch, no momentum or penalty; its own init and biases",
    ),
    Implementation(
        "scikit-learn MLPRegressor",
        "float32",
        _sklearn,
        note="sgd, full batch, no momentum or penalty; its own init and biases",
    ),
]


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Row:
    """The measurements of one implementation on one workload."""

    name: str
    dtype: str
    note: str
    times: list[float] = field(default_factory=list)  # seconds per timed run
    losses: list[float] = field(default_factory=list)
    memory: float | None = None  # peak bytes above the level before one run
    skipped: str = ""  # why the row has no figures

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


@dataclass
class BenchResult:
    """Everything one benchmark run measured."""

    machine: dict[str, str]
    peak: dict[str, float]  # GFLOP/s of a square matrix product, by dtype
    workloads: list[WorkloadResult]
    checks: dict[str, dict[str, float]]  # allocation, printing and whole-process checks
    settings: dict[str, Any]


def measure_peak(dtype: str, size: int, repeats: int = 3) -> float:
    """GFLOP/s of the fastest of ``repeats`` (size, size) @ (size, size) products."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size)).astype(dtype) for _ in range(2))
    out = np.empty((size, size), dtype)
    np.matmul(a, b, out=out)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def _rss() -> int | None:
    """Resident memory of this process in bytes (Linux), or None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def traced_peak(run: Callable[[], object]) -> float:
    """Peak bytes traced by ``tracemalloc`` during ``run()``: every NumPy array and Python
    object it allocates (NumPy reports its array buffers to tracemalloc)."""
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        run()
        return float(tracemalloc.get_traced_memory()[1] - start)
    finally:
        tracemalloc.stop()


def resident_peak(run: Callable[[], object], interval: float = 0.002) -> float | None:
    """Peak resident memory above the level before ``run()``, sampled every ``interval`` s;
    None where the resident size cannot be read.  Memory the allocator kept from earlier
    work is reused without growing the resident size, so this can under-count."""
    before = _rss()
    if before is None:
        return None
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss() or 0)
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run()
    finally:
        done.set()
        sampler.join()
    return float(max(peak, _rss() or 0) - before)


def peak_memory(run: Callable[[], object], library: str) -> float | None:
    """Peak memory of one ``run()``: traced for NumPy-based libraries, resident for others
    (PyTorch and JAX allocate outside tracemalloc's view)."""
    if library in ("torch", "jax"):
        return resident_peak(run)
    return traced_peak(run)


def bench_workload(
    problem: Problem,
    iterations: int,
    rounds: int,
    implementations: list[Implementation],
    peaks: dict[str, list[float]],
    peak_size: int,
    log: Callable[[str], None],
) -> WorkloadResult:
    """Warm every implementation up, then time them alternately for ``rounds`` rounds."""
    rows, runners = [], []
    for impl in implementations:
        row = Row(impl.name, impl.dtype, impl.note)
        rows.append(row)
        prepared = impl.prepare(problem, impl.dtype)
        if isinstance(prepared, str):
            row.skipped = prepared
            continue
        log(f"  warm-up: {impl.name} {impl.dtype}")
        prepared(1)
        runners.append((row, prepared))
    for r in range(rounds):
        for dtype in ("float64", "float32"):
            peaks[dtype].append(measure_peak(dtype, peak_size))
        order = runners if r % 2 == 0 else runners[::-1]  # alternate to spread slow drifts
        for row, runner in order:
            start = time.perf_counter()
            losses = runner(iterations)
            row.times.append(time.perf_counter() - start)
            row.losses = losses
        log(f"  round {r + 1}/{rounds} done")
    for row, runner in runners:
        library = next(impl.library for impl in implementations if impl.name == row.name)
        row.memory = peak_memory(_bound(runner, min(iterations, 2)), library)
    return WorkloadResult(problem.workload, iterations, rows)


def _bound(runner: Runner, iterations: int) -> Callable[[], object]:
    return lambda: runner(iterations)


def allocation_check(iterations: int = 100) -> dict[str, float]:
    """Net and transient bytes traced by ``tracemalloc`` over ``iterations`` steady-state
    iterations of the direct fast loop on the seed's problem."""
    from twolayer.engines.inplace import Workspace

    x, y, params = seed_draws(0)
    ws = Workspace(x, y, params)
    for _ in range(3):
        ws.loss_and_grads()
        ws.update(1e-6)
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(iterations):
            ws.loss_and_grads()
            ws.update(1e-6)
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"iterations": iterations, "net_bytes": end - start, "transient_bytes": peak - start}


def printing_check(rounds: int, iterations: int = 500) -> dict[str, float]:
    """In-process time of ``twolayer seed`` printing every line against ``--quiet``."""
    from twolayer.cli import main

    loud: list[float] = []
    quiet: list[float] = []
    args = ["seed", "--iterations", str(iterations)]
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        main([*args, "--quiet"])  # warm-up
        for _ in range(rounds):
            for times, extra in ((loud, []), (quiet, ["--quiet"])):
                start = time.perf_counter()
                main([*args, *extra])
                times.append(time.perf_counter() - start)
    printing, silent = statistics.median(loud), statistics.median(quiet)
    return {
        "iterations": iterations,
        "printing_s": printing,
        "quiet_s": silent,
        "ratio": printing / silent,
    }


SEED_SCRIPT = """\
import sys
import numpy as np
np.random.seed(0)
N, D_in, H, D_out = 64, 1000, 100, 10
x = np.random.randn(N, D_in)
y = np.random.randn(N, D_out)
w1 = np.random.randn(D_in, H)
w2 = np.random.randn(H, D_out)
learning_rate = 1e-6
for it in range(int(sys.argv[1])):
    h = x.dot(w1)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2)
    loss = np.square(y_pred - y).sum()
    print(it, loss)
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.T.dot(grad_y_pred)
    grad_h_relu = grad_y_pred.dot(w2.T)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1 = x.T.dot(grad_h)
    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2
"""
"""The seed notebook's code as a script; its only argument is the number of iterations."""


def process_check(rounds: int, iterations: int) -> dict[str, float]:
    """Whole processes, start-up subtracted: (T(iterations) - T(1)) of ``twolayer seed --quiet``
    against the same for the seed's script, both writing to /dev/null."""

    def timed(command: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start

    ours = [sys.executable, "-m", "twolayer", "seed", "--quiet", "--iterations"]
    seed = [sys.executable, "-c", SEED_SCRIPT]
    spans: dict[str, list[float]] = {"ours": [], "seed": []}
    for _ in range(rounds):
        for name, command in (("seed", seed), ("ours", ours)):
            long, short = timed([*command, str(iterations)]), timed([*command, "1"])
            spans[name].append(long - short)
    a, b = statistics.median(spans["ours"]), statistics.median(spans["seed"])
    return {"iterations": iterations, "ours_s": a, "seed_s": b, "ratio": a / b}


def machine_info() -> dict[str, str]:
    """CPU, core count, load, Python and library versions, and the BLAS NumPy uses."""
    info = {
        "cpu": _cpu_name(),
        "cores": str(os.cpu_count()),
        "load average (1 min) at start": f"{os.getloadavg()[0]:.2f}"
        if hasattr(os, "getloadavg")
        else "unknown",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas_description(),
    }
    for name in ("torch", "scikit-learn", "jax"):
        info[name] = _version(name)
    set_vars = [f"{v}={os.environ[v]}" for v in BLAS_ENV if v in os.environ]
    info["blas environment"] = ", ".join(set_vars) if set_vars else "none of " + ", ".join(BLAS_ENV)
    return info


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _blas_description() -> str:
    if importlib.util.find_spec("threadpoolctl") is None:  # NumPy's build says which BLAS only
        from twolayer.state import blas_name

        return blas_name()
    info = importlib.import_module("threadpoolctl").threadpool_info()
    pools = [p for p in info if p.get("user_api") == "blas"]
    return "; ".join(
        f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture', '?')} kernels, "
        f"{p.get('num_threads')} threads)"
        for p in pools
    )


def _blas_threads() -> int:
    if importlib.util.find_spec("threadpoolctl") is None:
        return os.cpu_count() or 1
    info = importlib.import_module("threadpoolctl").threadpool_info()
    threads = [p["num_threads"] for p in info if p.get("user_api") == "blas"]
    return max(threads, default=os.cpu_count() or 1)


def _version(distribution: str) -> str:
    """The installed version of ``distribution``, read without importing it."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def run_bench(
    workloads: list[Workload],
    *,
    iterations: dict[str, int] | None = None,
    rounds: int = 3,
    peak_size: int = 2048,
    implementations: list[Implementation] | None = None,
    checks: bool = True,
    process_iterations: int = 10_000,
    log: Callable[[str], None] = lambda line: None,
) -> BenchResult:
    """Benchmark ``workloads`` and return every figure (see the module docstring).

    ``iterations`` maps a workload's name to the iterations to time (default: the
    workload's own); ``checks`` adds the allocation, printing and whole-process checks.
    """
    machine = machine_info()
    peaks: dict[str, list[float]] = {"float64": [], "float32": []}
    results = []
    for workload in workloads:
        count = (iterations or {}).get(workload.name, workload.iterations)
        log(f"{workload.name}: {workload.describe()}; timing {count} iterations")
        problem = make_problem(workload)
        result = bench_workload(
            problem, count, rounds, implementations or IMPLEMENTATIONS, peaks, peak_size, log
        )
        results.append(result)
    found: dict[str, dict[str, float]] = {}
    if checks:
        log("checks: allocation, printing, whole process")
        found["allocation"] = allocation_check()
        found["printing"] = printing_check(max(rounds, 5))
        found["process"] = process_check(max(1, rounds // 2), process_iterations)
    if hasattr(os, "getloadavg"):
        machine["load average (1 min) at the end"] = f"{os.getloadavg()[0]:.2f}"
    settings = {"rounds": rounds, "peak_size": peak_size, "date": time.strftime("%Y-%m-%d")}
    peak = {dtype: statistics.median(values) for dtype, values in peaks.items() if values}
    return BenchResult(machine, peak, results, found, settings)


# --- reporting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One of the issue's targets, the figure measured for it and whether it is met."""

    text: str
    figure: str
    met: bool | None  # None: not measured in this run


def _ratio(result: WorkloadResult, name: str, dtype: str) -> float | None:
    row = result.row(name, dtype)
    if row is None or not row.times or not result.reference.times:
        return None
    return row.median / result.reference.median


def targets(result: BenchResult) -> list[Target]:
    """The issue's targets, each with its figure from ``result``."""
    by_name = {w.workload.name: w for w in result.workloads}
    found: list[Target] = []

    def ratio_target(workload: str, name: str, dtype: str, limit: float, text: str) -> None:
        w = by_name.get(workload)
        value = None if w is None else _ratio(w, name, dtype)
        if value is None:
            found.append(Target(text, "not measured", None))
            return
        if workload == "seed" and name == "twolayer direct" and dtype == "float64":
            row = w.row(name, dtype) if w else None
            same = row is not None and row.losses == w.reference.losses  # type: ignore[union-attr]
            identical = "bit-identical" if same else "NOT bit-identical"
            found.append(Target(text, f"{value:.3f}x, {identical}", value <= limit and same))
            return
        found.append(Target(text, f"{value:.3f}x", value <= limit))

    ratio_target(
        "seed",
        "twolayer direct",
        "float64",
        0.90,
        "seed, direct float64, bit-identical: <= 0.90x the seed's loop",
    )
    ratio_target("seed", "twolayer dual", "float64", 0.12, "seed, dual solver: <= 0.12x")
    ratio_target("seed", "twolayer direct", "float32", 0.50, "seed, direct float32: <= 0.50x")
    wide = by_name.get("wide")
    wide_row = wide.row("twolayer direct", "float64") if wide else None
    if wide is not None and wide_row is not None and wide_row.times and "float64" in result.peak:
        rate = wide.workload.flops * wide.iterations / wide_row.median / 1e9
        share = rate / result.peak["float64"]
        found.append(
            Target(
                "wide, direct float64: >= 90% of the float64 peak",
                f"{100 * share:.0f}% ({rate:.1f} of {result.peak['float64']:.1f} GFLOP/s)",
                share >= 0.90,
            )
        )
    else:
        found.append(
            Target("wide, direct float64: >= 90% of the float64 peak", "not measured", None)
        )
    ratio_target("tall", "twolayer direct", "float64", 0.30, "tall, direct float64: <= 0.30x")
    for w in result.workloads:
        for dtype in ("float64", "float32"):
            ours = [r for r in w.rows if r.name.startswith("twolayer") and r.dtype == dtype]
            ours = [r for r in ours if r.times]
            if not ours:
                continue
            best = min(ours, key=lambda r: r.median)
            for peer in w.rows:
                if peer.name.startswith(("twolayer", "seed")) or peer.dtype != dtype:
                    continue
                text = f"{w.workload.name} {dtype}: twolayer faster than {peer.name}"
                if not peer.times:
                    found.append(Target(text, peer.skipped, None))
                    continue
                found.append(
                    Target(
                        text,
                        f"{best.name} {best.median:.3g} s vs {peer.median:.3g} s",
                        best.median < peer.median,
                    )
                )
    checks = result.checks
    if "allocation" in checks:
        a = checks["allocation"]
        found.append(
            Target(
                "no per-iteration allocation in the NumPy loop (tracemalloc)",
                f"{a['net_bytes']:.0f} bytes net over {a['iterations']:.0f} iterations "
                f"({a['transient_bytes']:.0f} bytes of NumPy call bookkeeping at most)",
                a["net_bytes"] == 0,
            )
        )
    if "printing" in checks:
        p = checks["printing"]
        found.append(
            Target(
                "twolayer seed printing 500 lines: <= 5% slower than --quiet",
                f"{100 * (p['ratio'] - 1):+.1f}%",
                p["ratio"] <= 1.05,
            )
        )
    if "process" in checks:
        p = checks["process"]
        found.append(
            Target(
                f"whole process, twolayer seed --quiet vs the seed's script "
                f"(T({p['iterations']:.0f}) - T(1)): <= 0.90x",
                f"{p['ratio']:.3f}x ({p['ours_s']:.2f} s vs {p['seed_s']:.2f} s)",
                p["ratio"] <= 0.90,
            )
        )
    return found


def _fmt_bytes(value: float | None) -> str:
    return "—" if value is None else f"{value / 2**20:.1f}"


def _losses_note(row: Row, reference: Row) -> str:
    if row is reference:
        return "reference"
    if not row.losses or row.name.startswith("scikit-learn"):
        return "not comparable (own init, biases)" if row.losses else "—"
    if row.dtype == "float64" and row.losses == reference.losses:
        return "bit-identical"
    pairs = zip(row.losses, reference.losses, strict=False)
    worst = max((abs(a - b) / abs(b) for a, b in pairs if b), default=math.nan)
    return f"max rel. diff {worst:.1e}"


def markdown(result: BenchResult) -> str:
    """The results as markdown: machine, one table per workload, the targets, the checks."""
    lines = [
        "## Speed: twolayer against the seed's loop and the libraries a user would pick instead",
        "",
        f"Measured {result.settings['date']} with `twolayer bench` "
        f"({result.settings['rounds']} rounds, medians); the method is in "
        "[performance.md](performance.md). Ratios are side by side in one run; on a shared "
        "machine (see the load averages) rerun `python benchmarks/speed.py` to confirm them.",
        "",
    ]
    lines += [f"- **{key}**: {value}" for key, value in result.machine.items()]
    peaks = ", ".join(f"{d} {v:.1f} GFLOP/s" for d, v in result.peak.items())
    lines += [
        f"- **matrix-multiply peak** (best of 3 square products of size "
        f"{result.settings['peak_size']}, median over rounds): {peaks}",
        "",
    ]
    for w in result.workloads:
        wl = w.workload
        lines += [
            f"### {wl.name}: {wl.describe()}; {w.iterations} iterations timed "
            f"({wl.flops / 1e6:,.1f} MFLOP per iteration)",
            "",
            "| implementation | dtype | median s | min–max s | × seed's loop | GFLOP/s "
            "| % of peak | peak memory MiB | losses vs the seed's loop | note |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for row in w.rows:
            if not row.times:
                lines.append(
                    f"| {row.name} | {row.dtype} | — | — | — | — | — | — | — | {row.skipped} |"
                )
                continue
            rate = wl.flops * w.iterations / row.median / 1e9
            peak = result.peak.get(row.dtype)
            share = f"{100 * rate / peak:.0f}" if peak else "—"
            ratio = row.median / w.reference.median
            lines.append(
                f"| {row.name} | {row.dtype} | {row.median:.4g} | {min(row.times):.4g}–"
                f"{max(row.times):.4g} | {ratio:.3f} | {rate:.1f} | {share} "
                f"| {_fmt_bytes(row.memory)} | {_losses_note(row, w.reference)} | {row.note} |"
            )
        lines.append("")
    lines += ["### Targets", "", "| target | figure | met |", "|---|---|---|"]
    for t in targets(result):
        verdict = "not measured" if t.met is None else ("met" if t.met else "**not met**")
        lines.append(f"| {t.text} | {t.figure} | {verdict} |")
    return "\n".join(lines) + "\n"


def write_section(path: Path, text: str) -> None:
    """Replace what lies between the speed markers of ``path`` with ``text``.

    A missing file is created with a ``# Benchmarks`` title and both markers; the rest of an
    existing file (other sections, such as the quality one) is kept as it is.  The file is
    replaced atomically.
    """
    if path.exists():
        current = path.read_text()
    else:
        current = f"# Benchmarks\n\n{START_MARKER}\n{END_MARKER}\n"
    if START_MARKER not in current or END_MARKER not in current:
        current = current.rstrip("\n") + f"\n\n{START_MARKER}\n{END_MARKER}\n"
    head, rest = current.split(START_MARKER, 1)
    _, tail = rest.split(END_MARKER, 1)
    updated = f"{head}{START_MARKER}\n{text.rstrip()}\n{END_MARKER}{tail}"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(updated)
    temporary.replace(path)


def to_json(result: BenchResult) -> dict[str, Any]:
    """The raw results as JSON-ready data (every timing, not only medians)."""
    return {
        "machine": result.machine,
        "peak_gflops": result.peak,
        "settings": result.settings,
        "checks": result.checks,
        "workloads": [
            {
                "workload": vars(w.workload),
                "iterations": w.iterations,
                "rows": [
                    {
                        "name": r.name,
                        "dtype": r.dtype,
                        "times": r.times,
                        "memory": r.memory,
                        "skipped": r.skipped,
                        "losses_vs_seed": _losses_note(r, w.reference),
                    }
                    for r in w.rows
                ],
            }
            for w in result.workloads
        ],
        "targets": [vars(t) for t in targets(result)],
    }
