"""A loss curve that redraws itself in a notebook while ``fit`` or ``train`` runs.

:class:`LivePlot` is a :class:`~twolayer.state.Callback`: every ``every`` iterations, and once
more at the end, it draws the history so far with :func:`twolayer.outputs.plot.draw_history`
(matplotlib's Agg canvas, no ``pyplot``) and puts the picture in one output area of the
notebook, replaced in place each time (IPython's ``display(..., display_id=True)`` and the
handle's ``update``).  matplotlib and IPython are imported when a LivePlot is made, not when
twolayer is: ``pip install 'twolayer[notebooks]'``.

    >>> from twolayer.outputs.live import LivePlot
    >>> result = train(x, y, config, callbacks=[LivePlot(every=25)])  # doctest: +SKIP
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, Protocol

from twolayer.backend import import_optional
from twolayer.errors import POSITIVE_INT
from twolayer.outputs.plot import draw_history, require_matplotlib
from twolayer.state import Callback, Record, TrainResult, TrainState


class Handle(Protocol):
    """What ``display(obj, display_id=True)`` returns: the output area, to redraw in place."""

    def update(self, obj: Any) -> None: ...


Display = Callable[..., Handle | None]


class Picture:
    """A PNG image that a notebook shows (IPython calls ``_repr_png_``)."""

    def __init__(self, png: bytes) -> None:
        self.png = png

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:  # what a notebook shows where it cannot show a picture
        return f"<loss curves: a {len(self.png):,}-byte PNG picture>"


class LivePlot(Callback):
    """Redraw the loss curves in place while training runs (in a Jupyter notebook).

    Parameters
    ----------
    every : redraw after every ``every`` iterations (and always after the last one); each
        drawing costs tens of milliseconds, so a small ``every`` slows a fast run down.
    title : shown above the curves.
    loss : the loss's name, for the axis label.
    display : IPython's ``display`` (the default), or any function that takes the picture
        and ``display_id=True`` and returns an object with ``update(picture)``.

    Raises
    ------
    ConfigError
        When matplotlib or (without ``display``) IPython is not installed.
    """

    reads_state = False  # the records only

    def __init__(
        self, every: int = 10, *, title: str = "", loss: str | None = None,
        display: Display | None = None,
    ) -> None:  # fmt: skip
        POSITIVE_INT.check("LivePlot: every", every)
        require_matplotlib()
        if display is None:
            display = import_optional("IPython.display", "IPython", "notebooks").display
        self.every, self.title, self.loss = every, title, loss
        self.show: Display = display
        self.rows: list[dict[str, Any]] = []
        self.handle: Handle | None = None
        self.drawn = 0  # pictures shown so far

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        self.rows.append(record.to_dict())
        if len(self.rows) % self.every == 0:
            self.draw()
        return None

    def on_train_end(self, result: TrainResult) -> None:
        if self.rows and len(self.rows) % self.every:  # the last iterations, not drawn yet
            self.draw()

    def draw(self) -> None:
        """Show the curves of the rows so far, in place of the last picture."""
        picture = self.picture()
        if self.handle is None:
            self.handle = self.show(picture, display_id=True)
        else:
            self.handle.update(picture)
        self.drawn += 1

    def picture(self) -> Picture:
        """The curves of the rows so far, as a PNG picture."""
        figure = draw_history(self.rows, title=self.title, loss=self.loss)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        return Picture(buffer.getvalue())


__all__ = ["Handle", "LivePlot", "Picture"]
