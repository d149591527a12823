"""Ready-made callbacks: printing the seed's ``iteration loss`` lines, stopping after a time."""

from __future__ import annotations

import sys
from typing import TextIO

from twolayer.data.classic import format_line
from twolayer.state import Callback, Record, TrainResult, TrainState


def record_line(record: Record) -> str:
    """``iteration loss`` as the seed prints it, plus `` val_loss`` when there is validation."""
    line = format_line(record.iteration, record.loss)
    return line if record.val_loss is None else f"{line} {record.val_loss!r}"


class PrintLosses(Callback):
    """Write one :func:`record_line` per iteration to ``stream``; with ``quiet``, only the last."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.quiet = quiet

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        if not self.quiet:
            self.stream.write(record_line(record) + "\n")
        return None

    def on_train_end(self, result: TrainResult) -> None:
        if self.quiet and result.history:
            self.stream.write(record_line(result.history[-1]) + "\n")
        self.stream.flush()
