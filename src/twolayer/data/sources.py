"""Where a run's data came from, as a model file keeps it: a source description (a file and
its column options, a bundled dataset, the seed's draws, chunks), checked field by field
(:func:`check_source`) and loaded again (:func:`load_source`) to resume a run or score its
held-out rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twolayer.data.datasets import DATASETS, load_dataset, load_file, random_dataset
from twolayer.data.prep import Dataset
from twolayer.errors import POSITIVE_INT, SEEDS, UNIT, DataError, must_be
from twolayer.nn.model import Params

SOURCE_KINDS = ("file", "dataset", "random", "chunks")
TASKS = ("regression", "classification", "multilabel")
TASK_WORDS = {"classify": "classification", "regress": "regression"}
"""The command line's words for the task of a file's targets (``--task classify``)."""


def check_source(source: Any) -> None:
    """Check a source description field by field, as a model file keeps it: a DataError names
    the first field that is missing or of the wrong type or range.  (Whether the seed's draws
    fit in memory is checked when they are drawn: :class:`SeedProblem`.)"""
    if not isinstance(source, dict):
        raise DataError("the data source is not an object")

    def field(key: str, ok: Callable[[Any], bool], what: str, default: Any = ...) -> Any:
        value = source.get(key, default)
        if value is ... or not ok(value):
            shown = "missing" if value is ... else f"{value!r}"
            raise DataError(f"'{key}' {must_be(what, shown)}")
        return value

    kind = field("kind", lambda v: v in SOURCE_KINDS, f"one of {', '.join(SOURCE_KINDS)}")
    field("test_fraction", lambda v: _number(v) and UNIT.contains(v), f"a number {UNIT.text}")
    field("standardize", lambda v: isinstance(v, bool), "true or false")
    field("fingerprint", lambda v: v is None or isinstance(v, str), "text", None)
    if kind == "file":
        field("paths", _paths, "a list of one or two file names")
        field("target", lambda v: v is None or (isinstance(v, list) and all(map(_column, v))),
              "a list of column names or numbers", None)  # fmt: skip
        field("sample_weight", lambda v: v is None or _column(v), "a column name or number", None)
        field("task", lambda v: v is None or v in TASKS, f"null or one of {', '.join(TASKS)}",
              "regression")  # fmt: skip
        field("features", lambda v: v is None or _columns(v), "a list of columns", None)
        for key in ("ignore", "categorical"):
            field(key, _columns, "a list of column names or numbers", [])
        field("na_values", lambda v: isinstance(v, list) and all(isinstance(w, str) for w in v),
              "a list of texts", [])  # fmt: skip
    elif kind == "dataset":
        field("name", lambda v: v in DATASETS and v != "random", "a bundled dataset's name")
    elif kind == "random":
        field("seed", lambda v: _integer(v) and SEEDS.contains(v), f"an integer {SEEDS.text}")
        for k in ("n", "d_in", "hidden", "d_out"):
            field(k, lambda v: _integer(v) and POSITIVE_INT.contains(v), POSITIVE_INT.text)
    else:
        field("path", lambda v: isinstance(v, str) and bool(v), "a directory or a store's address")


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _paths(value: Any) -> bool:
    return (
        isinstance(value, list)
        and 1 <= len(value) <= 2
        and all(isinstance(p, str) and p for p in value)
    )


def _column(value: Any) -> bool:
    return isinstance(value, str) or _integer(value)


def _columns(value: Any) -> bool:
    return isinstance(value, list) and all(map(_column, value))


TABLE_OPTIONS = ("features", "ignore", "categorical", "na_values")
"""The source fields that choose and read a CSV file's columns (:func:`load_table`)."""


def load_source(source: dict[str, Any]) -> tuple[Dataset, Params | None]:
    """Load what a source description names; model files keep it so a run can be resumed.

    ``source["kind"]`` is ``"file"`` (``paths``, ``target``, ``task``, and for a CSV file
    ``features``, ``ignore``, ``categorical``, ``na_values``), ``"dataset"``
    (``name``) or ``"random"`` (``seed``, ``n``, ``d_in``, ``hidden``, ``d_out``).  Returns the
    dataset and, for ``random``, the seed's initial weights.  The description is checked first
    (:func:`check_source`).
    """
    check_source(source)
    kind = source["kind"]
    if kind == "random":
        return random_dataset(*(source[k] for k in ("seed", "n", "d_in", "hidden", "d_out")))
    if kind == "dataset":
        return load_dataset(str(source["name"])), None
    if kind == "file":
        table = {k: source[k] for k in TABLE_OPTIONS if source.get(k)}
        task = source.get("task", "regression")
        weight = source.get("sample_weight")
        return load_file(source["paths"], source.get("target"), task=task, weight=weight,
                         **table), None  # fmt: skip
    raise DataError(f"unknown kind of data source {kind!r}")


__all__ = ["SOURCE_KINDS", "TABLE_OPTIONS", "TASKS", "TASK_WORDS", "check_source", "load_source"]
