"""Which learning rate: the exponential range test (``twolayer lr-find``).

Training starts from the run's initial weights and takes one iteration at each of ``steps``
rates growing geometrically from ``lr_min`` to ``lr_max``, its optimizer's state carried on,
until the loss exceeds ``stop_factor`` times the first loss (the divergence guard stops it).
The losses, smoothed (an exponential average, bias-corrected), fall slowly while the rate is too
small, fastest at a good rate, then blow up.  The suggestion is the rate where the smoothed
loss falls fastest per factor of rate (the steepest descent on a log axis); ``lowest`` is the
rate of the lowest smoothed loss, a tenth of which is the other common choice.

Why the seed needs 1e-6 and a mean loss 1e-3: the seed's ``sse`` sums N x D_out = 640 squared
errors and its inputs are 1,000 unscaled standard normals, so its gradients are thousands of
times those of ``mse`` on standardised data; the test finds each one's scale (docs/training.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from twolayer.config import TrainConfig
from twolayer.errors import ConfigError, DivergenceError, Range
from twolayer.nn.model import Params
from twolayer.state import Callback, Record, TrainState
from twolayer.train import train

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class RangeTest:
    """What the range test found.

    Attributes
    ----------
    rates : the rate of each iteration taken.
    losses : the training loss after that iteration (the next record's loss).
    smoothed : ``losses`` exponentially averaged (factor ``smoothing``), bias-corrected.
    suggested : the rate where the smoothed loss fell fastest per factor of rate; None when
        it never fell.
    lowest : the rate of the lowest smoothed loss.
    stopped : ``diverged`` (the loss passed ``stop_factor`` times the first) or ``completed``.
    """

    rates: tuple[float, ...]
    losses: tuple[float, ...]
    smoothed: tuple[float, ...]
    suggested: float | None
    lowest: float | None
    stopped: str


class _Losses(Callback):
    reads_state = False

    def __init__(self) -> None:
        self.records: list[Record] = []

    def on_iteration_end(self, record: Record, state: TrainState) -> bool:
        self.records.append(record)
        return False


def lr_range_test(
    x: Any, y: Any, config: TrainConfig, params: Params | None = None, *,
    lr_min: float = 1e-8, lr_max: float = 10.0, steps: int = 100, stop_factor: float = 4.0,
    smoothing: float = 0.9,
) -> RangeTest:  # fmt: skip
    """The range test on the network's arrays x (N, D_in), y (N, D_out) with ``config`` (its
    optimizer, batches, loss; its own rate, schedule, validation and early stopping are not
    used), from ``params`` or the weights ``config`` draws."""
    if not (0 < lr_min < lr_max and math.isfinite(lr_max)):
        raise ConfigError(f"lr_min {lr_min:g} and lr_max {lr_max:g}: need 0 < lr_min < lr_max")
    Range(3, integer=True).check("steps", steps)
    Range(1, low_open=True).check("stop_factor", stop_factor)
    Range(0, 1, high_open=True).check("smoothing", smoothing)
    base = config.replace(schedule="constant", validation_fraction=0.0, early_stopping=False,
                          n_iter_no_change=None, divergence_factor=stop_factor, scores=False,
                          track="loss")  # fmt: skip
    state = train(x, y, base.replace(iterations=0), params).state  # the starting weights
    rates = lr_min * (lr_max / lr_min) ** (np.arange(steps) / (steps - 1))
    seen = _Losses()
    stopped = "completed"
    try:
        for k, rate in enumerate(rates.tolist()):
            train(x, y, base.replace(lr=rate, iterations=k + 1), state=state, callbacks=[seen])
        last = _Losses()  # one more iteration: its record holds the loss after the last rate
        train(x, y, base.replace(lr=float(rates[-1]), iterations=steps + 1), state=state,
              callbacks=[last])  # fmt: skip
        final = [last.records[0].loss]
    except DivergenceError:
        stopped, final = "diverged", []
    losses = [r.loss for r in seen.records[1:]] + final  # loss after the rate of each step
    taken = rates[: len(losses)].tolist()
    smoothed = _smooth(losses, smoothing)
    return RangeTest(tuple(taken), tuple(losses), tuple(smoothed), *_choose(taken, smoothed),
                     stopped)  # fmt: skip


def _smooth(values: list[float], beta: float) -> list[float]:
    """An exponential moving average with bias correction, as the range test is read."""
    out, average = [], 0.0
    for k, v in enumerate(values, start=1):
        average = beta * average + (1 - beta) * v
        out.append(average / (1 - beta**k))
    return out


def _choose(rates: list[float], smoothed: list[float]) -> tuple[float | None, float | None]:
    """The rate of the steepest fall of ``smoothed`` against log(rate), before its lowest
    point, and the rate of that lowest point."""
    if len(smoothed) < 3:
        return None, None
    best = int(np.argmin(smoothed))
    slopes = np.diff(smoothed[: best + 1]) / np.diff(np.log(rates[: best + 1]))
    suggested = rates[int(np.argmin(slopes))] if slopes.size and slopes.min() < 0 else None
    return suggested, rates[best]


def draw_range_test(found: RangeTest, *, title: str = "") -> Figure:
    """The losses and their smoothed curve against the rate (log axis), the suggestion marked
    (matplotlib, headless)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot(found.rates, found.losses, color="tab:blue", alpha=0.35, label="loss")
    ax.plot(found.rates, found.smoothed, color="tab:blue", label="smoothed")
    if found.suggested is not None:
        ax.axvline(found.suggested, color="tab:orange", linestyle="--",
                   label=f"suggested {found.suggested:.2g}")  # fmt: skip
    ax.set_xscale("log")
    if all(v > 0 for v in found.losses):
        ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


__all__ = ["RangeTest", "draw_range_test", "lr_range_test"]
