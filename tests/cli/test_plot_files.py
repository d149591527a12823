"""``twolayer plot`` on histories that are not what a run writes: one ``error:`` line each,
before any work, nothing written (``benchmarks/tests/test_bench.py`` holds the same for the
benchmark's ``--json``)."""

from __future__ import annotations

from pathlib import Path

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
