"""The in-place engine's memory layouts timed side by side, and the layout each run takes.

Only the speed depends on the layout (``twolayer.engines.layout``); this script times one
full-batch epoch (``Workspace.forward_backward`` and ``update``) of the benchmark's tall and wide
workloads in every layout, in both dtypes, the layouts taking turns round after round, and
prints the median seconds per epoch against row-major.  It also times the copy of w1 into
column-major order that a run's set-up makes, in bands (``copy_in_order``) and in one stride.

    python benchmarks/layouts.py                  # prints its tables
    python benchmarks/layouts.py --write          # and writes its section of docs/benchmarks.md
    python benchmarks/layouts.py --rounds 3 --workloads tall --markdown FILE

Every final loss is compared with row-major's (they agree to rounding: relative differences
are printed).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence

import report
from twolayer.engines.inplace import Workspace
from twolayer.engines.layout import Layout, copy_in_order
from workloads import WORKLOADS, Workload, make_problem

SECTION = "layouts"
DTYPES = ("float64", "float32")
LAYOUTS = [Layout("C", "C"), Layout("F", "C"), Layout("C", "F"), Layout("F", "F")]
"""Row-major first (the reference); hidden column-major only where blocks are fused."""


def median_seconds(run: Callable[[], object], rounds: int) -> float:
    """Median wall-clock seconds of ``rounds`` calls of ``run`` (after one untimed call)."""
    run()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_layouts(workload: Workload, dtype: str, rounds: int) -> list[dict[str, object]]:
    """One row per layout: median seconds per epoch, ratio to row-major, the final loss's
    relative difference from row-major's, and whether the engine chooses it."""
    problem = make_problem(workload)
    x, y = problem.x.astype(dtype), problem.y.astype(dtype)
    params = problem.params.map(lambda p: p.astype(dtype))
    default = Workspace(x, y, params)
    chosen, fused = default.layout, default.hidden.fused
    del default
    spaces = {
        lay: Workspace(x, y, params, layout=lay)
        for lay in LAYOUTS
        if lay.hidden == "C" or fused  # unfused blocks are rows of one row-major array
    }
    times: dict[Layout, list[float]] = {lay: [] for lay in spaces}
    losses: dict[Layout, float] = {}
    order = list(spaces)
    for ws in spaces.values():  # warm-up: first touch of every buffer
        ws.forward_backward()
    for r in range(rounds):
        for lay in order if r % 2 == 0 else order[::-1]:
            ws = spaces[lay]
            start = time.perf_counter()
            losses[lay] = ws.forward_backward()
            ws.update(workload.lr)
            times[lay].append(time.perf_counter() - start)
    base = statistics.median(times[LAYOUTS[0]])
    return [
        {
            "layout": lay,
            "seconds": statistics.median(times[lay]),
            "ratio": statistics.median(times[lay]) / base,
            "loss_diff": abs(losses[lay] - losses[LAYOUTS[0]]) / abs(losses[LAYOUTS[0]]),
            "chosen": lay == chosen,
        }
        for lay in spaces
    ]


def time_copies(workload: Workload, rounds: int) -> tuple[float, float]:
    """Seconds to copy the workload's float64 w1 into column-major order: in bands of rows
    (``copy_in_order``) and in one copy striding through the whole array."""
    w1 = make_problem(workload).params.w1
    banded = median_seconds(lambda: copy_in_order(w1, "F"), rounds)
    strided = median_seconds(lambda: w1.copy(order="F"), rounds)
    return banded, strided


def name(lay: Layout) -> str:
    orders = {"C": "row-major", "F": "column-major"}
    return f"w1 {orders[lay.weights]}, hidden {orders[lay.hidden]}"


def markdown(tables: dict[str, list[dict[str, object]]], copies: dict[str, tuple[float, float]],
             rounds: int) -> str:  # fmt: skip
    lines = [
        "## Memory layouts of the in-place engine",
        "",
        f"Written by `python benchmarks/layouts.py` ({rounds} rounds, the layouts taking turns; "
        f"load average {os.getloadavg()[0]:.2f} at the end). Seconds per full-batch epoch, "
        "median; the ratio is to row-major in the same run. The layout a run takes is marked; "
        "column-major hidden buffers exist only where the blocks are fused (tall).",
        "",
        "| workload | dtype | layout | s / epoch | × row-major | final loss vs row-major | "
        "chosen |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, rows in tables.items():
        workload, dtype = key.split(" ")
        for row in rows:
            lay = row["layout"]
            assert isinstance(lay, Layout)
            lines.append(
                f"| {workload} | {dtype} | {name(lay)} | {row['seconds']:.4f} | "
                f"{row['ratio']:.3f} | {row['loss_diff']:.1e} | {'yes' if row['chosen'] else ''} |"
            )
    lines += ["", "Copying w1 (float64) into column-major order, once per run:", ""]
    lines += [
        "| workload | w1 | in bands of 64 rows (s) | in one stride (s) |",
        "|---|---|---|---|",
    ]
    for workload, (banded, strided) in copies.items():
        w = WORKLOADS[workload]
        lines.append(f"| {workload} | {w.d_in:,} × {w.hidden:,} | {banded:.4f} | {strided:.4f} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = report.section_parser(__doc__.splitlines()[0], rounds=7, workloads="tall,wide")
    args = parser.parse_args(argv)
    names = report.workload_names(parser, args.workloads, WORKLOADS)
    tables = {
        f"{n} {dt}": time_layouts(WORKLOADS[n], dt, args.rounds) for n in names for dt in DTYPES
    }
    copies = {n: time_copies(WORKLOADS[n], args.rounds) for n in names}
    report.publish(markdown(tables, copies, args.rounds), args, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
