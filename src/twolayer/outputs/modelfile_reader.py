"""Reading a model file back, checking everything before it is trusted.

Loading never unpickles (object arrays are refused before anything of them is read, by
:class:`twolayer.io.files.Npz`).  The metadata is read first; every array's header is then checked
against it (shape, data type) before the array's data are inflated, so a small file cannot
expand into gigabytes.  Every field that predicting or resuming uses is checked for its type,
its range and its agreement with the others, and a truncated, corrupted, edited or
newer-format file is a :class:`~twolayer.errors.ModelFileError` that names the file and the
field.  The layout is :mod:`twolayer.outputs.modelfile`'s.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.config import TrainConfig
from twolayer.data.encoding import TableEncoding
from twolayer.data.prep import Preprocessing, Scaler
from twolayer.errors import ConfigError, ModelFileError, TwoLayerError
from twolayer.io.files import Npz, open_npz
from twolayer.nn.activations import ACTIVATIONS
from twolayer.nn.losses import LOSSES
from twolayer.nn.model import Params
from twolayer.nn.optim import make_optimizer
from twolayer.outputs.history import Row, iteration_number
from twolayer.outputs.modelfile import (
    CLASS_KINDS,
    FORMAT,
    FORMAT_VERSION,
    PARAM_NAMES,
    ModelFile,
    decode_float,
)
from twolayer.outputs.trained import Model
from twolayer.state import EarlyStopping, TrainState

FLOATS = ("float64", "float32")
"""The data types of weights: a model is trained in one of them."""
METADATA_LIMIT = 256 * 2**20
"""The most bytes the metadata's text may take (it holds names and settings, not data)."""


def load_model(path: str | Path) -> Model:
    """The model in a model file (see :func:`load_model_file`)."""
    return load_model_file(path).model


def load_model_file(path: str | Path) -> ModelFile:
    """Read and check a model file; any problem is a :class:`ModelFileError` naming it."""
    with open_npz(path, ModelFileError) as npz:
        return _Reader(str(path), npz).read()


class _Reader:
    """Checks a model file's metadata and arrays against each other while rebuilding it."""

    def __init__(self, path: str, npz: Npz) -> None:
        self.path, self.npz = path, npz
        self.meta = self._metadata()

    def fail(self, message: str) -> ModelFileError:
        return ModelFileError(f"{self.path}: {message}")

    def _metadata(self) -> dict[str, Any]:
        if "metadata" not in self.npz:
            raise self.fail("not a twolayer model file (no metadata)")

        def one_text(shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
            if shape != ():
                raise self.fail(f"metadata must be one text, got shape {shape}")

        raw = self.npz.read("metadata", "U", one_text, METADATA_LIMIT)
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

    def array(
        self, name: str, shape: tuple[int, ...], dtypes: tuple[str, ...] = FLOATS
    ) -> NDArray[Any]:
        """The array ``name``, its header checked before its data are read: of ``shape`` and
        one of the ``dtypes``, every value finite."""
        if name not in self.npz:
            raise self.fail(f"array '{name}' is missing")

        def expected(found: tuple[int, ...], dtype: np.dtype[Any]) -> None:
            if found != shape:
                raise self.fail(f"array '{name}' has shape {found}, expected {shape}")
            if dtype.name not in dtypes:
                raise self.fail(f"array '{name}' has data type {dtype}, expected "
                                f"{' or '.join(dtypes)}")  # fmt: skip

        a = self.npz.read(name, check=expected)
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
        w1 = self.array("w1", shapes["w1"])
        same = (w1.dtype.name,)  # every weight and buffer in the weights' one dtype
        params = Params(w1, *(self.array(n, shapes[n], same) for n in names[1:]))
        activation = self.get("activation", str, "text")
        loss = self.get("loss", str, "text")
        if activation not in ACTIVATIONS or loss not in LOSSES:
            raise self.fail(f"unknown activation {activation!r} or loss {loss!r}")
        config = self._config()
        if config is not None:
            self._agrees(config, {"hidden": hidden, "bias": bias, "activation": activation,
                                  "dtype": w1.dtype.name})  # fmt: skip
        model = Model(
            params,
            activation,
            loss,
            self._preprocessing(d_in, d_out),
            config,
            self._names("feature_names", d_in),
            self._names("target_names", None),
            self._dict("summary") or {},
            self._dict("source"),
        )
        state = self._state(params, shapes, config)
        history = self._history(state)
        losses = tuple(float(r["loss"]) for r in history if r.get("loss") is not None)
        return ModelFile(dataclasses.replace(model, losses=losses), state, history)

    def _agrees(self, config: TrainConfig, found: dict[str, Any]) -> None:
        """The training configuration describes the network the file holds."""
        for key, value in found.items():
            if getattr(config, key) != value:
                raise self.fail(f"metadata field 'config.{key}' is {getattr(config, key)!r} but "
                                f"the network has {value!r}")  # fmt: skip

    def _preprocessing(self, d_in: int, d_out: int) -> Preprocessing:
        flags = self._standardized()
        x_scaler = self._scaler("x", d_in) if flags["x"] else None
        encoding = self._encoding(d_in)
        task = self.get("task", str, "text")
        if task in ("classification", "multilabel"):
            if flags["y"]:
                raise self.fail("metadata field 'standardized.y' is true for class labels")
            classes = self._classes(d_out)
            return Preprocessing(x_scaler, None, classes, multilabel=task == "multilabel",
                                 encoding=encoding)  # fmt: skip
        if task != "regression":
            raise self.fail(f"unknown task {task!r}")
        y_scaler = self._scaler("y", d_out) if flags["y"] else None
        return Preprocessing(x_scaler, y_scaler, None, encoding=encoding)

    def _encoding(self, d_in: int) -> TableEncoding | None:
        """A table's encoding (format 2), checked field by field and against D_in."""
        raw = self.meta.get("encoding")
        if raw is None:
            return None
        try:
            encoding = TableEncoding.from_dict(raw)
        except (ValueError, TypeError) as exc:
            raise self.fail(f"metadata field 'encoding': {exc}") from None
        if len(encoding.feature_names) != d_in:
            raise self.fail(f"metadata field 'encoding' makes {len(encoding.feature_names)} "
                            f"inputs but the network has {d_in}")  # fmt: skip
        return encoding

    def _standardized(self) -> dict[str, bool]:
        """Which scalings the file holds: ``{"x": bool, "y": bool}``, each agreeing with the
        arrays present (a scaling is never dropped or invented silently)."""
        flags = self._dict("standardized")
        if flags is None or set(flags) != {"x", "y"}:
            raise self.fail("metadata field 'standardized' must be an object with keys x and y")
        for key in ("x", "y"):
            if not isinstance(flags[key], bool):
                raise self.fail(f"metadata field 'standardized.{key}' must be true or false, "
                                f"got {flags[key]!r}")  # fmt: skip
            for part in ("mean", "scale"):
                if not flags[key] and f"{key}_{part}" in self.npz:
                    raise self.fail(f"array '{key}_{part}' is present but metadata field "
                                    f"'standardized.{key}' is false")  # fmt: skip
        return flags

    def _scaler(self, prefix: str, size: int) -> Scaler:
        mean = self.array(f"{prefix}_mean", (size,), ("float64",))
        scale = self.array(f"{prefix}_scale", (size,), ("float64",))
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
            return TrainConfig.from_dict({k: decode_float(v) for k, v in data.items()})
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

    def _state(
        self, params: Params, shapes: dict[str, tuple[int, ...]], config: TrainConfig | None
    ) -> TrainState | None:
        meta = self._dict("state")
        if meta is None:
            return None
        try:
            return self._state_from(meta, params, shapes, config)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, TwoLayerError):
                raise
            raise self.fail(f"the training state is invalid ({_describe(exc)})") from None

    def _state_from(
        self, meta: dict[str, Any], params: Params, shapes: dict[str, tuple[int, ...]],
        config: TrainConfig | None,
    ) -> TrainState:  # fmt: skip
        names = list(params.named())
        dtype = (params.w1.dtype.name,)

        def like_params(prefix: str) -> Params:
            return Params(**{n: self.array(f"{prefix}.{n}", shapes[n], dtype) for n in names})

        buffers = meta["optimizer_buffers"]
        if not isinstance(buffers, list) or not all(isinstance(b, str) for b in buffers):
            raise self.fail("the training state's optimizer buffers are not a list of names")
        if config is not None and sorted(buffers) != (wanted := _buffers(config.optimizer, params)):
            raise self.fail(f"the training state holds the optimizer buffers {sorted(buffers)}; "
                            f"metadata field 'config.optimizer' {config.optimizer!r} keeps "
                            f"{wanted}")  # fmt: skip

        def tracker(fields: dict[str, Any], prefix: str) -> EarlyStopping:
            if not isinstance(fields["has_params"], bool):
                raise TypeError(f"has_params is {fields['has_params']!r}, not true or false")
            return EarlyStopping(
                best_loss=decode_float(fields["best_loss"], strict=True),
                best_iteration=_int(fields["best_iteration"], -1),
                best_params=like_params(prefix) if fields["has_params"] else None,
                wait=_int(fields["wait"]),
            )

        early = tracker(meta["early"], "early")
        # Files written before the convergence test existed start it afresh.
        convergence = tracker(meta["convergence"], "") if "convergence" in meta else None
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
            schedule_state={k: decode_float(v, strict=True) for k, v in schedule.items()},
            early=early,
            convergence=convergence or EarlyStopping(),
            first_loss=None if first is None else decode_float(first, strict=True),
        )

    def _history(self, state: TrainState | None) -> list[Row]:
        columns = self.meta.get("history_columns")
        if columns is None:
            return []
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise self.fail("metadata field 'history_columns' is not a list of names")
        if "history" not in self.npz:
            raise self.fail("array 'history' is missing")
        most = None if state is None else state.iteration  # one row per iteration run

        def table_of_rows(shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
            if len(shape) != 2 or shape[1] != len(columns) or dtype.kind != "f":
                raise self.fail(f"array 'history' has shape {shape} for {len(columns)} columns")
            if most is not None and shape[0] > most:
                raise self.fail(f"array 'history' has {shape[0]} rows for {most} iterations")

        table = self.npz.read("history", check=table_of_rows)
        rows = [
            {c: (None if math.isnan(v) else v) for c, v in zip(columns, r, strict=True)}
            for r in table.tolist()
        ]
        for i, row in enumerate(rows, start=1):
            if "iteration" in row:
                iteration = iteration_number(row["iteration"])
                if iteration is None:
                    raise self.fail(f"array 'history', row {i}: the iteration "
                                    f"{row['iteration']} is not a whole number >= 0")  # fmt: skip
                row["iteration"] = iteration
        return rows


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(value: Any, smallest: int = 0) -> int:
    if not _is_int(value) or value < smallest:
        raise TypeError(f"{value!r} is not a count from {smallest}")
    return int(value)


def _buffers(optimizer: str, params: Params) -> list[str]:
    """The buffers that ``optimizer`` keeps in a training state (none for gd and lbfgs)."""
    if optimizer == "lbfgs":
        return []
    return sorted(make_optimizer(optimizer).init(params.map(lambda p: p[:0])))


def _check_rng_state(rng_state: Any) -> None:
    if not isinstance(rng_state, dict):
        raise TypeError("rng_state is not an object")
    try:
        np.random.default_rng().bit_generator.state = rng_state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise TypeError(f"the shuffling generator's state is invalid: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if isinstance(exc, KeyError) else str(exc)


__all__ = ["load_model", "load_model_file"]
