"""CSV files: the cells of a table, its header, the columns chosen as targets, and the numbers
or class labels in them.

A header row is recognised when none of its cells is a number; targets are chosen by header
name or column number (counted from 1 as in the error messages, negative numbers count from
the end; the last column by default).  ``.tsv`` files are tab-separated, ``.csv`` and ``.txt``
comma-separated.  Rows and columns in messages count from 1, as an editor or a spreadsheet
shows them; a row number is the line of the file, the header line included.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.data.prep import Dataset, FloatArray
from twolayer.errors import DataError
from twolayer.io.files import read_bytes

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
"""File name endings read as CSV."""


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


def _is_finite_number(text: str) -> bool:
    """A cell that reads as a finite number: ``nan``, ``inf`` and the like are words to a
    header (``x,nan,y``)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


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
    if not any(_is_finite_number(cell) for cell in rows[0]):
        header = tuple(rows[0])
        rows, lines = rows[1:], lines[1:]
        if not rows:
            raise DataError(f"{path}: holds a header but no data rows")
    width = len(header) if header is not None else len(rows[0])
    ragged = [f"row {line} has {len(row)} columns, expected {width}"
              for row, line in zip(rows, lines, strict=True) if len(row) != width]  # fmt: skip
    if ragged:
        raise problems_error(path, ragged)
    return _Table(str(path), header, rows, lines)


SHOWN_PROBLEMS = 5
"""How many problems of a file one error line lists (then how many more there are)."""


def problems_error(path: str | Path, problems: Sequence[str]) -> DataError:
    """One error line for every problem of a file: the first :data:`SHOWN_PROBLEMS` of them,
    then how many more, so a file is fixed in one round rather than one run per problem."""
    if len(problems) == 1:
        return DataError(f"{path}: {problems[0]}")
    shown = "; ".join(problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    tail = f"; and {more} more" if more > 0 else ""
    return DataError(f"{path}: {len(problems)} problems: {shown}{tail}")


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
    """Text labels as integers when all are whole numbers (read exactly, however large, while
    int64 holds them), floats when all are finite numbers, else as text."""
    ints = [_as_int(c) for c in cells]
    if all(i is not None for i in ints):
        if all(-(2**63) <= i < 2**63 for i in ints if i is not None):
            return np.asarray(ints, dtype=np.int64)
        return np.asarray([c.strip() for c in cells], dtype=str)  # beyond int64: kept as text
    if all(_is_number(c) for c in cells):
        numbers = np.asarray([float(c) for c in cells])
        if np.all(np.isfinite(numbers)):
            if np.all(numbers == np.round(numbers)) and np.all(np.abs(numbers) < 2**53):
                return numbers.astype(np.int64)
            return numbers
    return np.asarray(cells, dtype=str)


def rows_csv(path: str | Path, lines: Sequence[int]) -> str:
    """The rows of a CSV file at the given ``lines`` (as :func:`read_csv_table` numbers them),
    in that order, with the file's header: a part of the file, its cells as they were."""
    table = read_csv_table(path)
    where = {line: k for k, line in enumerate(table.lines)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n",
                        delimiter="\t" if Path(path).suffix.lower() == ".tsv" else ",")  # fmt: skip
    if table.header is not None:
        writer.writerow(table.header)
    for line in lines:
        writer.writerow(table.rows[where[int(line)]])
    return out.getvalue()


def dataset_csv(data: Dataset) -> str:
    """``data`` as the text of a CSV file that :func:`twolayer.data.table.load_table` reads
    back: a header of the feature and target names, then one row per sample, floats written
    exactly (``repr``), the target columns last (so the default ``--target -1`` finds a single
    target)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    targets = data.targets()
    y = targets.reshape(len(targets), -1)
    names = data.target_names if len(data.target_names) == y.shape[1] else tuple(
        f"y{j + 1}" for j in range(y.shape[1]))  # fmt: skip
    writer.writerow([*data.feature_names, *names])
    for row, target in zip(data.x.tolist(), y.tolist(), strict=True):
        writer.writerow([repr(v) for v in row] + [repr(v) if isinstance(v, float) else str(v)
                                                  for v in target])  # fmt: skip
    return out.getvalue()


__all__ = [
    "CSV_SUFFIXES",
    "labels_from_text",
    "problems_error",
    "read_csv_table",
    "rows_csv",
]
