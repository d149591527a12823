"""Model files: a trained network with everything needed to use it, and how they are written.

A model file is a ``.npz`` archive (``docs/formats.md`` describes every field):

* the weights ``w1`` (D_in, H), ``w2`` (H, D_out) and, with biases, ``b1`` (H,), ``b2`` (D_out,);
* the scaling statistics ``x_mean``, ``x_scale`` (D_in,) and ``y_mean``, ``y_scale`` (D_out,)
  when the data were standardised;
* ``metadata``: one JSON text (format version, sizes, activation, loss, class labels, names,
  training configuration, history summary, where the data came from);
* when written during or after training, the training state that makes it a checkpoint:
  optimizer buffers ``opt.<buffer>.<param>``, early stopping's best weights ``early.<param>``
  and the history ``history`` (iterations, columns), with counters and the shuffling
  generator's state in the metadata.  Continuing from it gives bit-identical weights to a run
  that was never stopped.

Writing goes to a temporary file in the same directory, is flushed to disk and then renamed
over the target (:func:`twolayer.io.writing.atomic_write`), so a crash never leaves a half-written
model; non-finite weights are refused.  Reading and checking a file is
:mod:`twolayer.outputs.modelfile_reader`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer._version import installed_version
from twolayer.errors import ModelFileError
from twolayer.io.writing import Writer, atomic_write
from twolayer.outputs.history import Row, history_columns
from twolayer.outputs.trained import Model
from twolayer.state import EarlyStopping, TrainState

FORMAT = "twolayer-model"
FORMAT_VERSION = 2
"""Version of the file layout; files of a larger version are refused with a clear message.
Version 2 added ``encoding`` (a table's columns); version 1 files load as they are."""

PARAM_NAMES = ("w1", "w2", "b1", "b2")
CLASS_KINDS: dict[str, Any] = {"int": np.int64, "float": np.float64, "str": np.str_, "bool": bool}
NONFINITE = ("inf", "-inf", "nan")


@dataclass(frozen=True)
class ModelFile:
    """What a model file holds: the model, and for a checkpoint its state and history."""

    model: Model
    state: TrainState | None = None
    history: list[Row] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Writing


def save_model(
    path: str | Path,
    model: Model,
    *,
    state: TrainState | None = None,
    history: Sequence[Row] = (),
) -> None:
    """Write ``model`` (and, for a checkpoint, ``state`` and ``history``) to ``path`` atomically.

    Raises
    ------
    ModelFileError
        When a weight (or an optimizer buffer) is NaN or infinite: such a file is never written.
    """
    write = model_writer(path, model, state=state, history=history)
    atomic_write(path, write, error=ModelFileError)


def model_writer(
    path: str | Path,
    model: Model,
    *,
    state: TrainState | None = None,
    history: Sequence[Row] = (),
) -> Writer:
    """What :func:`save_model` writes, encoded and checked now and written by the function
    returned, so several files can be written together (:func:`twolayer.io.writing.write_all`).

    Raises
    ------
    ModelFileError
        When a weight (or an optimizer buffer) is NaN or infinite.
    """
    arrays = _model_arrays(model)
    meta = _model_meta(model)
    if state is not None:
        arrays.update(_state_arrays(state))
        meta["state"] = _state_meta(state)
    if history:
        columns = history_columns(history)
        arrays["history"] = np.asarray(
            [[_number(row.get(c)) for c in columns] for row in history], dtype=np.float64
        )
        meta["history_columns"] = columns
    for name, a in arrays.items():
        if name != "history" and not np.all(np.isfinite(a)):
            raise ModelFileError(f"refusing to save {path}: '{name}' holds NaN or infinite values")
    arrays["metadata"] = np.asarray(json.dumps(encode(meta), allow_nan=False))
    return lambda f: np.savez(f, **arrays)  # type: ignore[arg-type]


def _model_arrays(model: Model) -> dict[str, NDArray[Any]]:
    arrays = {name: np.asarray(p) for name, p in model.params.named().items()}
    prep = model.preprocessing
    for prefix, scaler in (("x", prep.x_scaler), ("y", prep.y_scaler)):
        if scaler is not None:
            arrays[f"{prefix}_mean"] = np.asarray(scaler.mean, dtype=np.float64)
            arrays[f"{prefix}_scale"] = np.asarray(scaler.scale, dtype=np.float64)
    return arrays


def _model_meta(model: Model) -> dict[str, Any]:
    prep = model.preprocessing
    classes = None if model.preprocessing.classes is None else plain_labels(
        model.preprocessing.classes
    )  # fmt: skip
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "twolayer_version": installed_version(),
        "sizes": list(model.params.sizes),
        "bias": model.params.has_bias,
        "dtype": str(np.asarray(model.params.w1).dtype),
        "activation": model.activation,
        "loss": model.loss,
        "task": model.task,
        "classes": None if classes is None else classes.tolist(),
        "classes_kind": None if classes is None else _class_kind(classes),
        "standardized": {
            "x": model.preprocessing.x_scaler is not None,
            "y": model.preprocessing.y_scaler is not None,
        },
        "encoding": None if prep.encoding is None else prep.encoding.to_dict(),
        "feature_names": list(model.feature_names),
        "target_names": list(model.target_names),
        "config": None if model.config is None else model.config.to_dict(),
        "summary": model.summary,
        "source": model.source,
        "state": None,
        "history_columns": None,
    }


def plain_labels(classes: NDArray[Any]) -> NDArray[Any]:
    """Labels of a NumPy object array (as pandas text columns give) as a plain array: text,
    integers, floats or booleans when every label is one; anything else stays and is refused
    by :func:`_class_kind`."""
    if classes.dtype.kind != "O":
        return classes
    values = classes.tolist()
    for kind, test in ((str, str), (bool, bool), (np.int64, int), (np.float64, float)):
        if all(isinstance(v, test) for v in values) and not (
            test in (int, float) and any(isinstance(v, bool) for v in values)
        ):
            return np.asarray(values, dtype=kind)
    return classes


def _class_kind(classes: NDArray[Any]) -> str:
    kinds = {"i": "int", "u": "int", "f": "float", "U": "str", "S": "str", "b": "bool"}
    if classes.dtype.kind not in kinds:
        raise ModelFileError(f"class labels of type {classes.dtype} cannot be saved")
    return kinds[classes.dtype.kind]


def _state_arrays(state: TrainState) -> dict[str, NDArray[Any]]:
    arrays: dict[str, NDArray[Any]] = {}
    for buffer, values in state.opt_state.items():
        for name, a in values.named().items():
            arrays[f"opt.{buffer}.{name}"] = np.asarray(a)
    if state.early.best_params is not None:
        for name, a in state.early.best_params.named().items():
            arrays[f"early.{name}"] = np.asarray(a)
    return arrays


def _state_meta(state: TrainState) -> dict[str, Any]:
    def tracker(t: EarlyStopping) -> dict[str, Any]:
        return {"best_loss": t.best_loss, "best_iteration": t.best_iteration, "wait": t.wait,
                "has_params": t.best_params is not None}  # fmt: skip

    return {
        "iteration": state.iteration,
        "step": state.step,
        "rng_state": state.rng_state,
        "schedule_state": dict(state.schedule_state),
        "early": tracker(state.early),
        "convergence": tracker(state.convergence),
        "first_loss": state.first_loss,
        "optimizer_buffers": sorted(state.opt_state),
    }


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


# ---------------------------------------------------------------------------------------------
# The metadata's JSON: non-finite floats as text, both ways


def encode(obj: Any) -> Any:
    """JSON-ready: non-finite floats become the strings "inf", "-inf", "nan"."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [encode(v) for v in obj]
    if isinstance(obj, np.generic):
        return encode(obj.item())
    return obj


def decode_float(value: Any, *, strict: bool = False) -> Any:
    """Undo :func:`encode` for one value; with ``strict`` anything else but a number fails."""
    if isinstance(value, str) and value in NONFINITE:
        return float(value)
    if strict:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"{value!r} is not a number")
        return float(value)
    return value


__all__ = ["FORMAT_VERSION", "ModelFile", "model_writer", "save_model"]
