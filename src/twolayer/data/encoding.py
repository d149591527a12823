"""How a table's columns become the network's inputs: one-hot categories, imputed missing
cells, dates as numbers; fitted on the training rows only and kept in the model.

Each input column of a table (:class:`twolayer.data.columns.Column`) becomes one or more
numeric inputs:

======== =================================================================================
number   the value; a missing cell takes the training rows' median
boolean  0 or 1; a missing cell takes the training rows' median
date     days since 1970-01-01; when the training dates vary over the year, the day of the
         year as a point on a circle (``sin``, ``cos`` of ``2 pi day / 365.25``); when they
         hold times, the time of day the same way; a missing date takes the median
category one 0/1 input per category: the :data:`MAX_CATEGORIES` most frequent categories of
         the training rows that occur :data:`MIN_COUNT` times at least; the others seen in
         training share one input ``(other)``; a missing cell has an input ``(missing)`` of
         its own; a category never seen in training counts as ``(other)`` (it is rarer still
         than the categories grouped there), or sets none of the inputs when the column
         has no ``(other)``
======== =================================================================================

A number, boolean or date column with missing cells in the training rows also gets a 0/1
input ``(missing)`` saying which cells were filled in. Everything fitted (medians, the
categories kept) comes from the rows :meth:`TableEncoding.fit` is given: the training rows,
never the test rows. Scaling comes after, in :class:`twolayer.data.prep.Preprocessing`, and
only for numbers and days (:attr:`TableEncoding.scaled`): 0/1 inputs stay 0 and 1.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.data.columns import MISSING_WORDS, Column

FloatArray = NDArray[np.float64]

MAX_CATEGORIES = 50
"""The most categories of one column that get an input of their own."""
MIN_COUNT = 2
"""A category seen fewer times in training joins ``(other)`` (when enough categories remain)."""

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class ColumnEncoding:
    """The fitted encoding of one column.

    Attributes
    ----------
    column : the column, its kind and how its cells are read.
    fill : the value a missing cell takes (number, boolean and date columns): the median of
        the training rows.
    indicator : whether a ``(missing)`` input says which cells were missing.
    categories : the categories with an input of their own (category columns), sorted.
    grouped : the other categories seen in training, which share the ``(other)`` input.
    cyclic : for a date column, which circles it is placed on: ``year`` (day of the year),
        ``day`` (time of day).
    """

    column: Column
    fill: float = 0.0
    indicator: bool = False
    categories: tuple[str, ...] = ()
    grouped: tuple[str, ...] = ()
    cyclic: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        """The names of the inputs this column becomes."""
        name = self.column.name
        if self.column.kind == "category":
            return [
                *(f"{name}={c}" for c in self.categories),
                *([f"{name}=(other)"] if self.grouped else []),
                *([f"{name}=(missing)"] if self.indicator else []),
            ]
        parts = [name if self.column.kind != "date" else f"{name} (days)"]
        for circle in self.cyclic:
            what = "day of year" if circle == "year" else "time of day"
            parts += [f"{name} ({what} sin)", f"{name} ({what} cos)"]
        return parts + ([f"{name} (missing)"] if self.indicator else [])

    @property
    def scaled(self) -> list[bool]:
        """Which of its inputs are standardised afterwards: the number or the days of a date.
        0/1 inputs (categories, yes/no, missing indicators) and the points on a circle keep
        their values, as a one-hot encoder's columns in a scikit-learn Pipeline do: scaled,
        a category seen twice in 2,000 rows would be an input of about 30."""
        if self.column.kind in ("category", "boolean"):
            return [False] * len(self.names)
        return [True] + [False] * (len(self.names) - 1)

    @classmethod
    def fit(cls, column: Column, values: NDArray[Any]) -> ColumnEncoding:
        """The encoding of ``column`` fitted on its training ``values`` (:meth:`Column.values`)."""
        if column.kind == "category":
            counts = Counter(v for v in values.tolist() if v is not None)
            ranked = sorted(counts, key=lambda c: (-counts[c], c))
            kept = [c for c in ranked if counts[c] >= MIN_COUNT][:MAX_CATEGORIES]
            if len(kept) < 2:  # too few repeated categories: keep the most frequent anyway
                kept = ranked[:MAX_CATEGORIES]
            grouped = sorted(set(ranked) - set(kept))
            missing = any(v is None for v in values.tolist())
            return cls(column, indicator=missing, categories=tuple(sorted(kept)),
                       grouped=tuple(grouped))  # fmt: skip
        present = values[~np.isnan(values)]
        fill = float(np.median(present)) if present.size else 0.0
        cyclic: tuple[str, ...] = ()
        if column.kind == "date" and present.size:
            year, day = _date_circles(present)
            cyclic = tuple(c for c, varies in (("year", np.ptp(year) > 0),
                                               ("day", np.ptp(day) > 0)) if varies)  # fmt: skip
        return cls(column, fill, bool(present.size < values.size), cyclic=cyclic)

    def transform(self, values: NDArray[Any]) -> tuple[FloatArray, dict[str, int]]:
        """Values (N,) -> inputs (N, len(names)), and counts of what was unusual: ``missing``
        cells filled in, ``unseen`` categories."""
        if self.column.kind == "category":
            return self._one_hot(values)
        missing = np.isnan(values)
        filled = np.where(missing, self.fill, values)
        parts = [filled]
        if self.column.kind == "date":
            year, day = _date_circles(filled)
            for circle in self.cyclic:
                angle = 2 * math.pi * (year if circle == "year" else day)
                parts += [np.sin(angle), np.cos(angle)]
        if self.indicator:
            parts.append(missing.astype(np.float64))
        return np.stack(parts, axis=1), {"missing": int(missing.sum())}

    def _one_hot(self, values: NDArray[Any]) -> tuple[FloatArray, dict[str, int]]:
        width = len(self.categories) + bool(self.grouped) + self.indicator
        out = np.zeros((len(values), width))
        where = {c: k for k, c in enumerate(self.categories)}
        other = len(self.categories) if self.grouped else None
        missing_at = width - 1 if self.indicator else None
        grouped = set(self.grouped)
        counts = {"missing": 0, "unseen": 0}
        for i, v in enumerate(values.tolist()):
            if v is None:
                counts["missing"] += 1
                k = missing_at
            elif v in where:
                k = where[v]
            elif v in grouped:
                k = other
            else:  # never seen: rarer still than the grouped ones, so (other) where it exists
                counts["unseen"] += 1
                k = other
            if k is not None:
                out[i, k] = 1.0
        return out, counts

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column.to_dict(), "fill": self.fill, "indicator": self.indicator,
                "categories": list(self.categories), "grouped": list(self.grouped),
                "cyclic": list(self.cyclic)}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Any) -> ColumnEncoding:
        """A column's encoding as :meth:`to_dict` wrote it; a ValueError says what is wrong."""
        if not isinstance(d, dict):
            raise ValueError("a column's encoding must be an object")
        column = Column.from_dict(d.get("column"))
        fill = d.get("fill")
        if isinstance(fill, bool) or not isinstance(fill, int | float) or not math.isfinite(fill):
            raise ValueError(f"column {column.name!r}: fill must be a finite number")
        if not isinstance(d.get("indicator"), bool):
            raise ValueError(f"column {column.name!r}: indicator must be true or false")
        texts = {}
        for key in ("categories", "grouped", "cyclic"):
            value = d.get(key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"column {column.name!r}: {key} must be a list of texts")
            texts[key] = tuple(value)
        if not set(texts["cyclic"]) <= {"year", "day"} or (
            texts["cyclic"] and column.kind != "date"
        ):
            raise ValueError(f"column {column.name!r}: cyclic must list year or day, for dates")
        if column.kind == "category" and not texts["categories"]:
            raise ValueError(f"column {column.name!r}: a category column needs its categories")
        return cls(column, float(fill), d["indicator"], **texts)


def _date_circles(days: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Where days since 1970 fall in their year and in their day, as fractions of a turn."""
    whole = np.floor(days)
    dates = whole.astype("datetime64[D]")
    year_start = dates.astype("datetime64[Y]").astype("datetime64[D]")
    day_of_year = (dates - year_start).astype(np.float64)
    return day_of_year / YEAR_DAYS, days - whole


@dataclass(frozen=True)
class TableEncoding:
    """The fitted encoding of a table's input columns, in their order.

    Attributes
    ----------
    parts : one :class:`ColumnEncoding` per input column.
    missing : the words read as a missing cell (lower case), with the ``na_values`` given.
    """

    parts: tuple[ColumnEncoding, ...]
    missing: frozenset[str] = field(default=MISSING_WORDS)

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(p.column for p in self.parts)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The raw input columns' names, as the data must hold them."""
        return tuple(p.column.name for p in self.parts)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The names of the network's inputs, D_in of them."""
        return tuple(name for p in self.parts for name in p.names)

    @property
    def scaled(self) -> NDArray[np.bool_]:
        """(D_in,): which inputs are standardised (:attr:`ColumnEncoding.scaled`)."""
        return np.asarray([s for p in self.parts for s in p.scaled], dtype=bool)

    @classmethod
    def fit(
        cls, x: NDArray[Any], columns: Sequence[Column], missing: frozenset[str] = MISSING_WORDS
    ) -> TableEncoding:
        """Fit on raw training rows ``x`` (N, len(columns)): text cells, or numbers."""
        _check_width(x, len(columns))
        parts = tuple(ColumnEncoding.fit(c, c.values(x[:, j], missing))
                      for j, c in enumerate(columns))  # fmt: skip
        return cls(parts, missing)

    def transform(self, x: NDArray[Any], notes: list[str] | None = None) -> FloatArray:
        """Raw rows (N, len(columns)) -> the network's inputs (N, D_in), float64.  With
        ``notes``, a line is added for each column whose cells were filled in (missing or not
        readable as its kind) or held categories never seen in training."""
        _check_width(x, len(self.parts))
        blocks = []
        filled: dict[str, int] = {}
        unseen: dict[str, int] = {}
        for j, part in enumerate(self.parts):
            block, counts = part.transform(part.column.values(x[:, j], self.missing))
            blocks.append(block)
            known_missing = part.column.kind == "category" and part.indicator
            if counts.get("missing") and not known_missing:
                filled[part.column.name] = counts["missing"]
            if counts.get("unseen"):
                unseen[part.column.name] = counts["unseen"]
        if notes is not None:
            if filled:
                notes.append("missing or unreadable cells, filled in as in training: "
                             + _counted(filled))  # fmt: skip
            if unseen:
                notes.append("categories not seen in training, encoded as (other) or as none "
                             "of the known ones: " + _counted(unseen))  # fmt: skip
        return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(x), 0))

    def to_dict(self) -> dict[str, Any]:
        return {"parts": [p.to_dict() for p in self.parts],
                "missing": sorted(self.missing)}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Any) -> TableEncoding:
        """An encoding as :meth:`to_dict` wrote it; a ValueError says what is wrong."""
        if not isinstance(d, dict) or not isinstance(d.get("parts"), list) or not d["parts"]:
            raise ValueError("must be an object with a non-empty list 'parts'")
        words = d.get("missing")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError("'missing' must be a list of texts")
        parts = tuple(ColumnEncoding.from_dict(p) for p in d["parts"])
        names = [p.column.name for p in parts]
        if len(set(names)) != len(names):
            raise ValueError("two columns have the same name")
        return cls(parts, frozenset(words))


def _check_width(x: NDArray[Any], width: int) -> None:
    if x.ndim != 2 or x.shape[1] != width:
        raise ValueError(f"expected rows of {width} columns, got shape {x.shape}")


def _counted(counts: dict[str, int]) -> str:
    """``'a' 2, 'b' 5`` for the counts of each column."""
    return ", ".join(f"{name!r} {count}" for name, count in counts.items())


__all__ = ["MAX_CATEGORIES", "MIN_COUNT", "ColumnEncoding", "TableEncoding"]
