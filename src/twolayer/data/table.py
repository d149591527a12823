"""Real tables in: a CSV file's columns typed, chosen and checked, ready to encode and train on.

:func:`load_table` reads a CSV file (:mod:`twolayer.data.csv`) into a
:class:`~twolayer.data.prep.Dataset` whose inputs are the raw cells of the chosen columns, each
column typed (:mod:`twolayer.data.columns`: number, boolean, category, date) or ignored with a
note; the targets are chosen and read, and rows whose target is missing are dropped with a
note.  Nothing is fitted here: the encoding (:mod:`twolayer.data.encoding`) is fitted on the
training rows later.  :func:`read_table` is both steps at once, for the library.

Every problem of a file (unknown columns, ragged rows, a regression target that is not a
number, ...) is reported in one error, not one per run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.data.columns import MISSING_WORDS, Column, is_missing, numbers, type_column
from twolayer.data.csv import (
    _resolve_column,
    _Table,
    labels_from_text,
    problems_error,
    read_csv_table,
)
from twolayer.data.encoding import TableEncoding
from twolayer.data.prep import Dataset, Task
from twolayer.errors import DataError

CLASSES_AT_MOST = 10
"""A target of whole numbers with at most this many values is taken for class labels."""

Columns = Sequence[str | int] | str | int
"""Columns by header name or number (from 1; negative from the end): one, or several."""


def guess_task(cells: Sequence[str]) -> Task:
    """``classification`` for a target of text, yes/no words, or whole numbers with at most
    :data:`CLASSES_AT_MOST` values; else ``regression``."""
    values = numbers(cells)
    if np.isnan(values).any():
        return "classification"
    whole = bool(np.all(values == np.round(values)))
    return (
        "classification" if whole and len(set(values.tolist())) <= CLASSES_AT_MOST else "regression"
    )


def load_table(
    path: str | Path,
    target: Columns | None = None,
    *,
    features: Columns | None = None,
    ignore: Columns = (),
    categorical: Columns = (),
    na_values: Sequence[str] = (),
    task: Task | None = None,
    weight: str | int | None = None,
) -> Dataset:
    """A CSV file's rows, typed and chosen, unencoded.

    Parameters
    ----------
    path : the file (``.tsv``: tab-separated; others comma-separated).
    target : the target columns, by header name or number (from 1; negative from the end);
        default the last column.  Classification takes one.
    features : the input columns (default: every column but the targets, the weights and
        ``ignore``); a column named here is used even where it would be ignored.
    ignore : columns left out of the inputs.
    categorical : number columns to read as categories (codes such as 1, 2, 3).
    na_values : more words that mean a missing cell (empty, NA, N/A, NaN, null, none, ? and
        #N/A always do, in any case).
    task : ``regression``, ``classification`` or ``multilabel``; None: guessed from the
        target (:func:`guess_task`).
    weight : the column of sample weights.

    Returns
    -------
    Dataset
        ``x`` the raw cells (N, D) of the input columns (floats with NaN for missing cells
        when every input is a number), ``columns`` their kinds, ``y`` the targets, ``rows``
        each row's line in the file, ``notes`` what was decided.
    """
    target, features, ignore, categorical = (
        _as_list(target), _as_list(features), _as_list(ignore) or [], _as_list(categorical) or []
    )  # fmt: skip
    table = read_csv_table(path)
    missing = MISSING_WORDS | {w.strip().lower() for w in na_values}
    problems: list[str] = []
    notes: list[str] = []

    def resolve(spec: Sequence[str | int], what: str) -> list[int]:
        found = []
        for item in spec:
            try:
                j = _resolve_column(table, item)
            except DataError:
                problems.append(f"{what} {item!r}: no such column ({_known(table)})")
                continue
            if j in found:
                problems.append(f"{what} {table.column_name(j)} is named twice")
            found.append(j)
        return found

    targets = resolve(list(target) if target else [-1], "target")
    weights = resolve([weight], "--sample-weight") if weight is not None else []
    chosen = resolve(features, "feature") if features is not None else None
    left_out = resolve(ignore, "ignored column")
    as_category = set(resolve(categorical, "categorical column"))
    for j in sorted(set(targets) & set(chosen or ()) | set(targets) & set(weights)):
        problems.append(f"{table.column_name(j)} is a target and an input or the weights")
    if problems:
        raise problems_error(path, problems)

    names = table.names()
    cells = [[row[j] for row in table.rows] for j in range(table.width)]
    keep = _rows_with_targets(table, cells, targets, weights, missing, notes)
    if not keep.any():
        raise DataError(f"{path}: every row's target is missing")
    column = [[c for c, k in zip(col, keep, strict=True) if k] for col in cells]

    if task is None:  # several target columns are regressed (multilabel is asked for)
        task_chosen: Task = guess_task(column[targets[0]]) if len(targets) == 1 else "regression"
    else:
        task_chosen = task
    if task_chosen == "classification" and len(targets) != 1:
        problems.append(f"classification takes one label column, got {len(targets)} targets")
    y = _targets(table, column, targets, task_chosen, problems)
    w = None
    if weights:
        w = numbers(column[weights[0]], missing)
        if np.isnan(w).any():
            problems.append(f"the weights {table.column_name(weights[0])} must be numbers")

    candidates = chosen if chosen is not None else [
        j for j in range(table.width) if j not in {*targets, *weights, *left_out}
    ]  # fmt: skip
    inputs: list[Column] = []
    picked: list[int] = []
    for j in candidates:
        typed = type_column(names[j], column[j], categorical=j in as_category, missing=missing)
        if (
            typed.column is None
            and chosen is not None
            and "every value is different" in str(typed.note)
        ):
            typed = type(typed)(Column(names[j], "category"))  # named by the user: kept
        if typed.note:
            notes.append(typed.note)
        if typed.column is not None:
            inputs.append(typed.column)
            picked.append(j)
    if not inputs:
        problems.append("no input column is left to learn from")
    if problems:
        raise problems_error(path, problems)

    if all(c.kind == "number" for c in inputs):
        x: NDArray[Any] = np.stack([numbers(column[j], missing) for j in picked], axis=1)
    else:
        x = np.empty((int(keep.sum()), len(picked)), dtype=object)
        for k, j in enumerate(picked):
            x[:, k] = column[j]
    lines = np.asarray(table.lines, dtype=np.intp)[keep]
    return Dataset(
        x, y, str(path), tuple(c.name for c in inputs), tuple(names[j] for j in targets),
        task_chosen, w, tuple(inputs), missing, lines, tuple(notes),
    )  # fmt: skip


def _as_list(columns: Columns | str | int | None) -> list[str | int] | None:
    """Columns given as one name or number, or several."""
    if columns is None or isinstance(columns, str | int):
        return None if columns is None else [columns]
    return list(columns)


def _known(table: _Table) -> str:
    if table.header is None:
        return f"the file has no header; columns are numbered 1 to {table.width}"
    shown = ", ".join(repr(n) for n in table.header[:12])
    more = f", ... ({table.width} in all)" if table.width > 12 else ""
    return f"the columns are {shown}{more}"


def _rows_with_targets(
    table: _Table, cells: list[list[str]], targets: list[int], weights: list[int],
    missing: frozenset[str], notes: list[str],
) -> NDArray[np.bool_]:  # fmt: skip
    """Which rows have every target (and weight) present; a note counts the others."""
    keep = np.ones(len(table.rows), dtype=bool)
    for j in [*targets, *weights]:
        gone = np.asarray([c.lower() in missing for c in cells[j]])
        if gone.any():
            notes.append(f"{gone.sum()} row(s) with no {table.names()[j]!r} are left out")
        keep &= ~gone
    return keep


def _targets(
    table: _Table, column: list[list[str]], targets: list[int], task: Task, problems: list[str]
) -> NDArray[Any]:
    if task == "classification":
        return labels_from_text(column[targets[0]])
    values = np.stack([numbers(column[j]) for j in targets], axis=1)
    for k, j in enumerate(targets):
        bad = [c for c, v in zip(column[j], values[:, k], strict=True) if math.isnan(v)]
        if bad:
            shown = ", ".join(repr(b) for b in sorted(set(bad))[:3])
            what = "multilabel targets" if task == "multilabel" else "a regression target"
            problems.append(f"{table.column_name(j)} holds {len(bad)} cell(s) that are not "
                            f"numbers ({shown}): {what} must be numbers (--task classify "
                            "reads it as class labels)")  # fmt: skip
    return values


def read_table(
    path: str | Path, target: Columns | None = None, **options: Any
) -> tuple[Dataset, TableEncoding]:
    """A CSV file's rows (:func:`load_table`, which takes the ``options``: ``features``,
    ``ignore``, ``categorical``, ``na_values``, ``task``) and an encoding fitted on all of them.

    ``encoding.transform(data.x)`` gives the network's inputs (N, D_in), named by
    ``encoding.feature_names``.  To keep held-out rows out of the encoding's statistics, fit
    it on the training rows instead: ``TableEncoding.fit(data.x[train], data.columns,
    data.missing)``.
    """
    data = load_table(path, target, **options)
    assert data.columns is not None
    return data, TableEncoding.fit(data.x, data.columns, data.missing)


def load_for_model(
    path: str | Path,
    inputs: Sequence[str],
    targets: Sequence[str] = (),
    *,
    encoded: bool,
    missing: frozenset[str] = MISSING_WORDS,
    task: Task = "regression",
    keep: Columns = (),
) -> tuple[Dataset, tuple[tuple[str, ...], NDArray[Any]] | None]:
    """A CSV file's columns matched by name to a model's: ``inputs`` in the model's order
    (in any order in the file, extra columns ignored with a note, a missing one an error),
    ``targets`` when given (for scores), and the ``keep`` columns' names and cells
    (N, len(keep)) as text, to copy beside predictions.

    Without a header, or when the model's inputs have no names of their own (``x1, x2, ...``)
    and the file's width fits, columns are taken by position: the inputs, then the targets.
    ``encoded`` models take raw cells (their encoding fills missing cells); the others take
    complete numbers.
    """
    table = read_csv_table(path)
    problems: list[str] = []
    notes: list[str] = []
    header = table.header
    wanted = [*inputs, *targets]
    if header is not None and not set(wanted) <= set(header):
        by_position = not set(inputs) & set(header) and table.width in (len(inputs), len(wanted))
        if by_position and all(n == f"x{k + 1}" for k, n in enumerate(inputs)):
            notes.append(f"the model's inputs have no names ({inputs[0]}, ...): the file's "
                         "columns are taken in order")  # fmt: skip
            header = None
        else:
            absent = [n for n in wanted if n not in header]
            what = "input" if set(absent) <= set(inputs) else "input or target"
            problems.append(f"missing the model's {what} column(s) "
                            f"{', '.join(repr(n) for n in absent)} ({_known(table)})")  # fmt: skip
    if header is None:
        if table.width not in (len(inputs), len(wanted)) or (
            targets and table.width != len(wanted)
        ):
            need = f"{len(inputs)} input column(s)" + (
                f" and {len(targets)} target(s)" if targets else ""
            )
            problems.append(f"has {table.width} columns and no header naming them; the model "
                            f"expects {need}")  # fmt: skip
        places = list(range(len(wanted)))
    else:
        places = [header.index(n) for n in wanted if n in header]
    kept = []
    for item in _as_list(keep) or []:
        try:
            kept.append(_resolve_column(table, item))
        except DataError:
            problems.append(f"--keep {item!r}: no such column ({_known(table)})")
    if problems:
        raise problems_error(path, problems)
    if header is not None:
        extra = [n for n in header if n not in wanted and n not in {header[j] for j in kept}]
        if extra:
            shown = ", ".join(repr(n) for n in extra[:8]) + (", ..." if len(extra) > 8 else "")
            notes.append(f"{len(extra)} column(s) the model does not use are ignored: {shown}")
    cells = [[row[j] for row in table.rows] for j in places]
    rows = np.ones(len(table.rows), dtype=bool)
    y = None
    if targets:
        target_cells = cells[len(inputs) :]
        for name, col in zip(targets, target_cells, strict=True):
            gone = np.asarray([is_missing(c, missing) for c in col])
            if gone.any():
                notes.append(f"{gone.sum()} row(s) with no {name!r} are left out")
            rows &= ~gone
        chosen = [[c for c, k in zip(col, rows, strict=True) if k] for col in target_cells]
        if task == "classification":
            y = labels_from_text(chosen[0])
        else:
            y = np.stack([numbers(col, missing) for col in chosen], axis=1)
            if np.isnan(y).any():
                problems.append("a target holds cells that are not numbers")
    input_cells = [[c for c, k in zip(col, rows, strict=True) if k] for col in cells[: len(inputs)]]
    if encoded:
        x: NDArray[Any] = np.empty((int(rows.sum()), len(inputs)), dtype=object)
        for k, col in enumerate(input_cells):
            x[:, k] = col
    else:
        x = np.stack([numbers(col, missing) for col in input_cells], axis=1)
        bad = np.argwhere(np.isnan(x))
        lines = np.asarray(table.lines)[rows]
        for i, k in bad[:SHOWN].tolist():
            problems.append(f"row {lines[i]}, column {inputs[k]!r}: {input_cells[k][i]!r} is not "
                            "a number")  # fmt: skip
        if len(bad) > SHOWN:
            problems.append(f"{len(bad) - SHOWN} more cells that are not numbers")
        if len(bad):
            problems.append("this model was trained on complete numbers and has nothing to "
                            "fill a cell in with")  # fmt: skip
    if problems:
        raise problems_error(path, problems)
    kept_cells = None
    if kept:
        cells_kept = [[row[j] for j in kept] for row, k in zip(table.rows, rows, strict=True) if k]
        kept_cells = (tuple(table.names()[j] for j in kept), np.asarray(cells_kept, dtype=object))
    lines = np.asarray(table.lines, dtype=np.intp)[rows]
    data = Dataset(x, y, str(path), tuple(inputs), tuple(targets), task, missing=missing,
                   rows=lines, notes=tuple(notes))  # fmt: skip
    return data, kept_cells


SHOWN = 5


__all__ = ["CLASSES_AT_MOST", "guess_task", "load_for_model", "load_table", "read_table"]
