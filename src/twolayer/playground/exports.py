"""What the page downloads: the current network as a normal model file, and the history.

The model file is the one ``twolayer train --out`` writes (:func:`twolayer.outputs.modelfile
.save_model`), so ``twolayer predict`` and ``twolayer evaluate`` read it; the history is the CSV
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


def history_csv(session: Session) -> Iterator[bytes]:
    """The history as the bytes of a CSV file, a block at a time (it may be large: one row
    per iteration since the last reset)."""
    return session.history.csv()


def model_bytes(session: Session) -> bytes:
    """The current network as the bytes of a ``.npz`` model file: weights, scaling, classes,
    configuration, a summary of the history and the playground settings that made it."""
    model = model_of(session)
    source = {"kind": "playground", "settings": session.settings.to_dict(),
              "edits": edits_text(session.edits)}  # fmt: skip
    summary = session.history.summary(stop_reason="playground")
    model = dataclasses.replace(model, summary=summary, source=source)
    with tempfile.TemporaryDirectory(prefix="twolayer-playground-") as folder:
        path = Path(folder) / "model.npz"
        save_model(path, model)
        return path.read_bytes()


__all__ = ["history_csv", "model_bytes"]
