"""A tall epoch right after a multi-threaded product, and after a pause of ``SETTLE_S``.

OpenBLAS's threads spin for a while after a product before they sleep; an epoch of the
in-place engine's lanes (one BLAS thread each, one lane per core) that starts meanwhile shares
the cores with them.  This script times, round after round, one tall epoch right after a
square product of size 2048 on BLAS's threads and one after the same product and a pause of
``SETTLE_S`` (the pause the speed benchmark makes before each timed run), and a third epoch
straight after another epoch.

    python benchmarks/settle.py                   # prints its table
    python benchmarks/settle.py --write           # and writes its section of docs/benchmarks.md
    python benchmarks/settle.py --rounds 3 --markdown FILE
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Sequence

import numpy as np

import report
from runs import SETTLE_S
from twolayer.engines.inplace import Workspace
from workloads import WORKLOADS, make_problem

SECTION = "settle"


def measure(rounds: int, size: int = 2048) -> dict[str, float]:
    """Median seconds of a tall epoch in the three situations, and the lanes it used."""
    workload = WORKLOADS["tall"]
    problem = make_problem(workload)
    ws = Workspace(problem.x, problem.y, problem.params)
    a = np.ones((size, size))
    out = np.empty_like(a)

    def epoch() -> float:
        start = time.perf_counter()
        ws.forward_backward()
        ws.update(workload.lr)
        return time.perf_counter() - start

    epoch()
    times: dict[str, list[float]] = {
        "after a product": [],
        "after a pause": [],
        "after an epoch": [],
    }
    for _ in range(rounds):
        np.matmul(a, a, out=out)
        times["after a product"].append(epoch())
        times["after an epoch"].append(epoch())
        np.matmul(a, a, out=out)
        time.sleep(SETTLE_S)
        times["after a pause"].append(epoch())
    return {name: statistics.median(t) for name, t in times.items()} | {"lanes": 1 + len(ws.lanes)}


def markdown(found: dict[str, float], rounds: int) -> str:
    lines = [
        "## Settling: an epoch right after a multi-threaded product",
        "",
        f"Written by `python benchmarks/settle.py` ({rounds} rounds; load average "
        f"{os.getloadavg()[0]:.2f} at the end): one epoch of the tall workload (float64, "
        f"{found['lanes']:.0f} lanes) right after a square product of size 2048 on BLAS's "
        f"threads, after the same product and a pause of {SETTLE_S} s, and right after another "
        "epoch. Median seconds.",
        "",
        "| the epoch starts | s / epoch | × after an epoch |",
        "|---|---|---|",
    ]
    base = found["after an epoch"]
    for name in ("after a product", "after a pause", "after an epoch"):
        lines.append(f"| {name} | {found[name]:.4f} | {found[name] / base:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = report.section_parser(__doc__.splitlines()[0], rounds=9).parse_args(argv)
    report.publish(markdown(measure(args.rounds), args.rounds), args, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
