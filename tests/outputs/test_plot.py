"""Loss-curve images: what is drawn, what is written, what is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from twolayer.errors import ConfigError, DataError

pytest.importorskip("matplotlib", reason="plots are drawn with matplotlib")

from twolayer.outputs.plot import draw_history, plot_history

ROWS: list[dict[str, Any]] = [
    {"iteration": i, "loss": 100.0 / (i + 1), "val_loss": 120.0 / (i + 1)} for i in range(5)
]

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


def test_scores_get_a_panel_of_their_own() -> None:
    rows = [{**r, "score": 0.5 + 0.1 * r["iteration"], "val_score": 0.4 + 0.1 * r["iteration"]}
            for r in ROWS]  # fmt: skip
    loss_ax, score_ax = draw_history(rows).axes
    assert [line.get_label() for line in score_ax.get_lines()] == [
        "training score", "validation score"
    ]  # fmt: skip
    assert list(score_ax.get_lines()[1].get_ydata()) == [r["val_score"] for r in rows]
    assert score_ax.get_xlabel() == "iteration" and loss_ax.get_xlabel() == ""
    assert len(draw_history(ROWS).axes) == 1  # no scores, no panel


def test_the_axis_names_the_loss_and_sums_are_compared_per_sample() -> None:
    (ax,) = draw_history(ROWS, loss="half_mse").axes
    assert ax.get_ylabel() == "half_mse"
    assert list(ax.get_lines()[0].get_ydata()) == [r["loss"] for r in ROWS]  # means: as recorded
    (ax,) = draw_history(ROWS, loss="sse", samples={"train": 50, "validation": 10}).axes
    assert ax.get_ylabel() == "sse per sample"
    train, val = ax.get_lines()
    assert list(train.get_ydata()) == [r["loss"] / 50 for r in ROWS]
    assert list(val.get_ydata()) == [r["val_loss"] / 10 for r in ROWS]
    (ax,) = draw_history(ROWS).axes
    assert ax.get_ylabel() == "loss"


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


def test_the_playgrounds_test_columns_are_drawn_as_test_curves() -> None:
    rows = [{"iteration": r["iteration"], "loss": r["loss"], "test_loss": r["val_loss"],
             "score": 0.5, "test_score": 0.4} for r in ROWS]  # fmt: skip
    loss_axes, score_axes = draw_history(rows).axes
    assert [line.get_label() for line in loss_axes.get_lines()] == ["training loss", "test loss"]
    assert list(loss_axes.get_lines()[1].get_ydata()) == [r["val_loss"] for r in ROWS]
    assert [line.get_label() for line in score_axes.get_lines()] == ["training score",
                                                                     "test score"]  # fmt: skip
