"""Where data comes from: ``.npy`` pairs, ``.npz`` archives, CSV files, the bundled datasets
and the seed's random draws, and the source descriptions that model files keep.

* a pair of ``.npy`` files (inputs, targets) and ``.npz`` archives holding arrays ``x`` and
  ``y``: read without ever unpickling, with shapes checked against the bytes present.
* CSV files (``.csv``, ``.txt``; tab-separated ``.tsv``): :mod:`twolayer.data.csv`.
* datasets that ship inside scikit-learn (no download): ``digits`` (classification, 10
  classes), ``diabetes`` (regression) and ``linnerud`` (3 targets); and ``random``, the seed's
  standard-normal draws (:mod:`twolayer.data.classic`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import import_optional
from twolayer.data.classic import SeedProblem, seed_draws
from twolayer.data.columns import MISSING_WORDS
from twolayer.data.csv import CSV_SUFFIXES
from twolayer.data.prep import Dataset, FloatArray, Task
from twolayer.data.table import load_for_model, load_table
from twolayer.errors import ConfigError, DataError, choice_error
from twolayer.io.files import read_npy, read_npz
from twolayer.nn.model import Params

DATASETS: dict[str, Task] = {
    "random": "regression",
    "digits": "classification",
    "diabetes": "regression",
    "linnerud": "regression",
    "penguins": "classification",
}
"""Bundled datasets and the task each one poses."""

TABLES: dict[str, tuple[str, str]] = {"penguins": ("penguins.csv", "Species")}
"""Bundled raw tables, read as a ``--data`` file is: each one's file in ``twolayer/data/tables``
and its target column.  ``penguins`` is the Palmer Station penguin table as its authors
published it (Gorman, Williams and Fraser, 2014; CC0 public domain, from the palmerpenguins
package): text, yes/no, date and number columns with missing cells."""


def table_file(name: str) -> Path | None:
    """The file of the bundled raw table ``name``, or None when ``name`` is not one."""
    if name not in TABLES:
        return None
    return Path(__file__).resolve().parent / "tables" / TABLES[name][0]


@dataclasses.dataclass(frozen=True)
class BundledDataset:
    """What ``twolayer datasets`` lists of a bundled dataset, known without loading it (the
    tests hold each field to the loaded data)."""

    name: str
    samples: int
    inputs: int
    targets: tuple[str, ...]
    classes: int = 0  # for classification: how many classes the one target column holds

    @property
    def task(self) -> Task:
        return DATASETS[self.name]


BUNDLED = (
    BundledDataset("diabetes", 442, 10, ("progression",)),  # a year after baseline
    BundledDataset("digits", 1797, 64, ("digit",), classes=10),  # 8x8 images, 16 grey levels
    BundledDataset("linnerud", 20, 3, ("Weight", "Waist", "Pulse")),  # from 3 exercises
    BundledDataset("penguins", 344, 14, ("Species",), classes=3),  # a raw table, 2 columns unused
)
"""The bundled datasets, in the order they are listed: a raw table (:data:`TABLES`) and the
datasets that ship inside scikit-learn."""


# ---------------------------------------------------------------------------------------------
# .npy pairs and .npz archives


def _check_array(a: NDArray[Any], where: str, *, ndim: tuple[int, ...]) -> FloatArray:
    """A numeric array as float64 of one of the ``ndim`` dimensions, every value finite."""
    if a.ndim not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise DataError(f"{where}: must be {want}, got shape {a.shape}")
    values = a.astype(np.float64)
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        names = ("row", "column")[: values.ndim]
        at = ", ".join(f"{n} {int(i) + 1}" for n, i in zip(names, bad[0], strict=True))
        raise DataError(f"{where}: {at}: {values[tuple(bad[0])]} is not a finite number")
    return values


def _targets(y: NDArray[Any], where: str, task: Task, n: int, x_where: str) -> NDArray[Any]:
    if task == "classification":
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise DataError(f"{where}: class labels must be 1-D, got shape {y.shape}")
        labels = _check_array(y, where, ndim=(1,))
        out: NDArray[Any] = labels.astype(np.int64) if y.dtype.kind in "biu" else labels
    else:
        out = _check_array(y, where, ndim=(1, 2))
        if out.ndim == 2 and out.shape[1] == 0:
            raise DataError(f"{where}: has no target columns (shape {out.shape})")
        out = out.reshape(len(out), -1)
    if len(out) != n:
        raise DataError(f"{x_where} has {n} rows but {where} has {len(out)}")
    return out


def _array_dataset(
    x: NDArray[Any], y: NDArray[Any] | None, x_where: str, y_where: str, name: str, task: Task
) -> Dataset:
    xs = _check_array(x, x_where, ndim=(2,))
    if xs.shape[0] == 0 or xs.shape[1] == 0:
        raise DataError(f"{x_where}: has no samples or no features (shape {xs.shape})")
    ys = None if y is None else _targets(y, y_where, task, xs.shape[0], x_where)
    features = tuple(f"x{j + 1}" for j in range(xs.shape[1]))
    targets: tuple[str, ...] = ()
    if ys is not None:
        targets = ("y",) if ys.ndim == 1 else tuple(f"y{j + 1}" for j in range(ys.shape[1]))
    return Dataset(xs, ys, name, features, targets, task)


def load_npz(
    path: str | Path, *, task: Task = "regression", need_y: bool = True, weight: str | None = None
) -> Dataset:
    """Arrays ``x`` (N, D_in) and ``y`` (N, D_out), (N,) or labels, from a ``.npz`` archive, and
    the sample weights (N,) of the array named ``weight`` when given."""
    arrays = read_npz(path)
    for name in ("x", "y", *(() if weight is None else (weight,))) if need_y else ("x",):
        if name not in arrays:
            held = ", ".join(sorted(arrays)) or "nothing"
            raise DataError(f"{path}: has no array '{name}' (it holds: {held})")
    y = arrays.get("y") if need_y else None
    data = _array_dataset(arrays["x"], y, f"{path}: x", f"{path}: y", str(path), task)
    if weight is None:
        return data
    w = arrays[weight]
    if w.shape != (data.n_samples,) or w.dtype.kind not in "iuf":
        raise DataError(f"{path}: {weight} must hold one number per sample, shape "
                        f"({data.n_samples},); got {w.dtype} {w.shape}")  # fmt: skip
    return dataclasses.replace(data, weight=w.astype(np.float64))


def load_npy_pair(
    x_path: str | Path, y_path: str | Path | None, *, task: Task = "regression"
) -> Dataset:
    """Inputs from one ``.npy`` file and targets from another (or none)."""
    x = read_npy(x_path)
    y = None if y_path is None else read_npy(y_path)
    name = str(x_path) if y_path is None else f"{x_path} + {y_path}"
    return _array_dataset(x, y, str(x_path), str(y_path), name, task)


def load_file(
    paths: Sequence[str | Path],
    target: Sequence[str | int] | None = None,
    *,
    task: Task | None = None,
    weight: str | None = None,
    **table: Any,
) -> Dataset:
    """Training or evaluation data from ``paths``: one CSV, one ``.npz``, or two ``.npy``;
    ``weight`` names the CSV column or the ``.npz`` array of sample weights.  A CSV file is
    read as a table (:func:`twolayer.data.table.load_table`, which takes ``table``'s options:
    ``features``, ``ignore``, ``categorical``, ``na_values``), its task guessed from the target
    when ``task`` is None; arrays are regression unless ``task`` says otherwise."""
    kind = _file_kind(paths)
    if kind != "csv":
        if target:
            raise ConfigError("--target chooses CSV columns; .npy and .npz files hold x and y")
        chosen = [f"--{k.replace('_', '-')}" for k, v in table.items() if v]
        if chosen:
            raise ConfigError(f"{', '.join(chosen)}: choose CSV columns; .npy and .npz files "
                              "hold x and y")  # fmt: skip
    if kind == "csv":
        return load_table(paths[0], target, task=task, weight=weight, **table)
    task = task or "regression"
    if kind == "npz":
        return load_npz(paths[0], task=task, weight=weight)
    if weight is not None:
        raise ConfigError("--sample-weight names a CSV column or an .npz array, not a .npy file")
    if len(paths) != 2:
        raise ConfigError(".npy data needs two files: inputs then targets (x.npy y.npy)")
    return load_npy_pair(paths[0], paths[1], task=task)


def load_inputs(
    paths: Sequence[str | Path],
    inputs: Sequence[str],
    targets: Sequence[str] = (),
    *,
    encoded: bool = False,
    missing: frozenset[str] = MISSING_WORDS,
    task: Task = "regression",
    keep: Sequence[str | int] = (),
) -> tuple[Dataset, tuple[tuple[str, ...], NDArray[Any]] | None]:
    """Data for a trained model with the input columns ``inputs`` (and, to score it, the target
    columns ``targets``): a CSV file's columns matched by name
    (:func:`twolayer.data.table.load_for_model`), or an ``.npz`` (arrays ``x``, ``y``) or
    ``.npy`` file's; and the ``keep`` columns' cells to copy beside the predictions (CSV)."""
    kind = _file_kind(paths)
    if len(paths) != 1 and not (targets and kind == "npy"):
        raise ConfigError("a model's data is one file (or, with targets, two .npy files)")
    if kind == "csv":
        return load_for_model(paths[0], inputs, targets, encoded=encoded, missing=missing,
                              task=task, keep=keep)  # fmt: skip
    if keep:
        raise ConfigError("--keep copies CSV columns; .npy and .npz files hold x and y")
    if targets:
        data = load_file(paths, task=task)
    elif kind == "npz":
        data = load_npz(paths[0], need_y=False)
    else:
        data = load_npy_pair(paths[0], None)
    if data.x.shape[1] != len(inputs):
        raise DataError(
            f"{paths[0]}: has {data.x.shape[1]} input columns; the model expects {len(inputs)}"
        )
    return data, None


def _file_kind(paths: Sequence[str | Path]) -> str:
    if not 1 <= len(paths) <= 2:
        raise ConfigError(f"expected one or two data files, got {len(paths)}")
    suffixes = {Path(p).suffix.lower() for p in paths}
    if len(paths) == 2 and suffixes != {".npy"}:
        raise ConfigError("two data files must both be .npy (inputs then targets)")
    suffix = suffixes.pop()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in (".npz", ".npy"):
        return suffix[1:]
    raise ConfigError(
        f"{paths[0]}: unknown file type {suffix or '(none)'!r}; use .csv, .tsv, .npz or .npy"
    )


# ---------------------------------------------------------------------------------------------
# Bundled datasets


def load_dataset(name: str) -> Dataset:
    """A bundled dataset: the raw table ``penguins`` (its cells unencoded, as
    :func:`~twolayer.data.table.load_table` reads a file), or one that ships inside
    scikit-learn: ``digits``, ``diabetes`` or ``linnerud``.

    (``random`` depends on sizes and a seed: use :func:`random_dataset`.)
    """
    path = table_file(name)
    if path is not None:
        return dataclasses.replace(load_table(path, TABLES[name][1]), name=name)
    loaders: dict[str, Callable[[], Any]] = {
        "digits": lambda: _sklearn_datasets().load_digits(),
        "diabetes": lambda: _sklearn_datasets().load_diabetes(),
        "linnerud": lambda: _sklearn_datasets().load_linnerud(),
    }
    if name not in loaders:
        raise choice_error("dataset", name, DATASETS)
    bunch = loaders[name]()
    x = np.asarray(bunch.data, dtype=np.float64)
    task = DATASETS[name]
    if task == "classification":
        return Dataset(x, np.asarray(bunch.target), name, tuple(bunch.feature_names), ("digit",),
                       task)  # fmt: skip
    y = np.asarray(bunch.target, dtype=np.float64).reshape(len(x), -1)
    names = getattr(bunch, "target_names", None)
    targets = tuple(str(t) for t in names) if names is not None else ("progression",)
    return Dataset(x, y, name, tuple(str(f) for f in bunch.feature_names), targets, task)


def _sklearn_datasets() -> Any:
    return import_optional("sklearn.datasets", "scikit-learn", "sklearn")


def random_dataset(
    seed: int, n: int = 64, d_in: int = 1000, hidden: int = 100, d_out: int = 10
) -> tuple[Dataset, Params]:
    """The seed's draws: standard-normal ``x`` (N, D_in) and ``y`` (N, D_out), and its
    standard-normal weights w1 (D_in, H), w2 (H, D_out), drawn as ``np.random.seed(seed)`` and
    the notebook would."""
    x, y, params = seed_draws(seed, SeedProblem(n, d_in, hidden, d_out))
    features = tuple(f"x{j + 1}" for j in range(d_in))
    targets = tuple(f"y{j + 1}" for j in range(d_out))
    return Dataset(x, y, "random", features, targets), params


__all__ = [
    "BUNDLED",
    "DATASETS",
    "TABLES",
    "BundledDataset",
    "Dataset",
    "load_dataset",
    "load_file",
    "load_inputs",
    "load_npy_pair",
    "load_npz",
    "random_dataset",
    "table_file",
]
