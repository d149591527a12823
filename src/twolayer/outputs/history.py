"""Training history out and back in: one row per iteration, as CSV or JSON Lines.

A row is :meth:`twolayer.state.Record.to_dict` (collected during training by
:class:`twolayer.outputs.callbacks.HistoryLog`): ``iteration, loss, val_loss, lr, dead_fraction,
elapsed`` and one ``grad_norm_<name>`` per parameter.  The format follows the file's
extension: ``.csv`` (missing values are empty cells) or ``.jsonl`` / ``.ndjson`` (one JSON
object a line; missing or non-finite values are ``null``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from twolayer.errors import ConfigError, DataError

Row = dict[str, Any]
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def history_format(path: str | Path) -> str:
    """``"csv"`` or ``"jsonl"`` from the extension of ``path``; anything else is a ConfigError."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(
            f"history file {str(path)!r} must end in .csv, .jsonl or .ndjson, got {suffix!r}"
        )
    return FORMATS[suffix]


def summarize(rows: Sequence[Row], **extra: Any) -> Row:
    """What a model file keeps of the history: iterations, final and best losses, ``extra``."""
    if not rows:
        return {"iterations": 0, **extra}
    val = [r["val_loss"] for r in rows if r.get("val_loss") is not None]
    return {
        "iterations": len(rows),
        "first_loss": rows[0]["loss"],
        "final_loss": rows[-1]["loss"],
        "final_val_loss": rows[-1].get("val_loss"),
        "best_val_loss": min(val) if val else None,
        "seconds": rows[-1].get("elapsed"),
        **extra,
    }


def history_columns(rows: Sequence[Row]) -> list[str]:
    """Every key of ``rows``, in the order they first appear: the columns of a history table."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    return columns


def history_text(rows: Sequence[Row], fmt: str) -> str:
    """The rows as the text of a ``"csv"`` or ``"jsonl"`` file."""
    if fmt == "jsonl":
        return "".join(json.dumps(_finite(row), allow_nan=False) + "\n" for row in rows)
    out = io.StringIO()
    columns = history_columns(rows)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row[c]) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _finite(row: Row) -> Row:
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in row.items()}


def write_history(rows: Sequence[Row], path: str | Path) -> None:
    """Write ``rows`` to ``path`` atomically, in the format its extension names."""
    from twolayer.io.writing import atomic_write

    atomic_write(path, history_writer(rows, path))


def history_writer(rows: Sequence[Row], path: str | Path) -> Callable[[IO[bytes]], object]:
    """What :func:`write_history` writes, encoded now, written by the function returned."""
    data = history_text(rows, history_format(path)).encode()
    return lambda f: f.write(data)


def iteration_number(value: Any) -> int | None:
    """An iteration read back: a finite whole number >= 0 as an int, anything else None."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        return None
    return int(value)


def read_history(path: str | Path) -> list[Row]:
    """Rows from a history file written by :func:`write_history` (numbers as floats, the
    iteration as int, empty cells and nulls as None)."""
    from twolayer.io.files import read_bytes

    fmt = history_format(path)
    try:
        text = read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text") from None
    rows = _read_jsonl(path, text) if fmt == "jsonl" else _read_csv(path, text)
    if not rows:
        raise DataError(f"{path}: holds no rows")
    for i, row in enumerate(rows, start=2 if fmt == "csv" else 1):
        for key in ("iteration", "loss"):
            value = row.get(key)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise DataError(f"{path}: row {i}: '{key}' is missing or not a number")
        iteration = iteration_number(row["iteration"])
        if iteration is None:
            raise DataError(f"{path}: row {i}: the iteration {row['iteration']!r} is not a "
                            "whole number >= 0")  # fmt: skip
        row["iteration"] = iteration
    return rows


def _read_jsonl(path: str | Path, text: str) -> list[Row]:
    rows: list[Row] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise DataError(f"{path}: row {i}: not a JSON object") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}: row {i}: not a JSON object")
        rows.append(row)
    return rows


def _read_csv(path: str | Path, text: str) -> list[Row]:
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DataError(f"{path}: {exc}") from None
    table = [r for r in table if any(c.strip() for c in r)]
    if not table:
        return []
    header, body = table[0], table[1:]
    rows: list[Row] = []
    for i, cells in enumerate(body, start=2):
        if len(cells) != len(header):
            raise DataError(f"{path}: row {i} has {len(cells)} columns, expected {len(header)}")
        row: Row = {}
        for name, cell in zip(header, cells, strict=True):
            try:
                row[name] = float(cell) if cell.strip() else None
            except ValueError:
                raise DataError(
                    f"{path}: row {i}, column {name!r}: {cell!r} is not a number"
                ) from None
        rows.append(row)
    return rows


__all__ = [
    "history_columns",
    "history_format",
    "history_writer",
    "iteration_number",
    "read_history",
    "summarize",
    "write_history",
]
