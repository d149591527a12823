"""Loss-curve images and history files: what is drawn, what is written, what is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from twolayer.errors import ConfigError, DataError
from twolayer.history import history_format, history_text, read_history, summarize, write_history

pytest.importorskip("matplotlib", reason="plots are drawn with matplotlib")

from twolayer.outputs.plot import draw_history, plot_history

ROWS: list[dict[str, Any]] = [
    {"iteration": i, "loss": 100.0 / (i + 1), "val_loss": 120.0 / (i + 1), "lr": 0.1,
     "dead_fraction": None, "elapsed": 0.01 * i, "grad_norm_w1": 2.0}
    for i in range(5)
]  # fmt: skip

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_training_and_validation_curves_on_a_log_scale() -> None:
    fig = draw_history(ROWS, title="run")
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == ["training loss", "validation loss"]
    train, val = ax.get_lines()
    assert list(train.get_xdata()) == [0, 1, 2, 3, 4]
    assert list(val.get_ydata()) == [r["val_loss"] for r in ROWS]
    assert ax.get_title() == "run" and ax.get_xlabel() == "iteration"


def test_linear_scale_when_a_loss_is_not_positive_and_no_validation() -> None:
    rows = [{"iteration": 0, "loss": 1.0}, {"iteration": 1, "loss": 0.0}]
    (ax,) = draw_history(rows).axes
    assert ax.get_yscale() == "linear" and len(ax.get_lines()) == 1


@pytest.mark.parametrize(("name", "magic"), [("loss.png", PNG_MAGIC), ("loss.svg", b"<?xml"),
                                             ("loss.pdf", b"%PDF")])  # fmt: skip
def test_images_are_written_atomically_in_the_named_format(
    tmp_path: Path, name: str, magic: bytes
) -> None:
    plot_history(ROWS, tmp_path / name)
    assert (tmp_path / name).read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_bad_image_names_and_empty_histories(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"must end in \.png, \.svg, \.pdf, got '\.gif'"):
        plot_history(ROWS, tmp_path / "loss.gif")
    with pytest.raises(DataError, match="the history holds no losses to plot"):
        plot_history([], tmp_path / "loss.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["h.csv", "h.jsonl"])
def test_history_files_round_trip(tmp_path: Path, name: str) -> None:
    write_history(ROWS, tmp_path / name)
    assert read_history(tmp_path / name) == ROWS


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
