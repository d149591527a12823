"""The kind of each column of a table, and its cells read as values of that kind.

A column of text cells is one of four kinds, decided from every cell of the file:

* ``number``: every cell that is not missing reads as a finite number (a handful of stray
  words, such as a ``?`` the missing words do not cover, are read as missing, with a note);
* ``boolean``: every cell is one of a pair of words: true/false, yes/no, y/n, t/f;
* ``date``: every cell is a date, with or without a time of day: ``2024-03-31``,
  ``2024/03/31``, ``2024-03-31 14:05[:09]``, ``31/03/2024`` or ``03/31/2024`` (the order of day
  and month is read off the cells: a first part above 12 is a day; ``31.03.2024`` is day first);
* ``category``: anything else, and integer columns named by ``categorical``.

Some columns carry nothing a network can learn from and are ignored, each with a note: a text
column whose values are all different (an identifier, a name), an integer column counting rows
(1, 2, 3, ...), a column with one value, and an empty column.

A missing cell is empty, or one of :data:`MISSING_WORDS` (any case), or a word given as
``na_values``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Kind = Literal["number", "boolean", "category", "date"]
KINDS: tuple[Kind, ...] = ("number", "boolean", "category", "date")

MISSING_WORDS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a"})
"""Cells read as missing, compared in lower case (besides a column's ``na_values``)."""

BOOLEAN_PAIRS = (("false", "true"), ("no", "yes"), ("n", "y"), ("f", "t"))
"""The words of a yes/no column, (false, true), compared in lower case."""

STRAY_SHARE = 0.02
"""A number column may hold this share of cells that are not numbers (at least one, at most
:data:`STRAY_KINDS` different words); they are read as missing, with a note."""
STRAY_KINDS = 3

_ISO_DATE = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?Z?)?"
)
_DAY_MONTH = re.compile(
    r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
)
DateOrder = Literal["ymd", "dmy", "mdy"]


@dataclass(frozen=True)
class Column:
    """One input column of a table: its name, its kind and how its cells are read.

    Attributes
    ----------
    name : the header's name (``column 3`` without a header).
    kind : number, boolean, category or date.
    words : for a boolean column, its (false, true) words in lower case.
    order : for a date column, the order of its parts: ``ymd`` (ISO), ``dmy`` or ``mdy``.
    """

    name: str
    kind: Kind
    words: tuple[str, str] = ("false", "true")
    order: DateOrder = "ymd"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.kind == "boolean":
            out["words"] = list(self.words)
        if self.kind == "date":
            out["order"] = self.order
        return out

    @classmethod
    def from_dict(cls, d: Any) -> Column:
        """A column as :meth:`to_dict` wrote it; a ValueError names what is wrong."""
        if not isinstance(d, dict) or not isinstance(d.get("name"), str):
            raise ValueError("a column must be an object with a text 'name'")
        kind = d.get("kind")
        if kind not in KINDS:
            raise ValueError(f"column {d['name']!r}: kind must be one of {', '.join(KINDS)}")
        words = tuple(d.get("words", ("false", "true")))
        if words not in BOOLEAN_PAIRS:
            raise ValueError(f"column {d['name']!r}: words must be one of {BOOLEAN_PAIRS}")
        order = d.get("order", "ymd")
        if order not in ("ymd", "dmy", "mdy"):
            raise ValueError(f"column {d['name']!r}: order must be ymd, dmy or mdy")
        return cls(d["name"], kind, words, order)

    def values(
        self, cells: Sequence[Any] | NDArray[Any], missing: frozenset[str] = MISSING_WORDS
    ) -> NDArray[Any]:
        """The cells read as this kind: floats (N,) with NaN where missing or unreadable for
        number, boolean (0/1) and date (days since 1970-01-01, a time of day as a fraction)
        columns; text (N,) with None where missing for category columns.  Cells may be text
        or already numbers (an array of floats passes through a number column as it is)."""
        if self.kind == "number":
            return numbers(cells, missing)
        if self.kind == "category":
            return np.asarray([None if is_missing(c, missing) else _text(c) for c in cells],
                              dtype=object)  # fmt: skip
        if self.kind == "boolean":
            false, true = self.words
            table = {false: 0.0, true: 1.0}
            return np.asarray([table.get(_text(c).lower(), math.nan) for c in cells])
        return np.asarray([date_days(_text(c), self.order) for c in cells])


def _text(cell: Any) -> str:
    return cell.strip() if isinstance(cell, str) else ("" if cell is None else str(cell))


def is_missing(cell: Any, missing: frozenset[str] = MISSING_WORDS) -> bool:
    """Whether a cell is missing: None, a NaN float, or one of the ``missing`` words."""
    if cell is None:
        return True
    if isinstance(cell, float | np.floating):
        return bool(math.isnan(cell))
    return _text(cell).lower() in missing


def numbers(
    cells: Sequence[Any] | NDArray[Any], missing: frozenset[str] = MISSING_WORDS
) -> NDArray[np.float64]:
    """Cells as float64 (N,), NaN where a cell is missing or not a finite number."""
    if isinstance(cells, np.ndarray) and cells.dtype.kind in "fiub":
        out = cells.astype(np.float64)
    else:
        try:  # the common case, at C speed: every cell a number
            out = np.asarray(cells, dtype=np.float64)
        except (ValueError, TypeError):
            out = np.asarray([_number(c, missing) for c in cells], dtype=np.float64)
    out = out.copy() if out is cells else out
    out[~np.isfinite(out)] = math.nan
    return out


def _number(cell: Any, missing: frozenset[str]) -> float:
    if is_missing(cell, missing):
        return math.nan
    try:
        value = float(cell)
    except (TypeError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan


# ---------------------------------------------------------------------------------------------
# Dates


def date_days(text: str, order: DateOrder) -> float:
    """A date (and time) as days since 1970-01-01; NaN when ``text`` is not one."""
    parts = _date_parts(text, order)
    if parts is None:
        return math.nan
    year, month, day, seconds = parts
    try:
        days = np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64)
    except ValueError:  # no such day (2023-02-30, month 13)
        return math.nan
    return float(days) + seconds / 86400.0


def _date_parts(text: str, order: DateOrder) -> tuple[int, int, int, float] | None:
    if order == "ymd":
        found = _ISO_DATE.fullmatch(text)
        if found is None:
            return None
        y, m, d, hh, mm, ss = found.groups()
    else:
        found = _DAY_MONTH.fullmatch(text)
        if found is None:
            return None
        first, _, second, y, hh, mm, ss = found.groups()
        d, m = (first, second) if order == "dmy" else (second, first)
    seconds = 0.0
    if hh is not None:
        if int(hh) > 23 or int(mm) > 59 or (ss is not None and int(ss) > 59):
            return None
        seconds = int(hh) * 3600 + int(mm) * 60 + int(ss or 0)
    return int(y), int(m), int(d), seconds


def date_order(cells: Iterable[str]) -> tuple[DateOrder, bool] | None:
    """The order in which every cell is a date, and whether the cells told it (else month
    first was assumed), or None when some cell is not a date.  A first part above 12 is a
    day, a second part above 12 is a day, and dots (``31.03.2024``) mean day first."""
    cells = list(cells)
    if all(_ISO_DATE.fullmatch(c) for c in cells):
        order: DateOrder = "ymd"
        told = True
    else:
        found = [_DAY_MONTH.fullmatch(c) for c in cells]
        if not all(found):
            return None
        parts = [f.groups() for f in found if f]
        if max(int(p[0]) for p in parts) > 12 or any(p[1] == "." for p in parts):
            order, told = "dmy", True
        else:
            order, told = "mdy", max(int(p[2]) for p in parts) > 12
    if any(math.isnan(date_days(c, order)) for c in cells):
        return None
    return order, told


# ---------------------------------------------------------------------------------------------
# Telling a column's kind


@dataclass(frozen=True)
class Typed:
    """What :func:`type_column` found: the column (None when it is ignored) and a note."""

    column: Column | None
    note: str | None = None


def type_column(
    name: str, cells: Sequence[str], *, categorical: bool = False,
    missing: frozenset[str] = MISSING_WORDS,
) -> Typed:  # fmt: skip
    """The kind of a column of text cells, or why it is ignored (see the module's text)."""
    present = [c for c in cells if c.lower() not in missing]
    distinct = set(present)
    if not present:
        return Typed(None, f"{name!r} is ignored: every cell is missing")
    if len(distinct) == 1:
        return Typed(None, f"{name!r} is ignored: it holds one value ({present[0]!r})")
    values = numbers(present, missing)
    stray = [c for c, v in zip(present, values, strict=True) if math.isnan(v)]
    if categorical:
        return Typed(Column(name, "category"))
    if not stray:
        if _counts_rows(values, len(cells)):
            return Typed(None, f"{name!r} is ignored: it numbers the rows (1, 2, 3, ...)")
        return Typed(Column(name, "number"))
    lowered = {c.lower() for c in distinct}
    for words in BOOLEAN_PAIRS:
        if lowered <= set(words):
            return Typed(Column(name, "boolean", words))
    dates = date_order(distinct)
    if dates is not None:
        order, told = dates
        note = None if told else f"{name!r}: dates read as month/day/year (nothing tells)"
        return Typed(Column(name, "date", order=order), note)
    kinds = sorted(set(stray))
    if len(stray) <= max(1, STRAY_SHARE * len(present)) and len(kinds) <= STRAY_KINDS:
        shown = ", ".join(repr(k) for k in kinds)
        note = f"{name!r}: {len(stray)} cell(s) that are not numbers ({shown}) read as missing"
        return Typed(Column(name, "number"), note)
    if len(distinct) == len(present) and len(present) >= 10:
        return Typed(None, f"{name!r} is ignored: every value is different (an identifier or a "
                           "name); choose it with --features to use it as a category")  # fmt: skip
    return Typed(Column(name, "category"))


def _counts_rows(values: NDArray[np.float64], n_cells: int) -> bool:
    """Whether a complete integer column is a row number: 0 or 1, then one more each row."""
    if len(values) != n_cells or n_cells < 10:
        return False
    start = values[0]
    return bool(start in (0.0, 1.0) and np.array_equal(values, start + np.arange(n_cells)))


__all__ = [
    "BOOLEAN_PAIRS",
    "KINDS",
    "MISSING_WORDS",
    "Column",
    "Kind",
    "Typed",
    "date_days",
    "date_order",
    "is_missing",
    "numbers",
    "type_column",
]
