"""Ready-made callbacks: what a run prints, logs and shows while it trains.

* :class:`PrintLosses` writes the seed's ``iteration loss`` lines (:func:`record_line`);
* :class:`HistoryLog` keeps one history row per iteration;
* :class:`Checkpoint` saves a resumable model file every K iterations, and
  :class:`StopOnInterrupt` turns Ctrl-C and SIGTERM into a clean stop that can be saved;
* :class:`ProgressBar` draws a bar on a terminal (tqdm, an optional extra:
  ``pip install 'twolayer[progress]'``), only where a person is watching: when the stream it
  would use is a terminal and the run is not ``--quiet`` (:func:`wants_bar`).  It appears after
  the run has lasted :data:`DELAY` seconds, so short runs never show one, and never goes to a
  pipe or a file, so piped output stays exactly the printed lines.  When the printed lines go
  to the same terminal, :func:`around_bar` lets them pass without tearing the bar.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO, cast

from twolayer.data.classic import format_line
from twolayer.nn.model import Params
from twolayer.state import Callback, Record, TrainResult, TrainState

if TYPE_CHECKING:
    # Printing the seed's lines needs none of the file-writing code (nor the data code the
    # model file uses): Checkpoint imports it on its first save.
    from twolayer.io.writing import Writer
    from twolayer.outputs.history import Row
    from twolayer.outputs.trained import Model


def record_line(record: Record) -> str:
    """``iteration loss`` as the seed prints it, plus `` val_loss`` when there is validation."""
    line = format_line(record.iteration, record.loss)
    return line if record.val_loss is None else f"{line} {record.val_loss!r}"


def epoch_line(record: Record) -> str:
    """scikit-learn's verbose line, ``Iteration 1, loss = 0.69314718`` (epochs counted from 1),
    with the validation score when it was recorded."""
    line = f"Iteration {record.iteration + 1}, loss = {record.loss:.8f}"
    return line if record.val_score is None else f"{line}\nValidation score: {record.val_score:f}"


def per_sample_line(train: int, validation: int) -> Callable[[Record], str]:
    """:func:`record_line` with the training loss divided by ``train`` rows and the validation
    loss by ``validation`` rows: a summed loss (``sse``) per sample, so the columns compare."""

    def line(record: Record) -> str:
        val = None if record.val_loss is None else record.val_loss / validation
        return record_line(dataclasses.replace(record, loss=record.loss / train, val_loss=val))

    return line


class PrintLosses(Callback):
    """Write one :func:`record_line` (or ``line(record)``) per iteration to ``stream``; with
    ``quiet``, only the last.  ``header`` is written first when given (what the columns are),
    and ``per_sample`` (train, validation rows) divides a summed loss's columns by their rows."""

    reads_state = False  # the record only

    def __init__(
        self, stream: TextIO | None = None, *, quiet: bool = False,
        line: Callable[[Record], str] = record_line, header: str | None = None,
        per_sample: tuple[int, int] | None = None,
    ) -> None:  # fmt: skip
        self.stream = stream if stream is not None else sys.stdout
        self.quiet = quiet
        self.line = line if per_sample is None else per_sample_line(*per_sample)
        self.header = header

    def write(self, record: Record) -> None:
        if self.header is not None:  # once, above the first line
            self.stream.write(self.header + "\n")
            self.header = None
        self.stream.write(self.line(record) + "\n")

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        if not self.quiet:
            self.write(record)
        return None

    def on_train_end(self, result: TrainResult) -> None:
        if self.quiet and result.history:
            self.write(result.history[-1])
        self.stream.flush()


class HistoryLog(Callback):
    """Collects one row per iteration, after the rows of the run it continues.

    When a run resumes from a checkpoint, ``before`` holds the checkpoint's rows; new rows'
    ``elapsed`` continue from the last of them, so the whole log reads as one run.
    """

    reads_state = False  # the record only

    def __init__(self, before: Sequence[Row] = ()) -> None:
        self.rows: list[Row] = [dict(r) for r in before]
        self.offset = float(self.rows[-1].get("elapsed") or 0.0) if self.rows else 0.0

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        row = record.to_dict()
        row["elapsed"] = self.offset + record.elapsed
        self.rows.append(row)
        return None


# ---------------------------------------------------------------------------------------------
# Periodic checkpoints and a clean stop on Ctrl-C


class Checkpoint(Callback):
    """Save a resumable model file every ``every`` iterations (never, when None).

    ``about`` holds the :class:`~twolayer.outputs.trained.Model`'s fields other than its
    weights (activation, loss, preprocessing, config, names, source; its ``summary`` is added
    to the history's); ``log`` must run before this callback so the history saved includes the
    iteration just finished.  The file is written at once, so nothing is kept across
    iterations.
    """

    def __init__(
        self, path: str | Path, about: dict[str, Any], log: HistoryLog, every: int | None = None,
    ) -> None:  # fmt: skip
        self.path, self.about, self.log, self.every = path, about, log, every
        self.reads_state = bool(every)  # the state it saves, every ``every`` iterations

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        if self.every and state.iteration % self.every == 0:
            self.save(state, stop_reason="checkpoint")  # a run still going: formats.md
        return None

    def model(self, params: Params, **summary: Any) -> Model:
        """The model of ``params``, with the history's summary (and ``summary``'s entries)."""
        from twolayer.outputs.history import summarize
        from twolayer.outputs.trained import Model

        extra = self.about.get("summary", {})
        about = {**self.about, "summary": {**summarize(self.log.rows, **summary), **extra}}
        return Model(params, **about)

    def save(self, state: TrainState, **summary: Any) -> Model:
        """Write the checkpoint for ``state`` now; ``summary`` adds to the history summary."""
        from twolayer.errors import ModelFileError
        from twolayer.io.writing import atomic_write

        model, write = self.prepare(state, **summary)
        atomic_write(self.path, write, error=ModelFileError)
        return model

    def prepare(self, state: TrainState, **summary: Any) -> tuple[Model, Writer]:
        """The checkpoint for ``state`` and the function that writes it, for a caller that
        writes it together with other files (:func:`twolayer.io.writing.write_all`)."""
        from twolayer.outputs.modelfile import model_writer

        model = self.model(state.params, **summary)
        return model, model_writer(self.path, model, state=state, history=self.log.rows)


class StopOnInterrupt(Callback):
    """Turn Ctrl-C (SIGINT) and SIGTERM (what ``kill`` and schedulers send) into a clean stop
    at the end of the current iteration.

    Inside :meth:`catching`, the first signal only sets :attr:`requested`; the next
    ``on_iteration_end`` then asks the loop to stop, so ``train`` returns with a consistent
    state that can be saved.  A second one raises ``KeyboardInterrupt`` as Ctrl-C does.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)
    reads_state = False

    def __init__(self) -> None:
        self.requested = False

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        return True if self.requested else None

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    @contextlib.contextmanager
    def catching(self) -> Iterator[StopOnInterrupt]:
        """Install the handler for the duration (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {sig: signal.signal(sig, self._handle) for sig in self.SIGNALS}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, signal.SIG_DFL if handler is None else handler)


# ---------------------------------------------------------------------------------------------
# The progress bar

DELAY = 0.5
"""Seconds before the bar first appears."""


def wants_bar(stream: TextIO, *, quiet: bool) -> bool:
    """Whether a bar belongs on ``stream``: a terminal, not quiet, and tqdm installed."""
    if quiet or not _isatty(stream):
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class ProgressBar(Callback):
    """One tick per iteration, showing the latest loss; use it as a context manager so the bar
    is closed even when training fails."""

    reads_state = False  # the record only

    def __init__(
        self, total: int, *, initial: int = 0, stream: TextIO | None = None, delay: float = DELAY
    ) -> None:
        from tqdm import tqdm

        self.bar: Any = tqdm(
            total=total,
            initial=initial,
            file=stream if stream is not None else sys.stderr,
            unit="it",
            delay=delay,
            dynamic_ncols=True,
            leave=False,
        )

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        self.bar.set_postfix_str(f"loss={record.loss:.4g}", refresh=False)
        self.bar.update(1)
        return None

    def on_train_end(self, result: TrainResult) -> None:
        self.close()

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _AroundBar:
    """A text stream that lifts the bar off the terminal while a line is written."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        from tqdm import tqdm

        with tqdm.external_write_mode(file=self.stream):
            return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def around_bar(stream: TextIO) -> TextIO:
    """``stream`` itself, or, when it is a terminal too, a wrapper that keeps lines and bar
    apart."""
    return cast(TextIO, _AroundBar(stream)) if _isatty(stream) else stream


__all__ = [
    "DELAY",
    "Checkpoint",
    "HistoryLog",
    "PrintLosses",
    "ProgressBar",
    "StopOnInterrupt",
    "around_bar",
    "record_line",
    "wants_bar",
]
