"""The benchmark library and `twolayer bench`, at tiny sizes: structure and flags, not timings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twolayer import bench
from twolayer.cli import main

TINY = bench.Workload("tiny", 8, 20, 6, 2, 5, 1e-4)
OURS = [i for i in bench.IMPLEMENTATIONS if i.name.startswith(("seed", "twolayer"))]


def _perturbed(problem: bench.Problem, dtype: str) -> bench.Runner:
    """The seed's loop with its first loss nudged by one unit in the last place."""
    run = bench._seed_loop(problem, dtype)

    def nudged(iterations: int) -> list[float]:
        losses = run(iterations)
        return [float(np.nextafter(losses[0], np.inf)), *losses[1:]]

    return nudged


def _missing(problem: bench.Problem, dtype: str) -> str:
    return "skipped: FakeLib is not installed"


@pytest.fixture(scope="module")
def result() -> bench.BenchResult:
    extra = [
        bench.Implementation("nudged loop", "float64", _perturbed),
        bench.Implementation("FakeLib", "float64", _missing),
    ]
    return bench.run_bench([TINY], rounds=2, peak_size=64, implementations=OURS + extra,
                           checks=False)  # fmt: skip


def test_every_row_is_timed_in_every_round(result: bench.BenchResult) -> None:
    (w,) = result.workloads
    assert w.iterations == 5 and w.workload is TINY
    names = [(r.name, r.dtype) for r in w.rows]
    assert names == [(i.name, i.dtype) for i in OURS] + [
        ("nudged loop", "float64"),
        ("FakeLib", "float64"),
    ]
    for row in w.rows[:-1]:
        assert len(row.times) == 2 and all(t > 0 for t in row.times), row.name
        assert len(row.losses) == 5 and row.memory is not None and row.memory >= 0
    assert w.rows[-1].times == [] and w.rows[-1].skipped == "skipped: FakeLib is not installed"
    assert set(result.peak) == {"float64", "float32"} and min(result.peak.values()) > 0


def test_bit_identity_is_flagged_exactly(result: bench.BenchResult) -> None:
    (w,) = result.workloads
    notes = {(r.name, r.dtype): bench._losses_note(r, w.reference) for r in w.rows}
    assert notes[("seed's loop (NumPy)", "float64")] == "reference"
    assert notes[("twolayer direct", "float64")] == "bit-identical"
    assert notes[("nudged loop", "float64")].startswith("max rel. diff ")
    assert notes[("twolayer dual", "float64")].startswith("max rel. diff ")
    assert notes[("FakeLib", "float64")] == "—"


def test_markdown_tables_have_one_row_per_implementation(result: bench.BenchResult) -> None:
    text = bench.markdown(result)
    lines = text.splitlines()
    heading = next(i for i, line in enumerate(lines) if line.startswith("### tiny:"))
    assert "5 iterations timed" in lines[heading]
    header = lines[heading + 2]
    columns = header.count("|")
    table = []
    for line in lines[heading + 2 :]:
        if not line.startswith("|"):
            break
        table.append(line)
    assert len(table) == 2 + len(result.workloads[0].rows)
    assert all(line.count("|") == columns for line in table)
    assert "| twolayer direct | float64 |" in text and "| bit-identical |" in text
    assert "| FakeLib | float64 | — |" in text and "skipped: FakeLib is not installed" in text
    assert "### Targets" in text and "- **numpy**: " + np.__version__ in text


def _fake(times: dict[tuple[str, str], float], losses_equal: bool = True) -> bench.BenchResult:
    """A result for the seed workload with the given median times (one round each)."""
    reference = [3.0, 2.0, 1.0]
    rows = []
    for (name, dtype), t in times.items():
        same = losses_equal or name != "twolayer direct"
        losses = reference if same else [3.0, 2.0, 1.5]
        rows.append(bench.Row(name, dtype, "", [t], losses if dtype == "float64" else [3.0]))
    w = bench.WorkloadResult(bench.WORKLOADS["seed"], 3, rows)
    return bench.BenchResult({}, {"float64": 80.0, "float32": 160.0}, [w], {}, {})


def test_targets_are_judged_from_the_medians() -> None:
    base = {
        ("seed's loop (NumPy)", "float64"): 1.0,
        ("twolayer direct", "float64"): 0.9,
        ("twolayer direct", "float32"): 0.51,
        ("twolayer dual", "float64"): 0.1,
        ("PyTorch eager", "float32"): 0.5,
    }
    verdicts = {t.text: (t.figure, t.met) for t in bench.targets(_fake(base))}
    assert verdicts["seed, direct float64, bit-identical: <= 0.90x the seed's loop"] == (
        "0.900x, bit-identical",
        True,
    )
    assert verdicts["seed, dual solver: <= 0.12x"] == ("0.100x", True)
    assert verdicts["seed, direct float32: <= 0.50x"] == ("0.510x", False)
    assert verdicts["seed float32: twolayer faster than PyTorch eager"][1] is False
    assert verdicts["tall, direct float64: <= 0.30x"] == ("not measured", None)
    changed = bench.targets(_fake(base, losses_equal=False))
    assert changed[0].met is False and "NOT bit-identical" in changed[0].figure


def test_write_section_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    bench.write_section(path, "first table")
    assert path.read_text() == (
        f"# Benchmarks\n\n{bench.START_MARKER}\nfirst table\n{bench.END_MARKER}\n"
    )
    quality = "<!-- quality:start -->\nquality table\n<!-- quality:end -->\n"
    path.write_text(path.read_text() + "\n" + quality)
    bench.write_section(path, "second table\n")
    text = path.read_text()
    assert "first table" not in text and "second table" in text
    assert text.endswith(quality) and text.count(bench.START_MARKER) == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_allocation_check_finds_no_bytes() -> None:
    found = bench.allocation_check(iterations=20)
    assert found["net_bytes"] == 0 and found["iterations"] == 20


def test_printing_and_process_checks_report_ratios() -> None:
    printing = bench.printing_check(rounds=1, iterations=5)
    assert printing["ratio"] == printing["printing_s"] / printing["quiet_s"]
    process = bench.process_check(rounds=1, iterations=3)
    assert process["ratio"] == process["ours_s"] / process["seed_s"] and process["iterations"] == 3


def test_seed_script_is_the_seeds_loop() -> None:
    from twolayer.data.classic import seed_draws

    x, y, params = seed_draws(0)
    problem = bench.Problem(bench.WORKLOADS["seed"], x, y, params)
    losses = bench._seed_loop(problem, "float64")(3)
    printed = subprocess.run([sys.executable, "-c", bench.SEED_SCRIPT, "3"], check=True,
                             capture_output=True, text=True).stdout.splitlines()  # fmt: skip
    assert printed == [f"{i} {loss!r}" for i, loss in enumerate(losses)]


def test_cli_writes_the_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "QUICK_ITERATIONS", {"seed": 2})
    path, raw = tmp_path / "benchmarks.md", tmp_path / "speed.json"
    argv = ["bench", "--quick", "--no-peers", "--no-checks", "--rounds", "1", "--keep-blas-env",
            "--markdown", str(path), "--json", str(raw)]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "### seed:" in out and "2 iterations timed" in out
    assert bench.START_MARKER in path.read_text() and "| twolayer dual |" in path.read_text()
    assert '"workloads"' in raw.read_text()


def test_cli_refuses_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "b.md"
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--quick", "--markdown", str(missing)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(f"error: cannot write {missing}: no directory {missing.parent}")
    assert not missing.parent.exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--workloads", "seed,huge"])
    assert exit_info.value.code == 2
    assert "unknown workload huge; valid workloads are: seed, wide, tall" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "--quick", "--full"])
