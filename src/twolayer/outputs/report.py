"""What a ``twolayer train`` run says besides its loss lines: what it trains and how (one line
before it starts), what its loss columns are, the metrics of each set, why it stopped when that
was early, and the ``--json`` line."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from twolayer.backend import import_optional, require
from twolayer.config import TrainConfig
from twolayer.data.prep import Dataset
from twolayer.nn.losses import get_loss
from twolayer.nn.metrics import format_metrics, score
from twolayer.outputs.trained import Model
from twolayer.state import TrainResult


def set_metrics(
    model: Model, sets: dict[str, Dataset], chunked: tuple[Any, Any] | None = None
) -> dict[str, dict[str, float]]:
    """The metrics of ``model`` on each named set (weighted by its sample weights), or on the
    chunked Dask data ``chunked`` as ``train``."""
    if chunked is not None:
        return {"train": chunked_metrics(model, *chunked)}
    return {name: score(model.task, s.y, model.predict(s.x), s.weight) for name, s in sets.items()}


def print_report(
    model: Model, result: TrainResult, metrics: dict[str, dict[str, float]], *, seconds: float,
    out: str | None, real_data: bool, json_line: bool, prog: str,
) -> None:  # fmt: skip
    """Print the metrics (not for the seed's random draws, whose output stays the seed's), the
    notes on stderr, and with ``json_line`` one JSON line of results."""
    config = model.config or TrainConfig()
    if real_data:
        for name, values in metrics.items():
            print(format_metrics(name, values))
    for line in notes(result, config):
        print(f"{prog}: {line}", file=sys.stderr)
    if json_line:
        last = result.history[-1] if result.history else None

        def finite(v: float | None) -> float | None:
            return v if v is not None and math.isfinite(v) else None

        summary = {
            "iterations": result.state.iteration,
            "iterations_run": len(result.history),
            "stop_reason": result.stop_reason,
            "final_loss": finite(last.loss) if last else None,
            "final_val_loss": finite(last.val_loss) if last else None,
            "seconds": seconds,
            "metrics": metrics,
            "model": out,
        }
        print(json.dumps(summary))


def chunked_metrics(model: Model, x: Any, y: Any) -> dict[str, float]:
    """The regression metrics of ``model`` on Dask arrays ``x`` (N, D_in) and ``y`` (N, D_out):
    the predictions are computed chunk by chunk (``x`` is never gathered), then they and the
    targets, D_out columns wide, are scored as in memory."""
    da = require("dask")
    d_out = model.params.w2.shape[1]
    pred = da.map_blocks(
        lambda block: model.predict(np.asarray(block)), x.rechunk({1: x.shape[1]}),
        chunks=(x.chunks[0], (d_out,)), dtype=model.dtype,
    )  # fmt: skip
    y_true, y_pred = import_optional("dask", "Dask", "dask").compute(y, pred)
    return score(model.task, y_true, y_pred)


def notes(result: TrainResult, config: TrainConfig) -> list[str]:
    """What the printed losses do not say: why a run stopped before its iterations."""
    lines = []
    state = result.state
    if result.stop_reason == "early_stopping":
        best = state.early.best_iteration
        lines.append(
            f"early stopping after iteration {state.iteration - 1}: no progress for "
            f"{config.patience} iterations; kept the weights of iteration {best}"
        )
    elif result.stop_reason == "converged" and config.optimizer == "lbfgs":
        lines.append(
            f"converged after iteration {state.iteration - 1}: L-BFGS-B could not lower the "
            "training loss any further"
        )
    elif result.stop_reason == "converged":
        lines.append(
            f"converged after iteration {state.iteration - 1}: the training loss made no progress "
            f"for {config.n_iter_no_change} iterations"
        )
    elif result.stop_reason == "max_fun":
        lines.append(f"lbfgs stopped after {config.max_fun} loss evaluations (--max-fun)")
    return lines


def describe_run(data: Dataset, inputs: tuple[str, ...], config: TrainConfig) -> str:
    """One line saying what a run on real data learns and how: the task and its target, the
    columns and the network's inputs, and the recipe (each part has a flag that changes it)."""
    targets = ", ".join(repr(t) for t in data.target_names)
    if data.task == "classification" and data.y is not None:
        what = f"classification of {targets} ({len(np.unique(data.y))} classes)"
    else:
        what = f"{data.task} of {targets}"
    columns = len(data.columns) if data.columns is not None else len(data.feature_names)
    batches = "full batch" if config.batch_size is None else f"batches of {config.batch_size}"
    stop = ""
    if config.early_stopping:
        stop = (f" with early stopping on {config.validation_fraction:.0%} held out "
                f"(patience {config.patience})")  # fmt: skip
    return (
        f"{what} from {columns} column(s) ({len(inputs)} inputs), {data.n_samples} rows; "
        f"{config.hidden} {config.activation} units, {config.optimizer} at lr {config.lr:g}, "
        f"{batches}, {config.init} init, {'biases' if config.bias else 'no biases'}, loss "
        f"{config.loss}, up to {config.iterations} epochs{stop} (docs/data.md: every part has "
        "its flag)"
    )


@dataclass(frozen=True)
class LossColumns:
    """What the printed loss lines hold: a header line saying it (None: the seed's bare
    lines), and the sample counts (train, validation) a summed loss is divided by."""

    header: str | None
    per_sample: tuple[int, int] | None


def loss_columns(config: TrainConfig, samples: dict[str, int], *, real: bool) -> LossColumns:
    """The printed columns of a run: on real data or with a validation column, a header and,
    for a loss that is a sum (the seed's ``sse``), both columns divided by their own number of
    rows so that they compare (a validation sum over fewer rows would look smaller).  The
    seed's run prints its sums bare, as the seed does."""
    validation = samples.get("validation", 0) > 0
    if not (real or validation):
        return LossColumns(None, None)
    summed = get_loss(config.loss).reduction == "sum"
    per_sample = (samples["train"], samples["validation"]) if summed else None
    what = f"{config.loss} per sample" + (" (the sum over a set divided by its rows)" if summed
                                          else "")  # fmt: skip
    columns = "iteration, training loss" + (", validation loss" if validation else "")
    return LossColumns(f"# {columns}: {what}", per_sample)


__all__ = [
    "LossColumns",
    "chunked_metrics",
    "describe_run",
    "loss_columns",
    "notes",
    "print_report",
    "set_metrics",
]
