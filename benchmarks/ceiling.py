"""How near the peak an epoch could come if everything but its matrix products were free.

For the tall and wide workloads this script builds the in-place engine's workspace (its blocks,
lanes, layout and threading, as a run would) and times, side by side and round after round:

* the whole epoch (``forward_backward`` and ``update``), and
* each of its five products alone, over the same buffers: ``x @ w1``, ``a @ w2``,
  ``a.T @ grad_y``, ``grad_y @ w2.T`` and ``x.T @ grad_h`` (on tall, block by block in lanes
  with one BLAS thread each, as the epoch runs them; on wide, the products with ``x`` whole on
  BLAS's threads and the others block by block).

Each round measures the peak, then runs one untimed epoch (so that no BLAS thread still spins
from the peak's product while the lanes run), then times the epoch and the products.  The sum
of the products' medians is the time an epoch would take with free element-wise lines,
loss and update: the workload's FLOPs over it is the ceiling of the epoch's GFLOP/s on this
machine's BLAS, printed as a share of the matrix-multiply peak measured in the same run.

    python benchmarks/ceiling.py                  # prints its table
    python benchmarks/ceiling.py --write          # and writes its section of docs/benchmarks.md
    python benchmarks/ceiling.py --rounds 3 --markdown FILE
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

import report
from harness import measure_peak
from twolayer.engines.inplace import HiddenPass, Workspace
from twolayer.engines.lanes import run_lanes
from workloads import WORKLOADS, Workload, make_problem

SECTION = "ceiling"
PRODUCTS = ["x @ w1", "a @ w2", "a.T @ grad_y", "grad_y @ w2.T", "x.T @ grad_h"]


def product_runs(ws: Workspace) -> dict[str, Callable[[], object]]:
    """Each of the epoch's products alone, over the workspace's own buffers and threading."""
    w1, w2 = ws.params.w1, ws.params.w2
    passes: list[tuple[HiddenPass, list[np.ndarray | None], np.ndarray]] = [
        (ws.hidden, ws.x_blocks, ws.grads.w1),
        *((lane, xs, grad_w1) for lane, xs, grad_w1, _ in ws.lanes),
    ]

    def in_blocks(product: Callable[..., object]) -> Callable[[], object]:
        def lane(k: int) -> None:
            hidden, xs, grad_w1 = passes[k]
            for (buf, _, _), x in zip(hidden.blocks, xs, strict=True):
                product(buf, x, hidden, grad_w1)

        return lambda: run_lanes(lane, len(passes))

    runs = {
        "a @ w2": in_blocks(lambda b, x, p, g: np.matmul(b.a, w2, out=b.y_pred)),
        "a.T @ grad_y": in_blocks(lambda b, x, p, g: np.matmul(b.a.T, b.diff, out=p.partial_w2)),
        "grad_y @ w2.T": in_blocks(lambda b, x, p, g: np.matmul(b.diff, w2.T, out=b.grad_h)),
    }
    if ws.hidden.fused:
        runs["x @ w1"] = in_blocks(lambda b, x, p, g: np.matmul(x, w1, out=b.h))
        runs["x.T @ grad_h"] = in_blocks(lambda b, x, p, g: np.matmul(x.T, b.grad_h, out=g))
    else:
        runs["x @ w1"] = lambda: np.matmul(ws.x, w1, out=ws.hidden.h)
        runs["x.T @ grad_h"] = lambda: np.matmul(ws.x.T, ws.hidden.grad_h, out=ws.grads.w1)
    return {name: runs[name] for name in PRODUCTS}


def measure(workload: Workload, dtype: str, rounds: int) -> dict[str, float]:
    """Median seconds of the epoch and of each product, and the peak (GFLOP/s) of the run."""
    problem = make_problem(workload)
    x, y = problem.x.astype(dtype), problem.y.astype(dtype)
    ws = Workspace(x, y, problem.params.map(lambda p: p.astype(dtype)))

    def epoch() -> None:
        ws.forward_backward()
        ws.update(workload.lr)

    runs = {"epoch": epoch, **product_runs(ws)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    peaks = []
    for run in runs.values():  # warm-up
        run()
    for _ in range(rounds):
        peaks.append(measure_peak(dtype, 2048))
        epoch()  # untimed: BLAS's threads, spinning after the peak's product, go to sleep
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    found = {name: statistics.median(t) for name, t in times.items()}
    return {**found, "peak": statistics.median(peaks)}


def markdown(results: dict[tuple[str, str], dict[str, float]], rounds: int) -> str:
    lines = [
        "## The ceiling: the epoch if only its products took time",
        "",
        f"Written by `python benchmarks/ceiling.py` ({rounds} rounds; load average "
        f"{os.getloadavg()[0]:.2f} at the end). Each of an epoch's five products is timed alone "
        "over the in-place engine's own buffers, blocks, lanes, layout and threads; their sum is "
        "what an epoch would take if its element-wise lines, loss and update were free. Peak: "
        "the best of 3 square products of size 2048, median over rounds, as in the speed "
        "section. Seconds are medians.",
        "",
        "| workload | dtype | " + " | ".join(f"`{p}` s" for p in PRODUCTS)
        + " | products, sum s | epoch s | peak GFLOP/s | ceiling, % of peak | epoch, % of peak |",
        "|---|---|" + "---|" * (len(PRODUCTS) + 5),
    ]  # fmt: skip
    for (name, dtype), r in results.items():
        flops = WORKLOADS[name].flops / 1e9
        products = sum(r[p] for p in PRODUCTS)
        ceiling, actual = flops / products / r["peak"], flops / r["epoch"] / r["peak"]
        cells = [f"{r[p]:.4f}" for p in PRODUCTS]
        lines.append(
            f"| {name} | {dtype} | {' | '.join(cells)} | {products:.4f} | {r['epoch']:.4f} | "
            f"{r['peak']:.1f} | {100 * ceiling:.0f} | {100 * actual:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = report.section_parser(__doc__.splitlines()[0], rounds=7, workloads="tall,wide")
    parser.add_argument("--dtypes", default="float64,float32")
    args = parser.parse_args(argv)
    names = report.workload_names(parser, args.workloads, WORKLOADS)
    results = {
        (name, dtype): measure(WORKLOADS[name], dtype, args.rounds)
        for name in names
        for dtype in args.dtypes.split(",")
    }
    report.publish(markdown(results, args.rounds), args, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
