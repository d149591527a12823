"""Ready-made callbacks: the history log across a resume and the progress bar on a terminal."""

from __future__ import annotations

import io

import numpy as np
import pytest

from twolayer.model import Params
from twolayer.outputs.callbacks import HistoryLog, ProgressBar, around_bar, wants_bar
from twolayer.state import Record, TrainState


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
