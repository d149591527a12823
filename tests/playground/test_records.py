"""A run's history kept in bounded memory: the CSV rows in a temporary file, freed on reset."""

from __future__ import annotations

import csv
import gc
import io
import tracemalloc

import pytest

from twolayer.outputs.history import history_text
from twolayer.playground.records import RECENT, History, row
from twolayer.playground.session import Session
from twolayer.playground.settings import Settings
from twolayer.state import Record


def _records(n: int, start: int = 0) -> list[Record]:
    return [Record(i, 1.0 / (i + 1), 0.01, 0.001 * i, val_loss=2.0 / (i + 2),
                   grad_norms={"w1": 0.5, "w2": 0.25}, dead_fraction=0.0)
            for i in range(start, start + n)]  # fmt: skip


def test_the_csv_is_the_history_text_of_every_record() -> None:
    history = History()
    chunks = [_records(3), _records(4, 3), _records(1, 7)]
    for chunk in chunks:
        history.extend(chunk)
    everything = [r for chunk in chunks for r in chunk]
    assert b"".join(history.csv()).decode() == history_text([row(r) for r in everything], "csv")
    assert len(history) == 8 and history.last is everything[-1]
    header = next(csv.reader(io.StringIO(b"".join(history.csv()).decode())))
    assert header[:3] == ["iteration", "loss", "test_loss"]
    history.close()


def test_the_summary_names_the_final_and_best_test_loss() -> None:
    history = History()
    history.extend(_records(5))
    summary = history.summary(stop_reason="playground")
    assert summary["iterations"] == 5 and summary["first_loss"] == 1.0
    assert summary["final_val_loss"] == 2.0 / 6 and summary["best_val_loss"] == 2.0 / 6
    assert summary["stop_reason"] == "playground"
    history.close()


def test_a_download_reads_the_rows_written_when_it_began_even_after_a_reset() -> None:
    history = History()
    history.extend(_records(3))
    blocks = history.csv()
    header = next(blocks)
    history.extend(_records(2, 3))  # written after the download began: not in it
    history.close()  # a reset: the file stays until the download ends
    body = b"".join(blocks).decode()
    assert header.startswith(b"iteration,") and body.count("\n") == 3
    assert list(history.csv()) == []  # closed: nothing more to read


def test_memory_stays_bounded_over_a_long_run() -> None:
    """The session keeps no object per iteration: 3000 more iterations hold on to far less
    memory than their CSV rows (a list of records took about 0.6 KB per iteration). Tracing
    starts before the doctor's window of recent rows is refilled, so that the rows it lets go
    are traced as well as the rows it takes in."""
    session = Session(Settings(dataset="circle", samples=40, hidden=3, iterations=10_000))
    session.advance(50, seconds=60)
    tracemalloc.start()
    try:
        session.advance(RECENT + 50, seconds=60)
        gc.collect()
        before = tracemalloc.take_snapshot()
        for _ in range(30):
            session.advance(100, seconds=60)
        gc.collect()
        grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    size = len(b"".join(session.history.csv()))
    assert session.state.iteration == RECENT + 3100 and len(session.history) == RECENT + 3100
    assert size > 300_000 and grown < 20_000, (size, grown)


def test_reset_frees_the_history() -> None:
    session = Session(Settings(dataset="circle", samples=40, hidden=3))
    session.advance(20, seconds=60)
    old = session.history
    session.reset()
    assert len(session.history) == 0 and list(old.csv()) == []
    with pytest.raises(ValueError, match="closed"):
        old._file.read()
