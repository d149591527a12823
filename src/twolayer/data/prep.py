"""Data ready for the network: the dataset type, standardisation and labels.

Nothing here reads a file: :mod:`twolayer.data.csv` and :mod:`twolayer.data.datasets` make the
:class:`Dataset`; :mod:`twolayer.data.splits` draws its training and held-out (test or
validation) samples; this module turns its raw values into the network's inputs and targets
and the network's outputs back into answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import is_sparse
from twolayer.data.columns import MISSING_WORDS, Column
from twolayer.data.encoding import TableEncoding
from twolayer.data.splits import split_indices
from twolayer.errors import DataError

Task = Literal["regression", "classification", "multilabel"]
"""``multilabel``: K independent yes/no labels per sample, as a 0/1 indicator matrix (N, K)."""
FloatArray = NDArray[np.float64]


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
    task : "regression", "classification" or "multilabel".
    weight : float64 array (N,) of sample weights, or None (every sample counts once).
    columns : for a table (:mod:`twolayer.data.table`), its input columns: then ``x`` holds
        their raw cells (N, len(columns)), text, or floats with NaN where a cell is missing
        when every column is a number column; the network's inputs come from an encoding
        fitted on the training rows (:class:`Preprocessing`).  None: ``x`` is the inputs.
    missing : the words read as a missing cell in ``x`` (lower case).
    rows : each sample's row in its file (its line, counted from 1), or None.
    notes : what reading the data decided that its user should know (columns ignored, rows
        dropped, stray cells read as missing).
    """

    x: NDArray[Any]
    y: NDArray[Any] | None
    name: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...] = ()
    task: Task = "regression"
    weight: FloatArray | None = None
    columns: tuple[Column, ...] | None = None
    missing: frozenset[str] = MISSING_WORDS
    rows: NDArray[np.intp] | None = None
    notes: tuple[str, ...] = ()

    @property
    def n_samples(self) -> int:
        """N."""
        return int(self.x.shape[0])

    def subset(self, idx: NDArray[np.intp]) -> Dataset:
        """The samples at ``idx``, in that order."""

        def pick(a: NDArray[Any] | None) -> Any:
            return None if a is None else a[idx]

        return dataclasses.replace(self, x=self.x[idx], y=pick(self.y), weight=pick(self.weight),
                                   rows=pick(self.rows))  # fmt: skip

    def split(self, test_fraction: float, seed: int) -> tuple[Dataset, Dataset | None]:
        """``(train, test)`` (:data:`PARTS`) by :func:`split_indices`; test is None when the
        fraction is 0."""
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
        import hashlib  # on first use: it costs ~4 ms of start-up

        digest = hashlib.sha256(_bytes_of(self.x))
        if self.y is not None:
            digest.update(_bytes_of(self.y))
        if self.weight is not None:
            digest.update(np.ascontiguousarray(self.weight).tobytes())
        return digest.hexdigest()


def _bytes_of(a: NDArray[Any]) -> bytes:
    """An array's values as bytes: its memory, or for text cells (an object array) the cells
    written out, one row a line."""
    if a.dtype != object:
        return np.ascontiguousarray(a).tobytes()
    rows = a.reshape(len(a), -1).tolist()
    return "\n".join("\x1f".join("\x00" if c is None else str(c) for c in r) for r in rows).encode()


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
    def fit(cls, a: Any, weight: NDArray[Any] | None = None, names: Sequence[str] = ()) -> Scaler:
        """Statistics of the columns of ``a`` (N, D), each row counting ``weight`` (N,) times
        when given (so integer weights give the statistics of repeated rows).  A SciPy sparse
        ``a`` is scaled but not centred (its mean is taken as 0, as scikit-learn's
        ``StandardScaler(with_mean=False)``), so its zeros stay zeros and it stays sparse."""
        with np.errstate(over="ignore", invalid="ignore"):  # _spread names a column that overflows
            return cls._fit(a, weight, names)

    @classmethod
    def _fit(cls, a: Any, weight: NDArray[Any] | None, names: Sequence[str]) -> Scaler:
        if is_sparse(a):
            w = np.ones(a.shape[0]) if weight is None else np.asarray(weight, np.float64)
            first = np.asarray(a.T @ w).ravel() / w.sum()  # (D,) weighted means
            second = np.asarray(a.multiply(a).T @ w).ravel() / w.sum()
            std = np.sqrt(np.maximum(second - first**2, 0.0))
            return cls(np.zeros(a.shape[1]), _spread(std, first, names))
        a = np.asarray(a)
        mean = a.mean(axis=0) if weight is None else np.average(a, axis=0, weights=weight)
        total = a.shape[0] if weight is None else np.sum(weight)
        std = np.sqrt(_squares_about(a, mean, weight) / total)
        return cls(mean, _spread(std, mean, names))

    def transform(self, a: Any) -> Any:
        """(N, D) -> (N, D) standardised (sparse stays sparse: its mean is 0)."""
        if is_sparse(a):
            return (a @ _diagonal(1.0 / self.scale)).tocsr()
        out = np.subtract(a, self.mean)  # (a - mean) / scale, in one new array
        return np.divide(out, self.scale, out=out)

    def inverse(self, a: FloatArray) -> FloatArray:
        """(N, D) standardised -> (N, D) in the original units."""
        return a * self.scale + self.mean


SQUARES_BLOCK = 2048
"""Rows at a time of :func:`_squares_about`: a block of centred rows stays in the cache,
where centring the whole array first would write (and fault in) a copy of it."""


def _squares_about(a: FloatArray, mean: FloatArray, weight: NDArray[Any] | None) -> FloatArray:
    """Each column's sum of squared distances from its ``mean`` (D,), every row of ``a`` (N, D)
    counting ``weight`` (N,) times when given: (D,).  Block by block of rows, so it reads
    ``a`` once and allocates one block (``np.std`` centres a whole copy of ``a`` first)."""
    total = np.zeros(a.shape[1])
    block = np.empty((min(SQUARES_BLOCK, a.shape[0]), a.shape[1]))
    for start in range(0, a.shape[0], SQUARES_BLOCK):
        rows = a[start : start + SQUARES_BLOCK]
        centred = block[: rows.shape[0]]
        np.subtract(rows, mean, out=centred)
        if weight is None:
            total += np.einsum("ij,ij->j", centred, centred)
        else:
            part = weight[start : start + SQUARES_BLOCK]
            total += np.einsum("i,ij,ij->j", part, centred, centred)
    return total


def _spread(std: FloatArray, mean: FloatArray, names: Sequence[str] = ()) -> FloatArray:
    """The scale of each column: its standard deviation, or 1 for a (near) constant column; a
    DataError naming the first column whose statistics overflow (by its name in ``names``)."""
    bad = np.flatnonzero(~(np.isfinite(std) & np.isfinite(mean)))
    if bad.size:
        k = int(bad[0])
        name = f"column {k + 1}" + (f" ({names[k]!r})" if k < len(names) else "")
        raise DataError(
            f"{name}: its values are too large to standardise: their mean or spread "
            "overflows float64; rescale the data"
        )
    # A (near) constant column would be divided by ~0: leave its spread alone, as
    # scikit-learn's StandardScaler does.
    tiny = 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
    spread: FloatArray = np.where(std < tiny, 1.0, std)
    return spread


def _diagonal(values: FloatArray) -> Any:
    import scipy.sparse  # present: the data is already a SciPy sparse matrix

    return scipy.sparse.diags(values)


@dataclass(frozen=True)
class Preprocessing:
    """How raw data becomes the network's inputs and targets, and outputs become answers.

    Attributes
    ----------
    x_scaler : standardisation of the inputs, or None.
    y_scaler : standardisation of regression targets, or None.
    classes : sorted class labels (C,) for classification, the label columns ``0..K-1`` for
        multilabel classification, None for regression.
    multilabel : whether the targets are a 0/1 indicator matrix (N, K).
    encoding : for a table, how its raw columns become numbers (before ``x_scaler``), or None.
    """

    x_scaler: Scaler | None = None
    y_scaler: Scaler | None = None
    classes: NDArray[Any] | None = None
    multilabel: bool = False
    encoding: TableEncoding | None = None

    @property
    def task(self) -> Task:
        if self.multilabel:
            return "multilabel"
        return "regression" if self.classes is None else "classification"

    def inputs(self, x: Any, notes: list[str] | None = None) -> Any:
        """Raw inputs (N, D_in) -> network inputs (N, D_in), float64 (SciPy sparse stays
        sparse); a table's raw rows (N, columns) are encoded first (``notes``: see
        :meth:`TableEncoding.transform`)."""
        if self.encoding is not None:
            x = self.encoding.transform(np.asarray(x), notes)
        x = x.astype(np.float64) if is_sparse(x) else as_numbers(x)
        return x if self.x_scaler is None else self.x_scaler.transform(x)

    def targets(self, y: NDArray[Any]) -> FloatArray:
        """Raw targets -> network targets: standardised (N, D_out), one-hot (N, C) rows, or the
        0/1 indicator (N, K) as floats."""
        if self.multilabel:
            return indicator(y, len(self.classes) if self.classes is not None else None)
        if self.classes is not None:
            return one_hot(label_indices(y, self.classes), len(self.classes))
        y = np.asarray(y, dtype=np.float64)
        return y if self.y_scaler is None else self.y_scaler.transform(y)

    def values(self, outputs: FloatArray) -> FloatArray:
        """Regression outputs (N, D_out) back in the targets' units."""
        return outputs if self.y_scaler is None else self.y_scaler.inverse(outputs)


def as_numbers(x: Any) -> FloatArray:
    """``x`` as float64; a DataError naming a cell when it holds text that is not a number
    (a model trained on numbers has no encoding to read text with)."""
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        cells = np.asarray(x, dtype=object)
        for index, cell in np.ndenumerate(cells):
            try:
                float(cell)
            except (TypeError, ValueError):
                at = ", ".join(str(i) for i in index)
                raise DataError(
                    f"x[{at}] is {cell!r}, not a number: this model was trained on "
                    "numbers (a table's model reads text columns)"
                ) from None
        raise


def fit_preprocessing(
    x: Any, y: NDArray[Any], task: Task = "regression", *, standardize: bool = True,
    weight: NDArray[Any] | None = None, columns: Sequence[Column] | None = None,
    missing: frozenset[str] = MISSING_WORDS, feature_names: Sequence[str] = (),
    target_names: Sequence[str] = (),
) -> Preprocessing:  # fmt: skip
    """Statistics of the training data, weighted by ``weight`` (N,) when given: input scaling,
    target scaling (regression), the class labels (classification) or the label columns
    (multilabel); for a table's raw rows (``columns``), its encoding first.  The names name a
    column whose statistics overflow in the error."""
    encoding = None if columns is None else TableEncoding.fit(np.asarray(x), columns, missing)
    if encoding is not None:
        x = encoding.transform(np.asarray(x))
    prep = _fit_numbers(x, y, task, standardize, weight,
                        encoding.feature_names if encoding is not None else feature_names,
                        target_names)  # fmt: skip
    if encoding is None:
        return prep
    scaler = prep.x_scaler
    if scaler is not None:  # 0/1 inputs and points on a circle keep their values
        kept = ~encoding.scaled
        scaler = Scaler(np.where(kept, 0.0, scaler.mean), np.where(kept, 1.0, scaler.scale))
    return dataclasses.replace(prep, encoding=encoding, x_scaler=scaler)


def _fit_numbers(
    x: Any, y: NDArray[Any], task: Task, standardize: bool, weight: NDArray[Any] | None,
    x_names: Sequence[str] = (), y_names: Sequence[str] = (),
) -> Preprocessing:  # fmt: skip
    x_scaler = Scaler.fit(x, weight, x_names) if standardize else None
    if task == "multilabel":
        k = indicator(y).shape[1]
        return Preprocessing(x_scaler, None, np.arange(k), multilabel=True)
    if task == "classification":
        return Preprocessing(x_scaler, None, np.unique(y))
    y_scaler = Scaler.fit(np.asarray(y, np.float64), weight, y_names) if standardize else None
    return Preprocessing(x_scaler, y_scaler)


def indicator(y: Any, k: int | None = None) -> FloatArray:
    """A 0/1 label indicator (N, K) as floats, checked: 2-D, only 0 and 1, ``k`` columns."""
    a = np.asarray(y)
    if a.ndim != 2 or (k is not None and a.shape[1] != k):
        want = f"(N, {k})" if k is not None else "(N, K)"
        raise DataError(f"multilabel targets must be an indicator matrix {want}, got {a.shape}")
    values = a.astype(np.float64)
    if not np.all((values == 0) | (values == 1)):
        raise DataError("multilabel targets must hold only 0 and 1")
    return values


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


PARTS = ("train", "test")
"""The parts of a dataset :meth:`Dataset.split` returns, in order."""


__all__ = [
    "PARTS",
    "Dataset",
    "FloatArray",
    "Preprocessing",
    "Scaler",
    "Task",
    "as_numbers",
    "fit_preprocessing",
    "indicator",
    "label_indices",
    "one_hot",
]
