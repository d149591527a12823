"""`python benchmarks/bench.py` (what `twolayer bench` was) at tiny sizes: its options, its table
and its JSON, not timings."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import bench
import workloads
from helpers import assert_one_error, run_cli, snapshot

FAST = ["--quick", "--rounds", "1", "--keep-blas-env"]


def run_bench(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``python benchmarks/bench.py ARGS``, run in process."""
    try:
        code = bench.main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def two_iterations(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workloads, "QUICK_ITERATIONS", {"seed": 2})


@pytest.mark.usefixtures("two_iterations")
def test_prints_the_table_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "speed.json"
    code, out, err = run_bench([*FAST, "--json", str(raw)], capsys)
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
    assert "python benchmarks/speed.py" in err  # where peers, checks and targets are
    data = json.loads(raw.read_text())
    assert data["settings"]["rounds"] == 1
    (seed,) = data["workloads"]
    assert seed["iterations"] == 2 and len(seed["rows"]) == 5
    assert seed["rows"][1]["losses_vs_seed"] == "bit-identical"


def test_refuses_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "b.json"
    code, _, err = run_bench(["--quick", "--json", str(missing)], capsys)
    assert code == 2
    assert err.strip().endswith(
        f"error: JSON file {str(missing)!r}: the directory {str(missing.parent)!r} does not exist"
    )
    assert not missing.parent.exists()
    code, _, err = run_bench(["--workloads", "seed,huge"], capsys)
    assert code == 2
    assert "unknown workload huge; valid workloads are: seed, wide, tall" in err
    code, _, err = run_bench(["--quick", "--full"], capsys)
    assert code == 2 and "not allowed with argument" in err
    code, out, err = run_bench(["--json", ""], capsys)
    assert_one_error(code, out, err, "argument --json: ")
    assert "empty" in err


def test_twolayer_bench_is_gone_and_its_no_op_flags_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The subcommand moved here; the flags it kept only for the benchmarks' sake (--no-peers,
    --no-checks, which did nothing, and --markdown, which pointed at speed.py) did not."""
    code, out, err = run_cli(["bench", "--quick"], capsys)
    assert code == 2 and out == ""
    assert "invalid choice: 'bench'" in err
    target = tmp_path / "benchmarks.md"
    for flag in (["--no-peers"], ["--no-checks"], ["--markdown", str(target)]):
        code, out, err = run_bench(["--quick", *flag], capsys)
        assert code == 2 and out == "" and f"unrecognized arguments: {flag[0]}" in err
    assert not target.exists()


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
    code, _, err = run_bench(["--quick", "--workloads", "seed", "--rounds", "2",
                              "--json", str(raw)], capsys)  # fmt: skip
    assert code == 7
    assert "benchmarks/bench.py: rerunning without OPENBLAS_CORETYPE" in err
    assert seen["command"] == [sys.executable, str(Path(bench.__file__).resolve()),
                               "--keep-blas-env", "--quick", "--workloads", "seed",
                               "--rounds", "2", "--json", str(raw)]  # fmt: skip
    assert "OPENBLAS_CORETYPE" not in seen["env"] and "PATH" in seen["env"]


def fail_if_timed(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the benchmark ran before its destination was checked")


JSON_TARGETS: list[tuple[str, str]] = [
    ("x" * 300 + ".json", "the file name is too long for the file system"),
    ("x" * 300 + "/b.json", "cannot be written: File name too long"),
    ("ro/b.json", "the directory 'ro' is not writable"),
    ("dir.json", "JSON file 'dir.json' is a directory"),
    ("null.json", "JSON file 'null.json' is not a regular file"),
    ("no/b.json", "the directory 'no' does not exist"),
    ("old.json", "JSON file 'old.json' is read-only"),
]


@pytest.mark.parametrize(("target", "message"), JSON_TARGETS, ids=[m for _, m in JSON_TARGETS])
def test_bench_refuses_a_json_file_it_cannot_write_before_timing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ro").mkdir()
    (tmp_path / "dir.json").mkdir()
    (tmp_path / "null.json").symlink_to(os.devnull)
    (tmp_path / "old.json").write_text("{}")
    real = os.access
    denied = {(tmp_path / "ro").resolve(), (tmp_path / "old.json").resolve()}
    monkeypatch.setattr(os, "access", lambda p, mode, **k: (  # as a user who is not root sees it
        False if Path(p).resolve() in denied and mode & os.W_OK else real(p, mode, **k)))  # fmt: skip
    monkeypatch.setattr(bench, "time_workload", fail_if_timed)
    before = snapshot(tmp_path)
    code, out, err = run_bench(["--quick", "--keep-blas-env", "--rounds", "1", "--json", target],
                               capsys)  # fmt: skip
    assert_one_error(code, out, err, message)
    assert err.count("JSON file") == 1  # one message, not one wrapped in another
    assert snapshot(tmp_path) == before
