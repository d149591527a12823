"""Ready-made callbacks: checkpoints every K iterations, a clean stop on Ctrl-C, the history log
across a resume and the progress bar on a terminal."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twolayer.config import TrainConfig
from twolayer.nn.model import Params
from twolayer.outputs.callbacks import (
    Checkpoint,
    HistoryLog,
    PrintLosses,
    ProgressBar,
    StopOnInterrupt,
    around_bar,
    record_line,
    wants_bar,
)
from twolayer.outputs.modelfile_reader import load_model_file
from twolayer.outputs.trained import Model
from twolayer.state import Callback, Record, TrainState
from twolayer.train import train


def data(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A small regression problem: (n, 3) inputs, (n, 2) targets."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    return x, x @ rng.standard_normal((3, 2))


def test_checkpoint_callback_saves_every_k_iterations(tmp_path: Path) -> None:
    x, y = data()
    config = TrainConfig(iterations=7, lr=1e-3, hidden=4, bias=True, init="he",
                         optimizer="adam", batch_size=10, loss="mse")  # fmt: skip
    log = HistoryLog()
    saves: list[int] = []

    class Counting(Checkpoint):
        def model(self, params: Params, **summary: Any) -> Model:
            made = super().model(params, **summary)
            saves.append(made.summary["iterations"])
            return made

    train(x, y, config, callbacks=[log, Counting(tmp_path / "c.npz", {"config": config}, log, 3)])
    assert saves == [3, 6]
    saved = load_model_file(tmp_path / "c.npz")
    assert saved.state is not None and saved.state.iteration == 6
    assert [r["iteration"] for r in saved.history] == [0, 1, 2, 3, 4, 5]
    assert saved.model.summary["iterations"] == 6


def test_ctrl_c_stops_at_the_end_of_the_iteration() -> None:
    x, y = data()
    config = TrainConfig(iterations=50, lr=1e-3, hidden=4, bias=True, init="he", loss="mse")
    stop = StopOnInterrupt()

    class Interrupt(Callback):
        def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
            if state.iteration == 4:
                os.kill(os.getpid(), signal.SIGINT)
            return None

    before = signal.getsignal(signal.SIGINT)
    with stop.catching():
        result = train(x, y, config, callbacks=[Interrupt(), stop])
    assert signal.getsignal(signal.SIGINT) is before
    assert stop.requested and result.stop_reason == "callback"
    assert result.state.iteration == 4 and len(result.history) == 4  # the same iteration
    with stop.catching(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C gives up at once


def test_printed_lines_are_the_seeds_with_the_validation_loss_after() -> None:
    out = io.StringIO()
    printer = PrintLosses(out)
    printer.on_iteration_end(Record(0, 1.5, 0.1, 0.0), None)  # type: ignore[arg-type]
    printer.on_iteration_end(Record(1, 0.25, 0.1, 0.0, val_loss=0.5), None)  # type: ignore[arg-type]
    assert out.getvalue() == "0 1.5\n1 0.25 0.5\n"
    quiet = io.StringIO()
    x, y = data()
    config = TrainConfig(iterations=3, lr=1e-3, hidden=4, bias=True, init="he", loss="mse")
    result = train(x, y, config, callbacks=[PrintLosses(quiet, quiet=True)])
    assert quiet.getvalue() == record_line(result.history[-1]) + "\n"  # only the last line


def test_history_log_continues_elapsed_time_after_a_resume() -> None:
    log = HistoryLog([{"iteration": 0, "loss": 1.0, "elapsed": 2.5}])
    log.on_iteration_end(Record(1, 0.5, 0.1, 0.25), TrainState(Params(np.ones(1), np.ones(1)), {}))
    assert [r["elapsed"] for r in log.rows] == [2.5, 2.75]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_not_quiet() -> None:
    pytest.importorskip("tqdm", reason="the progress bar is drawn by tqdm")
    assert wants_bar(FakeTerminal(), quiet=False)
    assert not wants_bar(FakeTerminal(), quiet=True)
    assert not wants_bar(io.StringIO(), quiet=False)
    terminal = FakeTerminal()
    with ProgressBar(10, initial=2, stream=terminal, delay=0) as bar:
        bar.on_iteration_end(Record(2, 0.5, 0.1, 0.0), None)  # type: ignore[arg-type]
        bar.bar.refresh()  # drawn at once, not after tqdm's minimum interval
    assert "3/10" in terminal.getvalue() and "loss=0.5" in terminal.getvalue()
    plain = io.StringIO()
    assert around_bar(plain) is plain and around_bar(terminal) is not terminal


def test_a_summed_loss_is_printed_per_sample_under_a_header() -> None:
    import io

    from twolayer.outputs.callbacks import PrintLosses
    from twolayer.state import Record

    stream = io.StringIO()
    printer = PrintLosses(stream, header="# what the columns are", per_sample=(4, 2))
    for k in range(2):
        printer.on_iteration_end(Record(iteration=k, loss=8.0 * (k + 1), lr=0.1, elapsed=0.0, val_loss=3.0),
                                 None)  # type: ignore[arg-type]  # fmt: skip
    assert stream.getvalue() == "# what the columns are\n0 2.0 1.5\n1 4.0 1.5\n"
