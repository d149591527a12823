"""What the page downloads: the current network as a normal model file, and the history.

The model file is the one ``twolayer train --out`` writes (:func:`twolayer.outputs.modelfile
.save_model`), so ``twolayer predict`` and ``twolayer evaluate`` read it; the history is the CSV
of ``twolayer train --history``, its validation columns named for what they hold here: the
test points.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from twolayer.outputs.history import history_text, summarize
from twolayer.outputs.modelfile import save_model
from twolayer.playground.frames import edits_text, model_of
from twolayer.playground.session import Session

RENAMED = {"val_loss": "test_loss", "val_score": "test_score"}


def history_rows(session: Session) -> list[dict[str, Any]]:
    """One row per iteration trained since the last reset, ``val_*`` named ``test_*``."""
    return [{RENAMED.get(k, k): v for k, v in r.to_dict().items()} for r in session.history]


def history_csv(session: Session) -> str:
    """The history as the text of a CSV file."""
    return history_text(history_rows(session), "csv")


def model_bytes(session: Session) -> bytes:
    """The current network as the bytes of a ``.npz`` model file: weights, scaling, classes,
    configuration, a summary of the history and the playground settings that made it."""
    model = model_of(session)
    source = {"kind": "playground", "settings": session.settings.to_dict(),
              "edits": edits_text(session.edits)}  # fmt: skip
    summary = summarize(history_rows(session), stop_reason="playground")
    model = dataclasses.replace(model, summary=summary, source=source)
    with tempfile.TemporaryDirectory(prefix="twolayer-playground-") as folder:
        path = Path(folder) / "model.npz"
        save_model(path, model)
        return path.read_bytes()


__all__ = ["history_csv", "history_rows", "model_bytes"]
