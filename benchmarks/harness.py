"""The full speed benchmark: every row of every workload, the machine it ran on, the checks.

:func:`run_bench` times the implementations (twolayer's and the peers', :mod:`peers`) with
:func:`runs.time_workload`, measuring the matrix-multiply peak before every round
and the peak memory of one extra run of each row, then runs three checks: no per-iteration
allocation in the NumPy loop, the cost of ``twolayer seed`` printing its lines, and whole
processes of ``twolayer seed --quiet`` against the seed's script
(``examples/classic.py``, :func:`seed_script`).  :mod:`report` turns the result into tables
and targets.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from bench import BLAS_ENV
from peers import IMPLEMENTATIONS
from runs import EXAMPLE, SETTLE_S, Implementation, WorkloadResult, time_workload
from twolayer import SeedProblem, describe_blas, seed_draws, train
from workloads import Workload, make_problem


@dataclass
class BenchResult:
    """Everything one benchmark run measured."""

    machine: dict[str, str]
    peak: dict[str, float]  # GFLOP/s of a square matrix product, by dtype
    workloads: list[WorkloadResult]
    checks: dict[str, dict[str, float]]  # allocation, printing and whole-process checks
    settings: dict[str, Any]


# --- measuring ----------------------------------------------------------------------------


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


def peak_memory(impl: Implementation, run: Callable[[], object]) -> float | None:
    """Peak memory of one ``run()``: traced for NumPy-based libraries, resident for others
    (PyTorch and JAX allocate outside tracemalloc's view)."""
    if impl.library in ("torch", "jax"):
        return resident_peak(run)
    return traced_peak(run)


# --- checks -------------------------------------------------------------------------------


def allocation_check(iterations: int = 100) -> dict[str, float]:
    """Net and transient bytes traced by ``tracemalloc`` over ``iterations`` steady-state
    iterations of the in-place engine on the seed's problem."""
    from twolayer.engines.inplace import Workspace

    x, y, params = seed_draws(0)
    ws = Workspace(x, y, params)
    for _ in range(3):
        ws.forward_backward()
        ws.update(1e-6)
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(iterations):
            ws.forward_backward()
            ws.update(1e-6)
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"iterations": iterations, "net_bytes": end - start, "transient_bytes": peak - start}


def printing_check(rounds: int, iterations: int = 500) -> dict[str, float]:
    """In-process time of the seed's run printing every line (the callback ``twolayer seed``
    prints with) against printing only the last (``twolayer seed --quiet``)."""
    from twolayer.outputs.callbacks import PrintLosses

    problem = SeedProblem(iterations=iterations)

    def seed_run(sink: TextIO, quiet: bool) -> float:
        x, y, params = seed_draws(0, problem)
        start = time.perf_counter()
        printer = PrintLosses(sink, quiet=quiet)
        train(x, y, problem.config(track="loss"), params, callbacks=[printer])
        return time.perf_counter() - start

    loud: list[float] = []
    quiet: list[float] = []
    with open(os.devnull, "w") as sink:
        seed_run(sink, True)  # warm-up
        for _ in range(rounds):
            loud.append(seed_run(sink, False))
            quiet.append(seed_run(sink, True))
    printing, silent = statistics.median(loud), statistics.median(quiet)
    return {
        "iterations": iterations,
        "printing_s": printing,
        "quiet_s": silent,
        "ratio": printing / silent,
    }


def seed_script(iterations: int) -> list[str]:
    """The command that runs the seed's experiment (``examples/classic.py``'s ``main``) for
    ``iterations`` iterations in a process that imports NumPy only; it runs in ``examples/``."""
    code = "import sys\nfrom classic import main\nmain(int(sys.argv[1]))\n"
    return [sys.executable, "-c", code, str(iterations)]


def process_check(rounds: int, iterations: int) -> dict[str, float]:
    """Whole processes, start-up subtracted: (T(iterations) - T(1)) of ``twolayer seed --quiet``
    against the same for the seed's script, both writing to /dev/null."""

    def timed(command: list[str], cwd: Path | None) -> float:
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=cwd)
        return time.perf_counter() - start

    def ours(n: int) -> list[str]:
        return [sys.executable, "-m", "twolayer", "seed", "--quiet", "--iterations", str(n)]

    commands = {"seed": (seed_script, EXAMPLE.parent), "ours": (ours, None)}
    spans: dict[str, list[float]] = {"ours": [], "seed": []}
    for _ in range(rounds):
        for name, (command, cwd) in commands.items():
            long, short = timed(command(iterations), cwd), timed(command(1), cwd)
            spans[name].append(long - short)
    a, b = statistics.median(spans["ours"]), statistics.median(spans["seed"])
    return {"iterations": iterations, "ours_s": a, "seed_s": b, "ratio": a / b}


# --- the machine --------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    """CPU, core count, load, Python and library versions, and the BLAS NumPy uses."""
    info = {
        "cpu": _cpu_name(),
        "cores": str(os.cpu_count()),
        "load average (1 min) at start": _load(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": describe_blas(),
    }
    for name in ("torch", "scikit-learn", "jax"):
        info[name] = _version(name)
    set_vars = [f"{v}={os.environ[v]}" for v in BLAS_ENV if v in os.environ]
    info["blas environment"] = ", ".join(set_vars) if set_vars else "none of " + ", ".join(BLAS_ENV)
    return info


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"


def _cpu_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str:
    """The installed version of ``distribution``, read without importing it."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# --- the run ------------------------------------------------------------------------------


def run_bench(
    workloads: list[Workload],
    *,
    iterations: dict[str, int] | None = None,
    rounds: int = 3,
    peak_size: int = 2048,
    implementations: list[Implementation] | None = None,
    checks: bool = True,
    process_iterations: int = 10_000,
    log: Callable[[str], object] = lambda line: None,
    settle: float = SETTLE_S,
) -> BenchResult:
    """Benchmark ``workloads`` and return every figure (see the module docstring).

    ``iterations`` maps a workload's name to the iterations to time (default: the
    workload's own); ``checks`` adds the allocation, printing and whole-process checks;
    ``settle`` seconds pass before every timed run (``time_workload``).
    """
    machine = machine_info()
    peaks: dict[str, list[float]] = {"float64": [], "float32": []}

    def measure_peaks() -> None:
        for dtype, values in peaks.items():
            values.append(measure_peak(dtype, peak_size))

    results = []
    for workload in workloads:
        count = (iterations or {}).get(workload.name, workload.iterations)
        log(f"{workload.name}: {workload.describe()}; timing {count} iterations")
        result = time_workload(
            make_problem(workload),
            count,
            rounds,
            implementations or IMPLEMENTATIONS,
            each_round=measure_peaks,
            memory=peak_memory,
            log=log,
            settle=settle,
        )
        results.append(result)
    found: dict[str, dict[str, float]] = {}
    if checks:
        log("checks: allocation, printing, whole process")
        found["allocation"] = allocation_check()
        found["printing"] = printing_check(max(rounds, 5))
        found["process"] = process_check(max(1, rounds // 2), process_iterations)
    machine["load average (1 min) at the end"] = _load()
    settings = {"rounds": rounds, "peak_size": peak_size, "date": time.strftime("%Y-%m-%d")}
    peak = {dtype: statistics.median(values) for dtype, values in peaks.items() if values}
    return BenchResult(machine, peak, results, found, settings)
