"""Model files: a trained network with everything needed to use it, saved and loaded safely.

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

Loading never unpickles (object arrays are refused before anything of them is read), checks
every shape against the metadata and reports a truncated, corrupted or newer-format file as a
:class:`~twolayer.errors.ModelFileError`.  Writing goes to a temporary file in the same
directory, is flushed to disk and then renamed over the target, so a crash never leaves a
half-written model; non-finite weights are refused.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer._version import installed_version
from twolayer.activations import ACTIVATIONS
from twolayer.config import TrainConfig
from twolayer.data import FloatArray, Preprocessing, Scaler
from twolayer.errors import ConfigError, DataError, ModelFileError, TwoLayerError
from twolayer.files import atomic_write, read_npz
from twolayer.losses import LOSSES, softmax
from twolayer.model import Params, predict
from twolayer.outputs.callbacks import HistoryLog
from twolayer.outputs.history import Row, history_columns, summarize
from twolayer.state import Callback, EarlyStopping, Record, TrainState

FORMAT = "twolayer-model"
FORMAT_VERSION = 1
"""Version of the file layout; files of a larger version are refused with a clear message."""

PARAM_NAMES = ("w1", "w2", "b1", "b2")
CLASS_KINDS: dict[str, Any] = {"int": np.int64, "float": np.float64, "str": np.str_, "bool": bool}
NONFINITE = ("inf", "-inf", "nan")


@dataclass(frozen=True)
class Model:
    """A trained network and what turns raw data into its inputs and its outputs into answers.

    Attributes
    ----------
    params : the weights, w1 (D_in, H), w2 (H, D_out), optionally b1 (H,), b2 (D_out,).
    activation, loss : names in :data:`twolayer.activations.ACTIVATIONS` and
        :data:`twolayer.losses.LOSSES`.
    preprocessing : input scaling, target scaling or class labels.
    config : the training configuration, when known.
    feature_names : D_in input names; target_names : output names.
    summary : what the history said (iterations, final losses, stop reason, seconds).
    source : where the training data came from, as the command line described it.
    """

    params: Params
    activation: str = "relu"
    loss: str = "sse"
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    config: TrainConfig | None = None
    feature_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] | None = None

    @property
    def task(self) -> str:
        return self.preprocessing.task

    @property
    def n_features(self) -> int:
        return self.params.sizes[0]

    def outputs(self, x: Any) -> FloatArray:
        """The network's raw outputs for raw inputs: (N, D_in) -> (N, D_out)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise DataError(
                f"the model expects inputs of shape (N, {self.n_features}), got {x.shape}"
            )
        xs = self.preprocessing.inputs(x).astype(self.params.w1.dtype, copy=False)
        return np.asarray(predict(self.params, xs, self.activation), dtype=np.float64)

    def predict(self, x: Any) -> NDArray[Any]:
        """Class labels (N,) for classification; values (N, D_out) in the targets' units."""
        out = self.outputs(x)
        classes = self.preprocessing.classes
        if classes is not None:
            labels: NDArray[Any] = classes[np.argmax(out, axis=1)]
            return labels
        return self.preprocessing.values(out)

    def predict_proba(self, x: Any) -> FloatArray:
        """Class probabilities (N, C), the softmax of the outputs (classification only)."""
        if self.preprocessing.classes is None:
            raise DataError("probabilities need a classification model")
        return np.asarray(softmax(self.outputs(x)))


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
    arrays["metadata"] = np.asarray(json.dumps(_encode(meta), allow_nan=False))
    atomic_write(path, lambda f: np.savez(f, **arrays), error=ModelFileError)  # type: ignore[arg-type]


def _model_arrays(model: Model) -> dict[str, NDArray[Any]]:
    arrays = {name: np.asarray(p) for name, p in model.params.named().items()}
    prep = model.preprocessing
    for prefix, scaler in (("x", prep.x_scaler), ("y", prep.y_scaler)):
        if scaler is not None:
            arrays[f"{prefix}_mean"] = np.asarray(scaler.mean, dtype=np.float64)
            arrays[f"{prefix}_scale"] = np.asarray(scaler.scale, dtype=np.float64)
    return arrays


def _model_meta(model: Model) -> dict[str, Any]:
    classes = model.preprocessing.classes
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
        "feature_names": list(model.feature_names),
        "target_names": list(model.target_names),
        "config": None if model.config is None else model.config.to_dict(),
        "summary": model.summary,
        "source": model.source,
        "state": None,
        "history_columns": None,
    }


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
    early = state.early
    return {
        "iteration": state.iteration,
        "step": state.step,
        "rng_state": state.rng_state,
        "schedule_state": dict(state.schedule_state),
        "early": {
            "best_loss": early.best_loss,
            "best_iteration": early.best_iteration,
            "wait": early.wait,
            "has_params": early.best_params is not None,
        },
        "first_loss": state.first_loss,
        "optimizer_buffers": sorted(state.opt_state),
    }


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _encode(obj: Any) -> Any:
    """JSON-ready: non-finite floats become the strings "inf", "-inf", "nan"."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): _encode(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_encode(v) for v in obj]
    if isinstance(obj, np.generic):
        return _encode(obj.item())
    return obj


# ---------------------------------------------------------------------------------------------
# Reading


def load_model(path: str | Path) -> Model:
    """The model in a model file (see :func:`load_model_file`)."""
    return load_model_file(path).model


def load_model_file(path: str | Path) -> ModelFile:
    """Read and check a model file; any problem is a :class:`ModelFileError` naming it."""
    arrays = read_npz(path, ModelFileError, kinds={"metadata": "U"})
    return _Reader(str(path), arrays).read()


class _Reader:
    """Checks a model file's metadata and arrays against each other while rebuilding it."""

    def __init__(self, path: str, arrays: dict[str, NDArray[Any]]) -> None:
        self.path, self.arrays = path, arrays
        self.meta = self._metadata()

    def fail(self, message: str) -> ModelFileError:
        return ModelFileError(f"{self.path}: {message}")

    def _metadata(self) -> dict[str, Any]:
        raw = self.arrays.get("metadata")
        if raw is None:
            raise self.fail("not a twolayer model file (no metadata)")
        if raw.shape != ():
            raise self.fail(f"metadata must be one text, got shape {raw.shape}")
        try:
            meta = json.loads(str(raw))
        except (ValueError, RecursionError):  # also too-long integers, not only bad syntax
            raise self.fail("the metadata is not valid JSON") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise self.fail("not a twolayer model file (unknown metadata format)")
        version: Any = meta.get("format_version")
        if not _is_int(version) or version < 1:
            raise self.fail(f"invalid format version {version!r}")
        if version > FORMAT_VERSION:
            raise self.fail(
                f"written in model format version {version}, newer than this twolayer "
                f"reads ({FORMAT_VERSION}); upgrade twolayer to load it"
            )
        return meta

    def get(self, key: str, kind: type | tuple[type, ...], what: str) -> Any:
        value = self.meta.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"metadata field '{key}' is missing or not {what}")
        return value

    def array(self, name: str, shape: tuple[int, ...], kinds: str = "f") -> NDArray[Any]:
        a = self.arrays.get(name)
        if a is None:
            raise self.fail(f"array '{name}' is missing")
        if a.shape != shape:
            raise self.fail(f"array '{name}' has shape {a.shape}, expected {shape}")
        if a.dtype.kind not in kinds:
            raise self.fail(f"array '{name}' has data type {a.dtype}, expected floats")
        if not np.all(np.isfinite(a)):
            raise self.fail(f"array '{name}' holds NaN or infinite values")
        return a

    def read(self) -> ModelFile:
        sizes = self.get("sizes", list, "a list of three sizes")
        if len(sizes) != 3 or not all(_is_int(s) and s > 0 for s in sizes):
            raise self.fail(f"metadata field 'sizes' must be three positive integers: {sizes}")
        d_in, hidden, d_out = sizes
        bias = self.get("bias", bool, "true or false")
        shapes = {"w1": (d_in, hidden), "w2": (hidden, d_out), "b1": (hidden,), "b2": (d_out,)}
        names = PARAM_NAMES if bias else PARAM_NAMES[:2]
        params = Params(**{n: self.array(n, shapes[n]) for n in names})
        activation = self.get("activation", str, "text")
        loss = self.get("loss", str, "text")
        if activation not in ACTIVATIONS or loss not in LOSSES:
            raise self.fail(f"unknown activation {activation!r} or loss {loss!r}")
        model = Model(
            params,
            activation,
            loss,
            self._preprocessing(d_in, d_out),
            self._config(),
            self._names("feature_names", d_in),
            self._names("target_names", None),
            self._dict("summary") or {},
            self._dict("source"),
        )
        state = self._state(params, shapes)
        return ModelFile(model, state, self._history())

    def _preprocessing(self, d_in: int, d_out: int) -> Preprocessing:
        flags = self._dict("standardized") or {}
        x_scaler = self._scaler("x", d_in) if flags.get("x") is True else None
        task = self.get("task", str, "text")
        if task == "classification":
            classes = self._classes(d_out)
            return Preprocessing(x_scaler, None, classes)
        if task != "regression":
            raise self.fail(f"unknown task {task!r}")
        y_scaler = self._scaler("y", d_out) if flags.get("y") is True else None
        return Preprocessing(x_scaler, y_scaler, None)

    def _scaler(self, prefix: str, size: int) -> Scaler:
        mean = self.array(f"{prefix}_mean", (size,))
        scale = self.array(f"{prefix}_scale", (size,))
        if np.any(scale <= 0):
            raise self.fail(f"array '{prefix}_scale' holds a scale that is not positive")
        return Scaler(mean.astype(np.float64), scale.astype(np.float64))

    def _classes(self, d_out: int) -> NDArray[Any]:
        values = self.get("classes", list, "a list of class labels")
        kind = self.meta.get("classes_kind")
        if not isinstance(kind, str) or kind not in CLASS_KINDS:
            raise self.fail(f"unknown kind of class labels {kind!r}")
        if len(values) != d_out:
            raise self.fail(f"{len(values)} class labels for {d_out} outputs")
        allowed = {"int": int, "float": float | int, "str": str, "bool": bool}[kind]
        if not all(isinstance(v, allowed) for v in values):
            raise self.fail(f"class labels are not all of kind {kind}")
        try:
            classes = np.asarray(values, dtype=CLASS_KINDS[kind])
        except (OverflowError, ValueError):
            raise self.fail(f"class labels do not fit kind {kind}") from None
        if len(np.unique(classes)) != len(classes) or not np.array_equal(
            np.unique(classes), classes
        ):
            raise self.fail("class labels must be sorted and distinct")
        return classes

    def _config(self) -> TrainConfig | None:
        data = self.meta.get("config")
        if data is None:
            return None
        if not isinstance(data, dict):
            raise self.fail("metadata field 'config' is not an object")
        try:
            return TrainConfig.from_dict({k: _decode_float(v) for k, v in data.items()})
        except (ConfigError, TypeError, ValueError) as exc:
            raise self.fail(f"the training configuration is invalid: {exc}") from None

    def _names(self, key: str, size: int | None) -> tuple[str, ...]:
        names = self.meta.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise self.fail(f"metadata field '{key}' is not a list of names")
        if size is not None and names and len(names) != size:
            raise self.fail(f"metadata field '{key}' has {len(names)} names for {size} columns")
        return tuple(names)

    def _dict(self, key: str) -> dict[str, Any] | None:
        value = self.meta.get(key)
        if value is not None and not isinstance(value, dict):
            raise self.fail(f"metadata field '{key}' is not an object")
        return value

    def _state(self, params: Params, shapes: dict[str, tuple[int, ...]]) -> TrainState | None:
        meta = self._dict("state")
        if meta is None:
            return None
        try:
            return self._state_from(meta, params, shapes)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, TwoLayerError):
                raise
            raise self.fail(f"the training state is invalid ({_describe(exc)})") from None

    def _state_from(
        self, meta: dict[str, Any], params: Params, shapes: dict[str, tuple[int, ...]]
    ) -> TrainState:
        names = list(params.named())

        def like_params(prefix: str) -> Params:
            return Params(**{n: self.array(f"{prefix}.{n}", shapes[n]) for n in names})

        buffers = meta["optimizer_buffers"]
        if not isinstance(buffers, list) or not all(isinstance(b, str) for b in buffers):
            raise self.fail("the training state's optimizer buffers are not a list of names")
        early_meta = meta["early"]
        early = EarlyStopping(
            best_loss=_decode_float(early_meta["best_loss"], strict=True),
            best_iteration=_int(early_meta["best_iteration"], -1),
            best_params=like_params("early") if early_meta["has_params"] is True else None,
            wait=_int(early_meta["wait"]),
        )
        rng_state = meta["rng_state"]
        if rng_state is not None:
            _check_rng_state(rng_state)
        first = meta["first_loss"]
        schedule = meta["schedule_state"]
        if not isinstance(schedule, dict):
            raise TypeError("schedule_state is not an object")
        return TrainState(
            params=params,
            opt_state={b: like_params(f"opt.{b}") for b in buffers},
            iteration=_int(meta["iteration"]),
            step=_int(meta["step"]),
            rng_state=rng_state,
            schedule_state={k: _decode_float(v, strict=True) for k, v in schedule.items()},
            early=early,
            first_loss=None if first is None else _decode_float(first, strict=True),
        )

    def _history(self) -> list[Row]:
        columns = self.meta.get("history_columns")
        if columns is None:
            return []
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise self.fail("metadata field 'history_columns' is not a list of names")
        table = self.arrays.get("history")
        if table is None:
            raise self.fail("array 'history' is missing")
        if table.ndim != 2 or table.shape[1] != len(columns) or table.dtype.kind != "f":
            raise self.fail(f"array 'history' has shape {table.shape} for {len(columns)} columns")
        rows = [
            {c: (None if math.isnan(v) else v) for c, v in zip(columns, r, strict=True)}
            for r in table.tolist()
        ]
        for row in rows:
            iteration: Any = row.get("iteration")
            if iteration is not None:
                row["iteration"] = int(iteration)
        return rows


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: Any, smallest: int = 0) -> int:
    if not _is_int(value) or value < smallest:
        raise TypeError(f"{value!r} is not a count from {smallest}")
    return int(value)


def _decode_float(value: Any, *, strict: bool = False) -> Any:
    """Undo :func:`_encode` for one value; with ``strict`` anything else but a number fails."""
    if isinstance(value, str) and value in NONFINITE:
        return float(value)
    if strict:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"{value!r} is not a number")
        return float(value)
    return value


def _check_rng_state(rng_state: Any) -> None:
    if not isinstance(rng_state, dict):
        raise TypeError("rng_state is not an object")
    try:
        np.random.default_rng().bit_generator.state = rng_state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise TypeError(f"the shuffling generator's state is invalid: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc)


# ---------------------------------------------------------------------------------------------
# Callbacks: periodic checkpoints and a clean stop on Ctrl-C


class Checkpoint(Callback):
    """Save a resumable model file every ``every`` iterations (never, when None).

    ``make_model(params, summary)`` builds the model around the current weights; ``log`` must
    run before this callback so the history saved includes the iteration just finished.  The
    file is written at once, so nothing is kept across iterations.
    """

    def __init__(
        self,
        path: str | Path,
        make_model: Callable[[Params, dict[str, Any]], Model],
        log: HistoryLog,
        every: int | None = None,
    ) -> None:
        self.path, self.make_model, self.log, self.every = path, make_model, log, every

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        if self.every and state.iteration % self.every == 0:
            self.save(state)
        return None

    def save(self, state: TrainState, **summary: Any) -> Model:
        """Write the checkpoint for ``state`` now; ``summary`` adds to the history summary."""
        model = self.make_model(state.params, summarize(self.log.rows, **summary))
        save_model(self.path, model, state=state, history=self.log.rows)
        return model


class StopOnInterrupt(Callback):
    """Turn Ctrl-C (SIGINT) into a clean stop at the end of the current iteration.

    Inside :meth:`catching`, the first SIGINT only sets :attr:`requested`; the next
    ``on_iteration_end`` then asks the loop to stop, so ``train`` returns with a consistent
    state that can be saved.  A second SIGINT raises ``KeyboardInterrupt`` as usual.
    """

    def __init__(self) -> None:
        self.requested = False

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        return True if self.requested else None

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextlib.contextmanager
    def catching(self) -> Iterator[StopOnInterrupt]:
        """Install the handler for the duration (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


__all__ = [
    "FORMAT_VERSION",
    "Checkpoint",
    "Model",
    "ModelFile",
    "StopOnInterrupt",
    "load_model",
    "load_model_file",
    "save_model",
]
