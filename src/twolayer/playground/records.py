"""A run's history in bounded memory: every iteration's record, written to a temporary file.

A playground run may last up to ten million iterations; kept as Python objects its records
would take gigabytes.  :class:`History` writes each chunk's records at once as the rows of the
CSV file the page downloads (``twolayer train --history``'s columns, with ``test_`` in place of
``val_``), to an anonymous temporary file that the system deletes when it is closed (on reset)
or the process ends.  In memory it keeps a few numbers: the row count, the first and last
records and the best test loss, which are what the model file's summary needs, and the last
:data:`RECENT` records, which the training doctor reads.
"""

from __future__ import annotations

import collections
import math
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

from twolayer.outputs.history import history_text
from twolayer.state import Record

RENAMED = {"val_loss": "test_loss", "val_score": "test_score"}
"""The history's validation columns hold the playground's test points."""
BLOCK = 1 << 16  # bytes read at a time when the CSV is downloaded
RECENT = 200
"""How many of the latest records stay in memory, as a few numbers each, for the doctor."""


def row(record: Record) -> dict[str, Any]:
    """One record as a history row, ``val_*`` named ``test_*``."""
    return {RENAMED.get(k, k): v for k, v in record.to_dict().items()}


class History:
    """The records of one run since its last reset (see the module's docstring).

    The training thread appends (:meth:`extend`) while a download may read (:meth:`csv`):
    a lock keeps each append and each block read whole, and a download reads the rows that
    were written when it began.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close(), on reset)
        self._release = weakref.finalize(self, self._file.close)  # or when forgotten
        self._lock = threading.Lock()
        self._readers = 0
        self._closed = False
        self.header = b""
        self.count = 0
        self.first: Record | None = None
        self.last: Record | None = None
        self.best_test_loss: float | None = None
        # the doctor's window, as plain numbers (a Record with its dicts is ten times larger)
        self.recent: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=RECENT)

    def __len__(self) -> int:
        return self.count

    def extend(self, records: Sequence[Record]) -> None:
        """Append ``records`` (one chunk's) as CSV rows."""
        if not records:
            return
        header, body = history_text([row(r) for r in records], "csv").split("\n", 1)
        with self._lock:
            self.header = self.header or (header + "\n").encode()
            self._file.seek(0, 2)
            self._file.write(body.encode())
        self.count += len(records)
        self.first = self.first or records[0]
        self.last = records[-1]
        self.recent.extend((r.iteration, r.loss, r.lr, r.val_loss, r.grad_norms.get("w1"),
                            r.grad_norms.get("w2")) for r in records)  # fmt: skip
        tests = [r.val_loss for r in records if r.val_loss is not None]
        finite = [v for v in tests if math.isfinite(v)]
        if finite:
            best = min(finite) if self.best_test_loss is None else self.best_test_loss
            self.best_test_loss = min(best, *finite)

    def csv(self) -> Iterator[bytes]:
        """The CSV file's bytes, a block at a time: the header, then every row written when
        the first block is read."""
        with self._lock:
            if self._closed:
                return
            self._readers += 1
            self._file.flush()
            size = self._file.seek(0, 2)
        try:
            yield self.header
            offset = 0
            while offset < size:
                with self._lock:
                    self._file.seek(offset)
                    block = self._file.read(min(BLOCK, size - offset))
                if not block:
                    break
                offset += len(block)
                yield block
        finally:
            with self._lock:
                self._readers -= 1
                if self._closed and not self._readers:
                    self._release()

    def summary(self, **extra: Any) -> dict[str, Any]:
        """What a model file keeps of the history (the keys of
        :func:`twolayer.outputs.history.summarize`), the test points standing for the
        validation data, and ``extra``."""
        if self.first is None or self.last is None:
            return {"iterations": 0, **extra}
        return {
            "iterations": self.count,
            "first_loss": self.first.loss,
            "final_loss": self.last.loss,
            "final_val_loss": self.last.val_loss,
            "best_val_loss": self.best_test_loss,
            "seconds": self.last.elapsed,
            **extra,
        }

    def reviewed(self) -> list[Record]:
        """The records the doctor reads: the first, then the latest :data:`RECENT` (their
        losses, rates and weight gradients' norms)."""
        recent = []
        for iteration, loss, lr, val_loss, g1, g2 in self.recent:
            norms = {} if g1 is None or g2 is None else {"w1": g1, "w2": g2}
            recent.append(Record(iteration, loss, lr, 0.0, val_loss, norms))
        if self.first is not None and (not recent or recent[0].iteration != self.first.iteration):
            return [self.first, *recent]
        return recent

    def close(self) -> None:
        """Forget the rows: the file goes now, or when the last download reading it ends."""
        with self._lock:
            self._closed = True
            if not self._readers:
                self._release()


__all__ = ["RENAMED", "History", "row"]
