"""`twolayer bench` at tiny sizes: its options, its table and its JSON, not timings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import run_cli
from twolayer.cli import bench
from twolayer.timing import workloads

FAST = ["--quick", "--rounds", "1", "--keep-blas-env"]


@pytest.fixture
def two_iterations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workloads, "QUICK_ITERATIONS", {"seed": 2})


@pytest.mark.usefixtures("two_iterations")
def test_prints_the_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "speed.json"
    code, out, err = run_cli(["bench", *FAST, "--no-peers", "--no-checks", "--json", str(raw)],
                             capsys)  # fmt: skip
    assert code == 0
    assert "### seed:" in out and "2 iterations timed" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")][1:]
    assert [r.split(" | ")[0:2] for r in rows] == [
        ["| seed's loop (NumPy)", "float64"],
        ["| twolayer direct", "float64"],
        ["| twolayer direct", "float32"],
        ["| twolayer dual", "float64"],
        ["| twolayer dual", "float32"],
    ]
    assert "| bit-identical |" in out  # the direct solver makes the seed's steps exactly
    assert "python benchmarks/speed.py" in err  # where peers, checks and targets went
    data = json.loads(raw.read_text())
    assert data["settings"]["rounds"] == 1
    (seed,) = data["workloads"]
    assert seed["iterations"] == 2 and len(seed["rows"]) == 5
    assert seed["rows"][1]["losses_vs_seed"] == "bit-identical"


def test_refuses_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "b.json"
    code, _, err = run_cli(["bench", "--quick", "--json", str(missing)], capsys)
    assert code == 2
    assert err.strip().endswith(
        f"error: JSON file {str(missing)!r}: the directory {str(missing.parent)!r} does not exist"
    )
    assert not missing.parent.exists()
    code, _, err = run_cli(["bench", "--workloads", "seed,huge"], capsys)
    assert code == 2
    assert "unknown workload huge; valid workloads are: seed, wide, tall" in err
    code, _, err = run_cli(["bench", "--quick", "--full"], capsys)
    assert code == 2 and "not allowed with argument" in err


def test_markdown_points_at_the_benchmarks_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "benchmarks.md"
    code, out, err = run_cli(["bench", "--quick", "--markdown", str(target)], capsys)
    assert code == 2 and out == "" and not target.exists()
    assert err == (
        "twolayer bench: error: --markdown moved to the repository's benchmarks: run "
        "python benchmarks/speed.py --markdown FILE from a checkout (docs/performance.md)\n"
    )


def test_reruns_itself_without_the_blas_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(command: list[str], env: dict[str, str], check: bool) -> Any:
        seen.update(command=command, env=env)
        return type("Done", (), {"returncode": 7})()

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setattr(bench.subprocess, "run", fake_run)
    raw = tmp_path / "speed.json"
    code, _, err = run_cli(["bench", "--quick", "--workloads", "seed", "--rounds", "2",
                            "--json", str(raw)], capsys)  # fmt: skip
    assert code == 7
    assert "twolayer bench: rerunning without OPENBLAS_CORETYPE" in err
    assert seen["command"] == [sys.executable, "-m", "twolayer", "bench", "--keep-blas-env",
                               "--quick", "--workloads", "seed", "--rounds", "2",
                               "--json", str(raw)]  # fmt: skip
    assert "OPENBLAS_CORETYPE" not in seen["env"] and "PATH" in seen["env"]
