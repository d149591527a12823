"""History files: rows out as CSV or JSON Lines and back in, their summary, and bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from twolayer.errors import ConfigError, DataError
from twolayer.outputs.history import (
    history_columns,
    history_format,
    history_text,
    read_history,
    summarize,
    write_history,
)

ROWS: list[dict[str, Any]] = [
    {"iteration": i, "loss": 100.0 / (i + 1), "val_loss": 120.0 / (i + 1), "lr": 0.1,
     "dead_fraction": None, "elapsed": 0.01 * i, "grad_norm_w1": 2.0}
    for i in range(5)
]  # fmt: skip


@pytest.mark.parametrize("name", ["h.csv", "h.jsonl"])
def test_history_files_round_trip(tmp_path: Path, name: str) -> None:
    write_history(ROWS, tmp_path / name)
    assert read_history(tmp_path / name) == ROWS


def test_columns_in_the_order_they_first_appear() -> None:
    assert history_columns([{"iteration": 0, "loss": 1.0}, {"val_loss": 2.0, "iteration": 1}]) == [
        "iteration", "loss", "val_loss"
    ]  # fmt: skip
    assert history_columns(ROWS) == list(ROWS[0])


def test_history_text_formats() -> None:
    rows = [{"iteration": 0, "loss": 1.5, "val_loss": None}, {"iteration": 1, "loss": 0.25,
                                                              "val_loss": float("inf")}]  # fmt: skip
    assert history_text(rows, "csv") == "iteration,loss,val_loss\n0,1.5,\n1,0.25,inf\n"
    assert history_text(rows, "jsonl") == (
        '{"iteration": 0, "loss": 1.5, "val_loss": null}\n'
        '{"iteration": 1, "loss": 0.25, "val_loss": null}\n'
    )
    with pytest.raises(ConfigError, match=r"must end in \.csv, \.jsonl or \.ndjson, got '\.txt'"):
        history_format("h.txt")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("h.csv", "iteration,loss\n0,abc\n", r"row 2, column 'loss': 'abc' is not a number"),
        ("h.csv", "iteration,loss\n0,1,2\n", "row 2 has 3 columns, expected 2"),
        ("h.csv", "iteration,val_loss\n0,1\n", "row 2: 'loss' is missing or not a number"),
        ("h.jsonl", '{"iteration": 0, "loss": 1}\n[1]\n', "row 2: not a JSON object"),
        ("h.jsonl", "\n", "holds no rows"),
    ],
)
def test_bad_history_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(DataError, match=message):
        read_history(tmp_path / name)


def test_summary_of_a_history() -> None:
    summary = summarize(ROWS, stop_reason="completed")
    assert summary == {
        "iterations": 5, "first_loss": 100.0, "final_loss": 20.0, "final_val_loss": 24.0,
        "best_val_loss": 24.0, "seconds": 0.04, "stop_reason": "completed",
    }  # fmt: skip
    assert summarize([]) == {"iterations": 0}
