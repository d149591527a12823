"""Loss curves as an image: training and validation loss per iteration, and below them the
per-epoch scores (R² or accuracy) when the run recorded them (matplotlib, headless).

The figure is drawn on matplotlib's Agg canvas directly, never through ``pyplot``: no window,
no global figure state, nothing that needs a display.  The loss axis is logarithmic when every
loss is positive (losses fall over orders of magnitude).  matplotlib is an optional extra:
``pip install 'twolayer[plot]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from twolayer.backend import import_optional
from twolayer.errors import ConfigError, DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

IMAGE_SUFFIXES = (".png", ".svg", ".pdf")


def require_matplotlib() -> None:
    """Raise a ConfigError naming the extra to install when matplotlib is missing."""
    import_optional("matplotlib", "matplotlib", "plot")


def check_image_path(path: str | Path) -> None:
    """The image format follows the extension: .png, .svg or .pdf."""
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ConfigError(
            f"plot file {str(path)!r} must end in {', '.join(IMAGE_SUFFIXES)}, got {suffix!r}"
        )


def _series(rows: Sequence[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    points = [(int(r["iteration"]), float(r[key])) for r in rows if r.get(key) is not None]
    return [i for i, _ in points], [v for _, v in points]


def _held_out(rows: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """The prefix of the held-out columns (``val``, or the playground's ``test``) and its
    name in the legend."""
    if any(r.get("test_loss") is not None for r in rows):
        return "test", "test"
    return "val", "validation"


def draw_history(
    rows: Sequence[dict[str, Any]], *, title: str = "", loss: str | None = None,
    samples: dict[str, int] | None = None,
) -> Figure:  # fmt: skip
    """A figure of the ``loss`` (and ``val_loss``, when present) of history ``rows``, with a
    second panel of ``score`` and ``val_score`` when the rows hold them.

    Parameters
    ----------
    rows : history rows with ``iteration``, ``loss`` and optionally ``val_loss``, ``score``
        and ``val_score`` (``TrainConfig.scores``); or ``test_loss`` and ``test_score``, as
        ``twolayer playground`` names its held-out points, drawn as the test curves.
    title : shown above the axes.
    loss : the loss's name, for the axis label.
    samples : ``{"train": N, "validation": M}``; with the summed ``sse`` each curve is divided
        by its own number of samples, so the two compare (a sum over fewer validation rows
        would sit below the training curve even while the model overfits).
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    it, train_loss = _series(rows, "loss")
    if not it:
        raise DataError("the history holds no losses to plot")
    held, held_name = _held_out(rows)
    val_it, val = _series(rows, f"{held}_loss")
    label = loss or "loss"
    if loss == "sse" and samples and samples.get("train"):
        train_loss = [v / samples["train"] for v in train_loss]
        val = [v / samples["validation"] for v in val] if samples.get("validation") else []
        val_it = val_it if val else []
        label = "sse per sample"
    score_it, score = _series(rows, "score")
    fig = Figure(figsize=(6.4, 6.4 if score_it else 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax, *below = fig.subplots(2 if score_it else 1, 1, sharex=True, squeeze=False)[:, 0]
    ax.plot(it, train_loss, label="training loss", color="tab:blue")
    if val_it:
        ax.plot(val_it, val, label=f"{held_name} loss", color="tab:orange")
    if all(v > 0 for v in train_loss + val):
        ax.set_yscale("log")
    ax.set_ylabel(label)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    for panel in below:  # the scores of each epoch
        panel.plot(score_it, score, label="training score", color="tab:blue")
        val_score_it, val_score = _series(rows, f"{held}_score")
        if val_score_it:
            panel.plot(val_score_it, val_score, label=f"{held_name} score", color="tab:orange")
        panel.set_ylabel("score (R² or accuracy)")
        panel.grid(True, alpha=0.3)
        panel.legend()
    (below[-1] if below else ax).set_xlabel("iteration")
    return fig


def plot_history(
    rows: Sequence[dict[str, Any]], path: str | Path, *, title: str = "", loss: str | None = None,
    samples: dict[str, int] | None = None,
) -> None:  # fmt: skip
    """Draw :func:`draw_history` into ``path``, written atomically; the format follows the
    extension (.png, .svg, .pdf)."""
    from twolayer.io.writing import atomic_write

    atomic_write(path, plot_writer(rows, path, title=title, loss=loss, samples=samples))


def plot_writer(
    rows: Sequence[dict[str, Any]],
    path: str | Path,
    *,
    title: str = "",
    loss: str | None = None,
    samples: dict[str, int] | None = None,
) -> Callable[[IO[bytes]], object]:
    """What :func:`plot_history` writes: the figure drawn now, saved by the function returned."""
    check_image_path(path)
    return figure_writer(draw_history(rows, title=title, loss=loss, samples=samples), path)


def figure_writer(fig: Figure, path: str | Path) -> Callable[[IO[bytes]], object]:
    """What writes ``fig`` into an open file, in the format the extension of ``path`` names."""
    fmt = Path(path).suffix.lower()[1:]
    return lambda f: fig.savefig(f, format=fmt)


def check_figure_path(path: str | Path, inputs: Sequence[tuple[str, str | Path]] = ()) -> None:
    """Before any work: ``path`` (a ``--plot`` option) is an image name, matplotlib is there, the
    file can be written and it is none of the ``inputs`` (option, path)."""
    from twolayer.io.writing import check_distinct, check_writable

    check_image_path(path)
    require_matplotlib()
    check_writable(path, "--plot")
    check_distinct(list(inputs), [("--plot", path)])


def save_figure(fig: Figure, path: str | Path) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its extension names."""
    from twolayer.io.writing import atomic_write

    atomic_write(path, figure_writer(fig, path))


__all__ = [
    "IMAGE_SUFFIXES",
    "check_figure_path",
    "check_image_path",
    "draw_history",
    "figure_writer",
    "plot_history",
    "plot_writer",
    "require_matplotlib",
    "save_figure",
]
