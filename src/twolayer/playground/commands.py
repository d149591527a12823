"""What a page's commands do, apart from the web: one :class:`Page` per open page, holding its
session and the sample it follows, turns each command into the messages to send back.

The app (:mod:`twolayer.playground.app`) reads the commands from the WebSocket and runs
:meth:`Page.handle` in a worker thread, one command at a time.  Commands:

``start``     a new session from the URL hash (``settings``, ``edits``): the fields that fit
              are kept, each one that does not is named in the data message's ``problems``
``play``      start streaming frames (the app trains); ``step``: one iteration
``reset``     new starting weights, the same data
``settings``  change settings (live, or a reset of the network or of the data)
``edit``      add or remove clicked points
``weight``    set one weight: ``name`` (w1, w2, b1, b2), ``index`` ([i, j] or [k]), ``value``
``follow``    follow the point nearest to ``point`` through the network (null: stop)
``diagnose``  the training doctor's findings on the run so far (``doctor`` message)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from twolayer.data.prep import Dataset
from twolayer.errors import ConfigError, TwoLayerError
from twolayer.playground.datasets import parse_edits
from twolayer.playground.frames import data_message, frame
from twolayer.playground.session import Session
from twolayer.playground.settings import Settings
from twolayer.playground.trace import trace

Reply = dict[str, Any]


class Page:
    """One page's run: its session, and the point it follows (``("train", i)``) if any.

    Parameters
    ----------
    defaults : the settings a hash starts from.
    file_data : the ``--data`` file.
    stop : True once the page went away (long work stops early).
    """

    def __init__(
        self, defaults: Settings, file_data: Dataset | None, stop: Callable[[], bool]
    ) -> None:
        self.defaults, self.file_data, self.stop = defaults, file_data, stop
        self.session: Session | None = None
        self.following: tuple[str, int] | None = None

    def handle(self, cmd: str, message: dict[str, Any]) -> list[Reply]:
        """Carry out one command; the replies.  A ``playing`` reply starts or stops the
        training.  A command that does not fit raises a TwoLayerError and changes nothing."""
        if cmd == "start":
            return self.start(message)
        session = self.session
        if session is None:
            return [{"type": "error", "message": "send 'start' first"}]
        if cmd == "play":
            if session.error is not None or session.finished:
                return [self.frame([]), {"type": "playing", "playing": False}]
            return [{"type": "playing", "playing": True}]
        if cmd == "step":
            return [self.frame(session.advance(1)), {"type": "playing", "playing": False}]
        if cmd == "reset":
            session.reset()
            return [data_message(session), self.frame([])]
        if cmd == "settings":
            values = message.get("settings")
            if not isinstance(values, dict):
                return [{"type": "error", "message": "settings must be an object"}]
            changed = session.change(Settings.from_text(values, session.settings))
            if changed == "data":
                self.following = None  # the points were drawn again
            if changed in ("network", "data"):
                note = {"type": "reset", "because": changed}
                return [note, data_message(session), self.frame([])]
            return [{"type": "settings", "settings": session.settings.to_text()}]
        if cmd == "edit":
            session.edit(parse_edits(str(message.get("edit", "")), session.data.n_inputs),
                         self.stop)  # fmt: skip
            self.following = None  # the points were renumbered
            return [data_message(session), self.frame([])]
        if cmd == "weight":
            index = message.get("index")
            if not isinstance(index, list) or not all(isinstance(i, int) for i in index):
                raise ConfigError("a weight's index is a list of whole numbers")
            value = message.get("value")
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError("a weight's value must be a number")
            session.set_weight(str(message.get("name")), index, float(value))
            return [self.frame([])]
        if cmd == "diagnose":
            return [{"type": "doctor", "findings": session.diagnosis()}]
        if cmd == "follow":
            self.following = self._nearest(session, message.get("point"))
            return [self.frame([])]
        return [{"type": "error", "message": f"unknown command {cmd!r}"}]

    def frame(self, records: list[Any]) -> Reply:
        """A frame of the session, with the followed sample's trace."""
        assert self.session is not None
        message = frame(self.session, records)
        if self.following is not None:
            message["trace"] = trace(self.session, *self.following)
        return message

    def start(self, message: dict[str, Any]) -> list[Reply]:
        """A new session from the page's URL hash.  Each setting that does not fit is left at
        its default, clicked points that do not fit are dropped, and the data message names
        each problem."""
        values = message.get("settings")
        settings, problems = Settings.from_text_leniently(
            values if isinstance(values, dict) else {}, self.defaults
        )
        session = None
        for attempt in (settings, settings.replace(loss=""), self.defaults):
            try:
                session = Session(attempt, self.file_data)
                break
            except TwoLayerError as exc:
                problems.append(str(exc))
        assert session is not None
        try:
            session.edit(parse_edits(str(message.get("edits", "")), session.data.n_inputs),
                         self.stop)  # fmt: skip
        except ConfigError as exc:
            problems.append(f"the clicked points: {exc}")
        if self.session is not None:
            self.session.history.close()
        self.session, self.following = session, None
        data = data_message(session)
        data["problems"] = problems
        return [data, self.frame([]), {"type": "playing", "playing": False}]

    @staticmethod
    def _nearest(session: Session, point: Any) -> tuple[str, int] | None:
        """The set and index of the point nearest to ``point`` (None: follow nothing)."""
        if point is None:
            return None
        data = session.data
        try:
            where = np.asarray(point, dtype=np.float64).reshape(data.n_inputs)
        except (TypeError, ValueError):
            raise ConfigError(f"a point of this data has {data.n_inputs} coordinates") from None
        if not np.all(np.isfinite(where)):
            raise ConfigError("a point's coordinates must be finite")
        best: tuple[float, str, int] | None = None
        for which, subset in (("train", data.train), ("test", data.test)):
            if subset is None or not subset.n_samples:
                continue
            distances = np.sum((subset.x - where) ** 2, axis=1)
            index = int(np.argmin(distances))
            if best is None or distances[index] < best[0]:
                best = (float(distances[index]), which, index)
        return None if best is None else (best[1], best[2])


__all__ = ["Page"]
