"""The user's own data: the ``--data`` file and a file uploaded on the page, read by the table
reader of ``twolayer train`` and made into the numbers the playground trains on.

A CSV file is read by :func:`twolayer.data.table.load_table`: typed columns (numbers, yes/no,
text categories, dates), missing cells, identifiers and row numbers ignored with a note, the
task guessed by :func:`~twolayer.data.table.guess_task` unless given.  The playground trains on
numeric arrays, so a table is encoded when it is read (:class:`~twolayer.data.encoding
.TableEncoding`, one-hot categories, medians for missing cells), fitted on *all* its rows, as
:func:`~twolayer.data.table.read_table` does: ``twolayer train`` fits it on the training rows
only.  The encoding travels with the data (:class:`UserData`), so a downloaded model reads the
file's raw rows as ``twolayer train``'s models do.

An upload (:func:`read_upload`) is at most :data:`MAX_UPLOAD` bytes, read by the same reader
from a private temporary folder that is removed as soon as it has been read; its rows then live
in the server's memory only, for the page that sent it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from twolayer.data.csv import CSV_SUFFIXES, read_csv_table
from twolayer.data.datasets import load_file
from twolayer.data.encoding import TableEncoding
from twolayer.data.prep import Dataset
from twolayer.data.table import guess_task
from twolayer.errors import ConfigError, DataError, TwoLayerError
from twolayer.io.memory import check_network, format_bytes
from twolayer.playground.settings import MAX_HIDDEN

TASKS = ("auto", "classification", "regression")
"""What ``--task`` and the page's task chooser accept; ``auto`` guesses."""
MAX_UPLOAD = 10 * 1024 * 1024
"""The largest file the page may upload (bytes); the server stops reading past it."""
UPLOAD_SUFFIXES = (*CSV_SUFFIXES, ".npz")
"""The files the page may upload: CSV (``.csv``, ``.txt``; ``.tsv`` tab-separated) and
``.npz`` (arrays ``x`` and ``y``)."""


@dataclass(frozen=True)
class UserData(Dataset):
    """A user's file as the playground trains it: ``x`` numeric (N, D_in), named by
    ``feature_names``; ``encoding`` is how a table's raw columns became those inputs (None:
    the file held arrays)."""

    encoding: TableEncoding | None = None


def load_user_file(
    paths: Sequence[str], target: Sequence[str | int] | None = None, task: str = "auto",
    **table: Any,
) -> UserData:  # fmt: skip
    """``--data FILE [--target COLUMNS] [--task T]``: a CSV file read as ``twolayer train``
    reads it (its task guessed by :func:`guess_task` with ``task="auto"``; ``table``: the
    reader's ``features``, ``ignore``, ``categorical``, ``na_values``), its table encoded into
    numbers; or an ``.npz`` (``.npy`` pair) of arrays, whose one target column is taken for
    class labels where :func:`guess_task` would take it so.

    A file larger than memory is refused before it is read, and data whose training would not
    fit in memory (at the page's most hidden units) before they are encoded.
    """
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; use {', '.join(TASKS)}")
    is_table = Path(paths[0]).suffix.lower() in CSV_SUFFIXES
    if task != "auto" or is_table:
        chosen: Any = None if task == "auto" else task
        data = load_file(paths, target, task=chosen, **table)
    else:
        data = load_file(paths, target, task="regression", **table)
        y = data.targets()
        if y.shape[1] == 1 and guess_task([str(v) for v in y[:, 0]]) == "classification":
            data = load_file(paths, target, task="classification")
    return numeric(data)


def numeric(data: Dataset) -> UserData:
    """``data`` with a table's raw columns encoded (an encoding fitted on every row), checked
    to fit in memory before anything is encoded."""
    fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(Dataset)}
    n, d_out = data.n_samples, _outputs(data)
    if data.columns is None:
        check_network({"rows": n, "inputs": data.x.shape[1], "hidden": MAX_HIDDEN,
                       "outputs": d_out})  # fmt: skip
        return UserData(**fields)
    encoding = TableEncoding.fit(data.x, data.columns, data.missing)
    names = encoding.feature_names
    check_network({"rows": n, "inputs": len(names), "hidden": MAX_HIDDEN, "outputs": d_out})
    notes = list(data.notes)
    if names != encoding.column_names:
        notes.append(
            f"its {len(data.columns)} input column(s) become {len(names)} numeric inputs "
            "(text as one 0/1 input per category, yes/no as 0/1, dates as days, a missing cell "
            f"filled in with its column's median and flagged), fitted on all {n} rows"
        )
    fields.update(x=encoding.transform(data.x), feature_names=names, columns=None,
                  notes=tuple(notes))  # fmt: skip
    return UserData(**fields, encoding=encoding)


def _outputs(data: Dataset) -> int:
    """D_out: one per class, or per target column."""
    y = data.targets()
    if data.task == "classification":
        return len({str(v) for v in y.tolist()})
    return int(y.shape[1]) if y.ndim == 2 else 1


# ---------------------------------------------------------------------------------------------
# Uploads


@dataclass(frozen=True)
class Upload:
    """A file uploaded on the page, as read.

    Attributes
    ----------
    name : the file's name (its folder is never sent), as the page shows it.
    columns : a CSV file's column names, for the page's target chooser (empty: ``.npz``).
    data : the data, or None when the reader refused the file.
    error : why it was refused: every problem of the file in one line.
    """

    name: str
    columns: tuple[str, ...] = ()
    data: UserData | None = None
    error: str | None = None

    def reply(self) -> dict[str, Any]:
        """What the page is told: the columns, the target and task chosen, the notes."""
        message: dict[str, Any] = {"name": self.name, "columns": list(self.columns),
                                   "error": self.error}  # fmt: skip
        data = self.data
        if data is not None:
            target = data.target_names[0] if data.target_names else None
            message.update(
                target=self.columns.index(target) + 1 if target in self.columns else None,
                task=data.task, rows=data.n_samples, inputs=len(data.feature_names),
                notes=list(data.notes),
            )  # fmt: skip
        return message


def upload_name(name: str) -> str:
    """The uploaded file's name without any folder, in plain characters; a ConfigError unless
    it ends in one of :data:`UPLOAD_SUFFIXES`."""
    base = PurePosixPath(name.replace("\\", "/")).name
    safe = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")[-100:]
    if Path(safe).suffix.lower() not in UPLOAD_SUFFIXES or not Path(safe).stem:
        raise ConfigError(f"{base or 'the file'}: upload a CSV file (.csv, .tsv, .txt) or an "
                          ".npz of arrays x and y")  # fmt: skip
    return safe


def read_upload(body: bytes, name: str, target: int | None = None, task: str = "auto") -> Upload:
    """An uploaded file (``body``, at most :data:`MAX_UPLOAD` bytes, named ``name``) read by
    :func:`load_user_file`, its target the column numbered ``target`` (from 1; None: the last).

    The bytes are written to a temporary folder only this account may read, read from there
    and removed at once; messages name the file by ``name``, never by that folder."""
    safe = upload_name(name)
    if len(body) > MAX_UPLOAD:
        raise DataError(too_large(safe))
    columns: tuple[str, ...] = ()
    with tempfile.TemporaryDirectory(prefix="twolayer-upload-") as folder:  # mode 0700
        path = Path(folder) / safe
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as f:
            f.write(body)
        try:
            if path.suffix.lower() in CSV_SUFFIXES:
                columns = read_csv_table(path).names()
            data = load_user_file([str(path)], None if target is None else [target], task)
        except TwoLayerError as exc:
            return Upload(safe, columns, error=str(exc).replace(str(path), safe))
    return Upload(safe, columns, dataclasses.replace(data, name=safe))


def too_large(name: str) -> str:
    return (f"{name}: the file is larger than the {format_bytes(MAX_UPLOAD)} an upload may "
            "hold; give it to twolayer playground --data FILE instead")  # fmt: skip


async def read_capped(pieces: AsyncIterator[bytes], limit: int = MAX_UPLOAD) -> bytes | None:
    """The bytes of ``pieces`` (a request's body, as it arrives); None as soon as they pass
    ``limit``: the rest is never read."""
    body = bytearray()
    async for piece in pieces:
        body += piece
        if len(body) > limit:
            return None
    return bytes(body)


__all__ = [
    "MAX_UPLOAD",
    "TASKS",
    "UPLOAD_SUFFIXES",
    "Upload",
    "UserData",
    "load_user_file",
    "numeric",
    "read_capped",
    "read_upload",
    "too_large",
    "upload_name",
]
