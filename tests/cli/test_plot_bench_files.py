"""``twolayer plot`` on histories that are not what a run writes, and ``twolayer bench --json``
on destinations that cannot be written: one ``error:`` line each, before any work, nothing
written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from helpers import assert_one_error, run_cli, snapshot

HISTORIES: list[tuple[str, str, str]] = [
    ("h.csv", "iteration,loss\n0,1.0\ninf,0.5\n", "h.csv: row 3: the iteration inf is not a whole"),
    ("h.csv", "iteration,loss\nnan,1.0\n", "h.csv: row 2: the iteration nan is not a whole number"),
    ("h.csv", "iteration,loss\n-inf,1.0\n", "h.csv: row 2: the iteration -inf is not"),
    ("h.csv", "iteration,loss\n1e400,1.0\n", "h.csv: row 2: the iteration inf is not"),
    ("h.csv", "iteration,loss\n-1,1.0\n", "h.csv: row 2: the iteration -1.0 is not"),
    ("h.csv", "iteration,loss\n1.5,1.0\n", "h.csv: row 2: the iteration 1.5 is not"),
    ("h.jsonl", '{"iteration": 1e999, "loss": 1.0}\n', "h.jsonl: row 1: the iteration inf is not"),
    ("h.jsonl", '{"iteration": NaN, "loss": 1.0}\n', "h.jsonl: row 1: the iteration nan is not"),
    ("h.jsonl", '{"iteration": -Infinity, "loss": 1.0}\n', "h.jsonl: row 1: the iteration -inf"),
    ("h.csv", "iteration,loss\n0,1\n", ""),  # a good one, for contrast
]


@pytest.mark.parametrize(("name", "text", "message"), HISTORIES)
def test_plot_refuses_iterations_that_are_not_whole_numbers(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    text: str,
    message: str,
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    before = snapshot(tmp_path)
    code, out, err = run_cli(["plot", name, "--out", "p.png"], capsys)
    if not message:
        assert (code, out, err) == (0, "wrote p.png\n", "")
        return
    assert_one_error(code, out, err, message)
    assert snapshot(tmp_path) == before


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
    monkeypatch.setattr("twolayer.timing.time_workload", fail_if_timed)
    before = snapshot(tmp_path)
    code, out, err = run_cli(
        ["bench", "--quick", "--keep-blas-env", "--rounds", "1", "--json", target], capsys
    )
    assert_one_error(code, out, err, message)
    assert err.count("JSON file") == 1  # one message, not one wrapped in another
    assert snapshot(tmp_path) == before
