"""The tables of timed workloads: markdown for people, JSON for the record.

:func:`table` writes a workload's heading and one row per implementation, with the time
relative to the seed's loop, the rate and how the losses compare with the seed loop's
(:func:`losses_note`: "bit-identical" is the check that the direct solver makes the seed's
steps exactly); ``benchmarks/`` passes extra columns.  :func:`to_json` keeps every timing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from twolayer.timing.runs import Row, WorkloadResult


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
