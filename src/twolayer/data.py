"""Data in: file loaders, bundled datasets, the seed's random draws, splitting and scaling.

Everything here turns something outside the program into plain NumPy arrays, or says precisely
why it cannot, with a :class:`~twolayer.errors.DataError` naming the file and, where it applies,
the row and column.  Nothing here trains; ``train`` never knows where its arrays came from.

Sources (``docs/data.md`` shows each from the command line):

* CSV (``.csv``, ``.txt``; tab-separated ``.tsv``): a header row is recognised when none of its
  cells is a number; targets are chosen by header name or column number (counted from 1 as in
  the error messages, negative numbers count from the end; the last column by default).
* a pair of ``.npy`` files (inputs, targets) and ``.npz`` archives holding arrays ``x`` and
  ``y``: read without ever unpickling, with shapes checked against the bytes present.
* datasets that ship inside scikit-learn (no download): ``digits`` (classification, 10
  classes), ``diabetes`` (regression) and ``linnerud`` (3 targets); and ``random``, the seed's
  standard-normal draws (``../shared/seeds/000_a9de79f32e810abc.txt``).

Rows and columns in messages count from 1, as an editor or a spreadsheet shows them; a CSV
row number is the line of the file, the header line included.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from twolayer.errors import ConfigError, DataError, choice_error
from twolayer.files import read_bytes, read_npy, read_npz
from twolayer.model import Params

Task = Literal["regression", "classification"]
FloatArray = NDArray[np.float64]

DATASETS: dict[str, Task] = {
    "random": "regression",
    "digits": "classification",
    "diabetes": "regression",
    "linnerud": "regression",
}
"""Bundled datasets and the task each one poses."""

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
SPLIT_STREAM = 0x7E57  # spawn key of the test-split generator, apart from train's generators


@dataclass(frozen=True)
class Dataset:
    """Inputs and targets, with the names of their columns.

    Attributes
    ----------
    x : float64 array, shape (N, D_in)
    y : array, shape (N, D_out) of float64 targets for regression, (N,) class labels for
        classification, or None when the source holds no targets (data to predict on).
    name : what the data came from (a file name or a dataset name), for messages.
    feature_names : D_in names.
    target_names : D_out names for regression; the one label column's name for classification.
    task : "regression" or "classification".
    """

    x: FloatArray
    y: NDArray[Any] | None
    name: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...] = ()
    task: Task = "regression"

    @property
    def n_samples(self) -> int:
        """N."""
        return int(self.x.shape[0])

    def subset(self, idx: NDArray[np.intp]) -> Dataset:
        """The samples at ``idx``, in that order."""
        y = None if self.y is None else self.y[idx]
        return Dataset(self.x[idx], y, self.name, self.feature_names, self.target_names, self.task)

    def split(self, test_fraction: float, seed: int) -> tuple[Dataset, Dataset | None]:
        """``(train, test)`` by :func:`split_indices`; test is None when the fraction is 0."""
        if test_fraction == 0:
            return self, None
        train_idx, test_idx = split_indices(self.n_samples, test_fraction, seed)
        return self.subset(train_idx), self.subset(test_idx)

    def targets(self) -> NDArray[Any]:
        """``y``; a DataError when the source holds no targets."""
        if self.y is None:
            raise DataError(f"{self.name}: holds no targets")
        return self.y

    def fingerprint(self) -> str:
        """SHA-256 of the inputs and targets, to tell whether data changed since a checkpoint."""
        digest = hashlib.sha256(np.ascontiguousarray(self.x).tobytes())
        if self.y is not None:
            digest.update(np.ascontiguousarray(self.y).tobytes())
        return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# CSV


@dataclass(frozen=True)
class _Table:
    """A CSV file's cells as text: the header (or None) and the rows with their line numbers."""

    path: str
    header: tuple[str, ...] | None
    rows: list[list[str]]
    lines: list[int]

    @property
    def width(self) -> int:
        return len(self.header) if self.header is not None else len(self.rows[0])

    def column_name(self, j: int) -> str:
        """``column 3 ('bmi')`` with a header, ``column 3`` without (counted from 1)."""
        named = f" ({self.header[j]!r})" if self.header is not None else ""
        return f"column {j + 1}{named}"

    def names(self) -> tuple[str, ...]:
        if self.header is not None:
            return self.header
        return tuple(f"column {j + 1}" for j in range(self.width))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv_table(path: str | Path) -> _Table:
    """Read a CSV file's cells, recognising a header and checking every row's width."""
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}: row {line}: not UTF-8 text (byte {exc.start})") from None
    delimiter = "\t" if Path(path).suffix.lower() == ".tsv" else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):  # blank lines are skipped
                rows.append(cells)
                lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"{path}: row {reader.line_num}: {exc}") from None
    if not rows:
        raise DataError(f"{path}: holds no rows")
    header: tuple[str, ...] | None = None
    if not any(_is_number(cell) for cell in rows[0]):
        header = tuple(rows[0])
        rows, lines = rows[1:], lines[1:]
        if not rows:
            raise DataError(f"{path}: holds a header but no data rows")
    width = len(header) if header is not None else len(rows[0])
    for row, line in zip(rows, lines, strict=True):
        if len(row) != width:
            raise DataError(f"{path}: row {line} has {len(row)} columns, expected {width}")
    return _Table(str(path), header, rows, lines)


def _resolve_columns(table: _Table, spec: Sequence[str | int]) -> list[int]:
    """Column indices (from 0) for target names or numbers (from 1; negative from the end)."""
    out: list[int] = []
    for item in spec:
        j = _resolve_column(table, item)
        if j in out:
            raise DataError(f"{table.path}: target {table.column_name(j)} is named twice")
        out.append(j)
    if len(out) >= table.width:
        raise DataError(f"{table.path}: the targets leave no input columns")
    return out


def _resolve_column(table: _Table, item: str | int) -> int:
    if isinstance(item, str) and table.header is not None and item in table.header:
        if table.header.count(item) > 1:
            raise DataError(f"{table.path}: more than one column is named {item!r}")
        return table.header.index(item)
    number: int | None = item if isinstance(item, int) else _as_int(item)
    if number is not None and 1 <= abs(number) <= table.width:
        return number - 1 if number > 0 else table.width + number
    names = ", ".join(repr(n) for n in table.header) if table.header else "none (no header)"
    raise DataError(
        f"{table.path}: unknown target column {item!r}; the file has {table.width} columns "
        f"(numbered 1 to {table.width}, or -1 for the last); names: {names}"
    )


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _numeric(table: _Table, columns: Sequence[int]) -> FloatArray:
    """The chosen columns as float64 (N, len(columns)); a bad cell names its row and column."""
    cells = [[row[j] for j in columns] for row in table.rows]
    try:
        values = np.asarray(cells, dtype=np.float64).reshape(len(cells), len(columns))
    except ValueError:
        values = _numeric_slowly(table, columns)
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        i, k = (int(v) for v in bad[0])
        raise DataError(
            f"{table.path}: row {table.lines[i]}, {table.column_name(columns[k])}: "
            f"{table.rows[i][columns[k]]!r} is not a finite number (NaN or infinite)"
        )
    return values


def _numeric_slowly(table: _Table, columns: Sequence[int]) -> FloatArray:
    """Cell by cell with Python's ``float``, to name the first cell that is not a number."""
    values = np.empty((len(table.rows), len(columns)))
    for i, row in enumerate(table.rows):
        for k, j in enumerate(columns):
            try:
                values[i, k] = float(row[j])
            except ValueError:
                what = "empty" if not row[j] else f"{row[j]!r} is not a number"
                raise DataError(
                    f"{table.path}: row {table.lines[i]}, {table.column_name(j)}: {what}"
                ) from None
    return values


def _labels(table: _Table, column: int) -> NDArray[Any]:
    """One column of class labels: integers, numbers or text, whichever fits every cell."""
    cells = [row[column] for row in table.rows]
    for i, cell in enumerate(cells):
        if not cell:
            raise DataError(f"{table.path}: row {table.lines[i]}, {table.column_name(column)}: "
                            "empty label")  # fmt: skip
    return labels_from_text(cells)


def labels_from_text(cells: Sequence[str]) -> NDArray[Any]:
    """Text labels as integers when all are whole numbers, floats when all are finite numbers,
    else as text."""
    if all(_is_number(c) for c in cells):
        numbers = np.asarray([float(c) for c in cells])
        if np.all(np.isfinite(numbers)):
            if np.all(numbers == np.round(numbers)) and np.all(np.abs(numbers) < 2**53):
                return numbers.astype(np.int64)
            return numbers
    return np.asarray(cells, dtype=str)


def load_csv(
    path: str | Path, target: Sequence[str | int] | None = None, *, task: Task = "regression"
) -> Dataset:
    """Inputs and targets from a CSV file.

    Parameters
    ----------
    path : the file; ``.tsv`` files are tab-separated, others comma-separated.
    target : header names or column numbers (from 1; negative from the end) of the targets;
        default the last column.  Classification takes exactly one, the label column, whose
        cells may be text.
    task : "regression" or "classification".
    """
    table = read_csv_table(path)
    if table.width < 2:
        raise DataError(f"{path}: needs at least two columns (inputs and a target)")
    targets = _resolve_columns(table, list(target) if target else [-1])
    features = [j for j in range(table.width) if j not in targets]
    names = table.names()
    x = _numeric(table, features)
    if task == "classification":
        if len(targets) != 1:
            raise DataError(
                f"{path}: classification takes one label column, got {len(targets)} targets"
            )
        y: NDArray[Any] = _labels(table, targets[0])
    else:
        try:
            y = _numeric(table, targets)
        except DataError as exc:
            if "is not a number" not in str(exc):
                raise
            raise DataError(f"{exc}; class labels need the cross_entropy loss") from None
    return Dataset(
        x, y, str(path), tuple(names[j] for j in features), tuple(names[j] for j in targets), task
    )


def load_csv_inputs(
    path: str | Path, n_features: int, target: Sequence[str | int] | None = None
) -> Dataset:
    """Inputs to predict on: every column when the file has ``n_features`` of them; otherwise
    the columns left after removing ``target`` (default the last), which must be as many."""
    table = read_csv_table(path)
    if table.width != n_features:
        try:
            targets = _resolve_columns(table, list(target) if target else [-1])
        except DataError:
            targets = []
        if table.width - len(targets) != n_features or not targets:
            raise DataError(
                f"{path}: has {table.width} columns; the model expects {n_features} input "
                f"columns{' (plus its target columns)' if target else ''}"
            )
        columns = [j for j in range(table.width) if j not in targets]
    else:
        columns = list(range(table.width))
    names = table.names()
    return Dataset(_numeric(table, columns), None, str(path), tuple(names[j] for j in columns))


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


def load_npz(path: str | Path, *, task: Task = "regression", need_y: bool = True) -> Dataset:
    """Arrays ``x`` (N, D_in) and ``y`` (N, D_out), (N,) or labels, from a ``.npz`` archive."""
    arrays = read_npz(path)
    for name in ("x", "y") if need_y else ("x",):
        if name not in arrays:
            held = ", ".join(sorted(arrays)) or "nothing"
            raise DataError(f"{path}: has no array '{name}' (it holds: {held})")
    y = arrays.get("y") if need_y else None
    return _array_dataset(arrays["x"], y, f"{path}: x", f"{path}: y", str(path), task)


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
    task: Task = "regression",
) -> Dataset:
    """Training or evaluation data from ``paths``: one CSV, one ``.npz``, or two ``.npy``."""
    kind = _file_kind(paths)
    if target and kind != "csv":
        raise ConfigError("--target chooses CSV columns; .npy and .npz files hold x and y")
    if kind == "csv":
        return load_csv(paths[0], target, task=task)
    if kind == "npz":
        return load_npz(paths[0], task=task)
    if len(paths) != 2:
        raise ConfigError(".npy data needs two files: inputs then targets (x.npy y.npy)")
    return load_npy_pair(paths[0], paths[1], task=task)


def load_inputs(
    paths: Sequence[str | Path], n_features: int, target: Sequence[str | int] | None = None
) -> Dataset:
    """Inputs to predict on from one CSV, ``.npz`` (array ``x``) or ``.npy`` file, checked to
    have ``n_features`` columns."""
    kind = _file_kind(paths)
    if len(paths) != 1:
        raise ConfigError("prediction reads one file of inputs")
    if kind == "csv":
        return load_csv_inputs(paths[0], n_features, target)
    data = load_npz(paths[0], need_y=False) if kind == "npz" else load_npy_pair(paths[0], None)
    if data.x.shape[1] != n_features:
        raise DataError(
            f"{paths[0]}: has {data.x.shape[1]} input columns; the model expects {n_features}"
        )
    return data


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
    """A dataset that ships inside scikit-learn: ``digits``, ``diabetes`` or ``linnerud``.

    (``random`` depends on sizes and a seed: use :func:`random_dataset`.)
    """
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
    try:
        import sklearn.datasets
    except ImportError:
        raise ConfigError(
            "the bundled datasets come with scikit-learn: pip install 'twolayer[sklearn]'"
        ) from None
    return sklearn.datasets


def random_dataset(
    seed: int, n: int = 64, d_in: int = 1000, hidden: int = 100, d_out: int = 10
) -> tuple[Dataset, Params]:
    """The seed's draws: standard-normal ``x`` (N, D_in) and ``y`` (N, D_out), and its
    standard-normal weights w1 (D_in, H), w2 (H, D_out), drawn as ``np.random.seed(seed)`` and
    the notebook would."""
    from twolayer.seed import SeedProblem, seed_draws

    x, y, params = seed_draws(seed, SeedProblem(n, d_in, hidden, d_out))
    features = tuple(f"x{j + 1}" for j in range(d_in))
    targets = tuple(f"y{j + 1}" for j in range(d_out))
    return Dataset(x, y, "random", features, targets), params


def load_source(source: dict[str, Any]) -> tuple[Dataset, Params | None]:
    """Load what a source description names; model files keep it so a run can be resumed.

    ``source["kind"]`` is ``"file"`` (``paths``, ``target``, ``task``), ``"dataset"``
    (``name``) or ``"random"`` (``seed``, ``n``, ``d_in``, ``hidden``, ``d_out``).  Returns the
    dataset and, for ``random``, the seed's initial weights.
    """
    kind = source.get("kind")
    if kind == "random":
        sizes = [source[k] for k in ("seed", "n", "d_in", "hidden", "d_out")]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in sizes):
            raise DataError(f"the random dataset's sizes are not integers: {sizes}")
        return random_dataset(*sizes)
    if kind == "dataset":
        return load_dataset(str(source["name"])), None
    if kind == "file":
        task = source.get("task", "regression")
        if task not in ("regression", "classification"):
            raise DataError(f"unknown task {task!r}")
        return load_file(list(source["paths"]), source.get("target"), task=task), None
    raise DataError(f"unknown kind of data source {kind!r}")


# ---------------------------------------------------------------------------------------------
# Splitting and scaling


def split_indices(
    n: int, test_fraction: float, seed: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Seeded split of ``range(n)`` into sorted (train, test) index arrays.

    ``round(n * test_fraction)`` samples (at least one) go to the test set.  The generator is
    seeded from ``seed`` and its own spawn key, so it is independent of the generators that
    :func:`twolayer.train.train` draws from the same seed.
    """
    if not 0 < test_fraction < 1:
        raise ConfigError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n_test = max(1, round(n * test_fraction))
    if n_test >= n:
        raise DataError(f"a test fraction of {test_fraction} leaves no training samples of {n}")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SPLIT_STREAM,)))
    order = rng.permutation(n)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


@dataclass(frozen=True)
class Scaler:
    """Per-column standardisation ``(a - mean) / scale``.

    Attributes
    ----------
    mean : float64 array, shape (D,)
    scale : float64 array, shape (D,); the standard deviation, or 1 for a constant column
    """

    mean: FloatArray
    scale: FloatArray

    @classmethod
    def fit(cls, a: FloatArray) -> Scaler:
        """Statistics of the columns of ``a`` (N, D)."""
        mean = a.mean(axis=0)
        std = a.std(axis=0)
        # A (near) constant column would be divided by ~0: leave its spread alone, as
        # scikit-learn's StandardScaler does.
        tiny = 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
        return cls(mean, np.where(std < tiny, 1.0, std))

    def transform(self, a: FloatArray) -> FloatArray:
        """(N, D) -> (N, D) standardised."""
        return (a - self.mean) / self.scale

    def inverse(self, a: FloatArray) -> FloatArray:
        """(N, D) standardised -> (N, D) in the original units."""
        return a * self.scale + self.mean


@dataclass(frozen=True)
class Preprocessing:
    """How raw data becomes the network's inputs and targets, and outputs become answers.

    Attributes
    ----------
    x_scaler : standardisation of the inputs, or None.
    y_scaler : standardisation of regression targets, or None.
    classes : sorted class labels (C,) for classification, None for regression.
    """

    x_scaler: Scaler | None = None
    y_scaler: Scaler | None = None
    classes: NDArray[Any] | None = None

    @property
    def task(self) -> Task:
        return "regression" if self.classes is None else "classification"

    def inputs(self, x: FloatArray) -> FloatArray:
        """Raw inputs (N, D_in) -> network inputs (N, D_in)."""
        x = np.asarray(x, dtype=np.float64)
        return x if self.x_scaler is None else self.x_scaler.transform(x)

    def targets(self, y: NDArray[Any]) -> FloatArray:
        """Raw targets -> network targets: standardised (N, D_out), or one-hot (N, C) rows."""
        if self.classes is not None:
            return one_hot(label_indices(y, self.classes), len(self.classes))
        y = np.asarray(y, dtype=np.float64)
        return y if self.y_scaler is None else self.y_scaler.transform(y)

    def values(self, outputs: FloatArray) -> FloatArray:
        """Regression outputs (N, D_out) back in the targets' units."""
        return outputs if self.y_scaler is None else self.y_scaler.inverse(outputs)


def fit_preprocessing(
    x: FloatArray, y: NDArray[Any], task: Task = "regression", *, standardize: bool = True
) -> Preprocessing:
    """Statistics of the training data: input scaling, target scaling (regression) or the
    class labels (classification)."""
    x_scaler = Scaler.fit(x) if standardize else None
    if task == "classification":
        return Preprocessing(x_scaler, None, np.unique(y))
    return Preprocessing(x_scaler, Scaler.fit(np.asarray(y, np.float64)) if standardize else None)


def label_indices(y: NDArray[Any], classes: NDArray[Any]) -> NDArray[np.intp]:
    """Position of each label of ``y`` (N,) in the sorted ``classes`` (C,); unknown labels are
    a DataError."""
    y = np.asarray(y)
    if y.dtype.kind != classes.dtype.kind and not (
        y.dtype.kind in "iuf" and classes.dtype.kind in "iuf"
    ):
        raise DataError(f"labels of type {y.dtype} do not match the classes {classes.tolist()}")
    idx = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    unknown = classes[idx] != y
    if np.any(unknown):
        first = y[np.argmax(unknown)].item()
        raise DataError(f"label {first!r} is not one of the classes {classes.tolist()}")
    return idx


def one_hot(idx: NDArray[np.intp], n_classes: int) -> FloatArray:
    """Indices (N,) -> one-hot rows (N, C)."""
    out = np.zeros((len(idx), n_classes))
    out[np.arange(len(idx)), idx] = 1.0
    return out


__all__ = [
    "DATASETS",
    "Dataset",
    "Preprocessing",
    "Scaler",
    "fit_preprocessing",
    "label_indices",
    "load_csv",
    "load_dataset",
    "load_file",
    "load_inputs",
    "load_npy_pair",
    "load_npz",
    "load_source",
    "one_hot",
    "random_dataset",
    "split_indices",
]
