"""What a finished ``twolayer train`` run says: the metrics of each set, why it stopped when
that was early, a hint when the seed's recipe meets real data, and the ``--json`` line."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np

from twolayer.backend import import_optional, require
from twolayer.config import TrainConfig
from twolayer.data.prep import Dataset
from twolayer.metrics import format_metrics, score
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
    out: str | None, real_data: bool, resumed: bool, json_line: bool, prog: str,
) -> None:  # fmt: skip
    """Print the metrics (not for the seed's random draws, whose output stays the seed's), the
    notes on stderr, and with ``json_line`` one JSON line of results."""
    config = model.config or TrainConfig()
    if real_data:
        for name, values in metrics.items():
            print(format_metrics(name, values))
    for line in notes(result, config, real_data=real_data, resumed=resumed):
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


SEED_RECIPE = {"optimizer": "gd", "lr": 1e-6, "init": "normal", "bias": False}
"""The seed's recipe, made for its standard-normal draws (``TrainConfig``'s defaults)."""


def notes(result: TrainResult, config: TrainConfig, *, real_data: bool, resumed: bool) -> list[str]:
    """What the printed losses do not say: why a run stopped before its iterations, and a hint
    when the seed's recipe is used on real data (where it cannot fit: no biases, a rate made for
    the seed's sums)."""
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
    seed_recipe = all(getattr(config, k) == v for k, v in SEED_RECIPE.items())
    if seed_recipe and real_data and not resumed:
        lines.append(
            "hint: these are the seed's settings, made for its random draws; for real data start "
            "from --optimizer adam --lr 1e-3 --bias --init he --batch-size 200 (docs/data.md)"
        )
    return lines


__all__ = ["SEED_RECIPE", "chunked_metrics", "notes", "print_report", "set_metrics"]
