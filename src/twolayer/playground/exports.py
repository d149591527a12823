"""What the page downloads: the current network as a normal model file, and the history.

The model file is the one ``twolayer train --out`` writes (:func:`twolayer.outputs.modelfile
.save_model`), so ``twolayer predict`` and ``twolayer evaluate`` read it (a model of a table
keeps the table's encoding, so it reads the file's raw rows, unless the network takes other
inputs made of two columns, such as their squares: then it takes those); the history is the CSV
of ``twolayer train --history``, its validation columns named for what they hold here: the
test points.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from pathlib import Path

from twolayer.outputs.modelfile import save_model
from twolayer.playground.frames import edits_text, model_of
from twolayer.playground.session import Session
from twolayer.playground.settings import FILE_SET
from twolayer.playground.userfile import UserData


def history_csv(session: Session) -> Iterator[bytes]:
    """The history as the bytes of a CSV file, a block at a time (it may be large: one row
    per iteration since the last reset)."""
    return session.history.csv()


def model_bytes(session: Session) -> bytes:
    """The current network as the bytes of a ``.npz`` model file: weights, scaling, classes,
    configuration, a summary of the history and the playground settings that made it."""
    model = model_of(session)
    prep, file = model.preprocessing, session.file_data
    if (
        session.settings.dataset == FILE_SET
        and isinstance(file, UserData)
        and file.encoding is not None
        and model.feature_names == file.encoding.feature_names
    ):  # a table's network that takes its encoded columns as they are: it reads raw rows
        model = dataclasses.replace(model, preprocessing=dataclasses.replace(
            prep, encoding=file.encoding))  # fmt: skip
    source = {"kind": "playground", "settings": session.settings.to_dict(),
              "edits": edits_text(session.edits)}  # fmt: skip
    summary = session.history.summary(stop_reason="playground")
    model = dataclasses.replace(model, summary=summary, source=source)
    with tempfile.TemporaryDirectory(prefix="twolayer-playground-") as folder:
        path = Path(folder) / "model.npz"
        save_model(path, model)
        return path.read_bytes()


__all__ = ["history_csv", "model_bytes"]
