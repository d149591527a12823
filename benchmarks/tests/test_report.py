"""The benchmark report: targets, the markdown, the docs section and the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import report
from harness import BenchResult
from runs import Row, WorkloadResult
from workloads import WORKLOADS


def test_markdown_tables_have_one_row_per_implementation(tiny_result: BenchResult) -> None:
    text = report.markdown(tiny_result)
    lines = text.splitlines()
    heading = next(i for i, line in enumerate(lines) if line.startswith("### tiny:"))
    assert "5 iterations timed" in lines[heading]
    header = lines[heading + 2]
    assert "| GFLOP/s | % of peak | peak memory MiB | losses vs the seed's loop |" in header
    columns = header.count("|")
    table = []
    for line in lines[heading + 2 :]:
        if not line.startswith("|"):
            break
        table.append(line)
    assert len(table) == 2 + len(tiny_result.workloads[0].rows)
    assert all(line.count("|") == columns for line in table)
    assert "| twolayer direct | float64 |" in text and "| bit-identical |" in text
    assert "| FakeLib | float64 | — |" in text and "skipped: FakeLib is not installed" in text
    assert "### Targets" in text and "- **numpy**: " + np.__version__ in text


def _fake(times: dict[tuple[str, str], float], losses_equal: bool = True) -> BenchResult:
    """A result for the seed workload with the given median times (one round each)."""
    reference = [3.0, 2.0, 1.0]
    rows = []
    for (name, dtype), t in times.items():
        same = losses_equal or name != "twolayer direct"
        losses = reference if same else [3.0, 2.0, 1.5]
        rows.append(Row(name, dtype, "", [t], losses if dtype == "float64" else [3.0]))
    w = WorkloadResult(WORKLOADS["seed"], 3, rows)
    return BenchResult({}, {"float64": 80.0, "float32": 160.0}, [w], {}, {})


def test_targets_are_judged_from_the_medians() -> None:
    base = {
        ("seed's loop (NumPy)", "float64"): 1.0,
        ("twolayer direct", "float64"): 0.9,
        ("twolayer direct", "float32"): 0.51,
        ("twolayer dual", "float64"): 0.1,
        ("PyTorch eager", "float32"): 0.5,
    }
    verdicts = {t.text: (t.figure, t.met) for t in report.targets(_fake(base))}
    assert verdicts["seed, direct float64, bit-identical: <= 0.90x the seed's loop"] == (
        "0.900x, bit-identical",
        True,
    )
    assert verdicts["seed, dual solver: <= 0.12x"] == ("0.100x", True)
    assert verdicts["seed, direct float32: <= 0.50x"] == ("0.510x", False)
    assert verdicts["seed float32: twolayer faster than PyTorch eager"][1] is False
    assert verdicts["tall, direct float64: <= 0.30x"] == ("not measured", None)
    assert verdicts["wide, direct float64: >= 90% of the float64 peak"] == ("not measured", None)
    changed = report.targets(_fake(base, losses_equal=False))
    assert changed[0].met is False and "NOT bit-identical" in changed[0].figure


def test_checks_become_targets() -> None:
    result = _fake({("seed's loop (NumPy)", "float64"): 1.0})
    result.checks = {
        "allocation": {"iterations": 100, "net_bytes": 0, "transient_bytes": 928},
        "printing": {"iterations": 500, "printing_s": 1.1, "quiet_s": 1.0, "ratio": 1.1},
        "process": {"iterations": 10_000, "ours_s": 8.0, "seed_s": 10.0, "ratio": 0.8},
    }
    verdicts = {t.text: (t.figure, t.met) for t in report.targets(result)}
    allocation = verdicts["no per-iteration allocation in the NumPy loop (tracemalloc)"]
    assert allocation[1] is True and allocation[0].startswith("0 bytes net over 100 iterations")
    assert verdicts["twolayer seed printing 500 lines: <= 5% slower than --quiet"] == (
        "+10.0%",
        False,
    )
    process = (
        "whole process, twolayer seed --quiet vs the seed's script (T(10000) - T(1)): <= 0.95x"
    )
    assert verdicts[process] == ("0.800x (8.00 s vs 10.00 s)", True)


def test_write_section_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    report.write_section(path, "first table")
    assert path.read_text() == (
        f"# Benchmarks\n\n{report.START_MARKER}\nfirst table\n{report.END_MARKER}\n"
    )
    quality = "<!-- quality:start -->\nquality table\n<!-- quality:end -->\n"
    path.write_text(path.read_text() + "\n" + quality)
    report.write_section(path, "second table\n")
    text = path.read_text()
    assert "first table" not in text and "second table" in text
    assert text.endswith(quality) and text.count(report.START_MARKER) == 1
    report.write_section(path, "new quality", "quality")
    assert "quality table" not in path.read_text() and "second table" in path.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name != "benchmarks.md"]


def test_json_keeps_every_timing_and_the_targets(tiny_result: BenchResult) -> None:
    data = json.loads(json.dumps(report.to_json(tiny_result)))
    assert set(data) == {"machine", "peak_gflops", "settings", "checks", "workloads", "targets"}
    (w,) = data["workloads"]
    assert [len(r["times"]) for r in w["rows"]] == [2, 2, 2, 2, 2, 0]
    assert data["targets"][0]["figure"] == "not measured"  # no seed workload in this run


def test_tall_targets_against_jax_and_the_peak() -> None:
    rows = [
        Row("seed's loop (NumPy)", "float64", "", [2.0], [3.0]),
        Row("twolayer direct", "float64", "", [0.8], [3.0]),
        Row("twolayer direct", "float32", "", [0.5], [3.0]),
        Row("JAX jit", "float64", "", [1.0], [3.0]),
        Row("JAX jit", "float32", "", [0.5], [3.0]),
    ]
    tall = WorkloadResult(WORKLOADS["tall"], 5, rows)
    result = BenchResult({}, {"float64": 80.0, "float32": 160.0}, [tall], {}, {})
    verdicts = {t.text: (t.figure, t.met) for t in report.targets(result)}
    assert verdicts["tall, direct float64: <= 0.85x JAX jit"] == ("0.800x (0.8 s vs 1 s)", True)
    assert verdicts["tall, direct float32: <= 0.90x JAX jit"] == ("1.000x (0.5 s vs 0.5 s)", False)
    share = report.gflops(tall, rows[1]) / 80.0
    figure, met = verdicts["tall, direct float64: >= 50% of the float64 peak"]
    assert figure.startswith(f"{100 * share:.0f}%") and met == (share >= 0.5)
    assert verdicts["wide, direct float32: >= 90% of the float32 peak"] == ("not measured", None)
