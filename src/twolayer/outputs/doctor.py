"""A training doctor: a few lines on how a run went, each with what to change.

:func:`diagnose` reads a finished run (its history, final weights, configuration and the
network's training inputs) and checks, with the thresholds below:

* the **update-to-weight ratio** of each weight matrix, the size of one step against the size
  of the weights (about 1e-3 is healthy): its median over the run above :data:`RATIO_HIGH`,
  the rate is too large; even its largest below :data:`RATIO_LOW`, too small (a run that
  converged takes tiny steps at its end, rightly);
* **dead units**: ReLU units that output 0 for every training row (:data:`DEAD_HIGH`);
* **saturation** of tanh and logistic units (:data:`SATURATED_HIGH` of outputs within 1% of
  the flat ends), where gradients vanish;
* the **gradient-norm trend**: grown :data:`GROWTH_HIGH` times since the start;
* **plateau** (the loss of the last quarter moved less than :data:`PLATEAU` relatively) and
  **oscillation** (the loss went up in more than :data:`OSCILLATION` of the last steps);
* **overfitting**: the validation loss :data:`GAP_HIGH` times the training loss and rising.

No finding says so in one line.  ``twolayer train --diagnose`` prints them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twolayer.config import TrainConfig
from twolayer.nn.model import Params, forward
from twolayer.state import Record

RATIO_HIGH = 1e-1
RATIO_LOW = 1e-5
DEAD_HIGH = 0.5
SATURATED_HIGH = 0.5
GROWTH_HIGH = 10.0
PLATEAU = 1e-3
OSCILLATION = 0.4
GAP_HIGH = 1.5


@dataclass(frozen=True)
class Finding:
    """One thing the doctor saw: what (``check``), the figure, and what to change."""

    check: str
    figure: str
    advice: str

    def line(self) -> str:
        return f"{self.check}: {self.figure}; {self.advice}"


def _update_ratios(history: Sequence[Record], params: Params, config: TrainConfig) -> list[Finding]:
    """One step's size against the final weights' size, over the run."""
    found = []
    for name in ("w1", "w2"):
        weights = getattr(params, name)
        size = float(np.linalg.norm(weights))
        steps = []
        for r in history:
            grad = r.grad_norms.get(name)
            if grad is None:
                continue
            if config.optimizer == "adam":  # each element moves by about lr
                steps.append(r.lr * math.sqrt(weights.size))
            elif config.optimizer in ("momentum", "nesterov"):
                steps.append(r.lr * grad / (1 - config.momentum))
            else:
                steps.append(r.lr * grad)
        if not steps or size == 0:
            continue
        median, largest = float(np.median(steps)) / size, max(steps) / size
        lr = history[-1].lr
        if median > RATIO_HIGH:
            found.append(Finding(f"update-to-weight ratio of {name}", f"{median:.2g} (median)",
                                 f"steps are large against the weights: lower --lr (try "
                                 f"{lr / 10:g})"))  # fmt: skip
        elif largest < RATIO_LOW:
            found.append(Finding(f"update-to-weight ratio of {name}", f"{largest:.2g} at most",
                                 f"steps barely move the weights: raise --lr (try "
                                 f"{lr * 10:g}) or use --optimizer adam"))  # fmt: skip
    return found


def _hidden(params: Params, x: Any, config: TrainConfig) -> list[Finding]:
    if x is None or not hasattr(x, "shape") or x.shape[0] == 0:
        return []
    rows = np.asarray(x[: min(len(x), 5000)], dtype=params.w1.dtype)
    _, cache = forward(params, rows, config.activation)
    a = np.asarray(cache.a)
    found = []
    if config.activation == "relu":
        dead = float(np.mean(np.all(a <= 0, axis=0)))
        if dead > DEAD_HIGH:
            found.append(Finding("dead units", f"{dead:.0%} of the ReLU units output 0 on every "
                                 "row", "lower --lr, use --init he, or --activation "
                                 "leaky_relu"))  # fmt: skip
    elif config.activation in ("tanh", "logistic"):
        low, high = (-1.0, 1.0) if config.activation == "tanh" else (0.0, 1.0)
        edge = 0.01 * (high - low)
        saturated = float(np.mean((a < low + edge) | (a > high - edge)))
        if saturated > SATURATED_HIGH:
            found.append(Finding("saturation", f"{saturated:.0%} of the {config.activation} "
                                 "outputs sit at their flat ends, where gradients vanish",
                                 "standardise the inputs (--standardize) and use --init "
                                 "glorot"))  # fmt: skip
    return found


def _curves(history: Sequence[Record], config: TrainConfig) -> list[Finding]:
    found = []
    norms = [sum(v * v for v in r.grad_norms.values()) ** 0.5 for r in history if r.grad_norms]
    if len(norms) >= 5 and norms[0] > 0 and norms[-1] > GROWTH_HIGH * norms[0]:
        growth = norms[-1] / norms[0]
        found.append(Finding("gradient norm", f"grew {growth:.3g} times since the start",
                             "training is heading for divergence: lower --lr"))  # fmt: skip
    losses = [r.loss for r in history]
    tail = losses[-max(4, len(losses) // 4) :]
    if len(losses) >= 20:
        ups = sum(b > a for a, b in itertools.pairwise(tail)) / (len(tail) - 1)
        moved = abs(tail[0] - tail[-1]) / max(abs(tail[0]), 1e-300)
        if ups > OSCILLATION:
            found.append(Finding("oscillation", f"the loss went up in {ups:.0%} of the last "
                                 f"{len(tail)} iterations", "lower --lr, or use larger "
                                 "--batch-size"))  # fmt: skip
        elif moved < PLATEAU:
            found.append(Finding("plateau", f"the loss of the last {len(tail)} iterations moved "
                                 f"{moved:.2g} (relative)", "training has converged, or --lr "
                                 "is too small: try twolayer lr-find"))  # fmt: skip
    vals = [(r.loss, r.val_loss) for r in history if r.val_loss is not None]
    if len(vals) >= 10:
        train_loss, val_loss = vals[-1]
        best = min(v for _, v in vals)
        if train_loss > 0 and val_loss > GAP_HIGH * train_loss and val_loss > best:
            found.append(Finding("overfitting", f"validation loss {val_loss:.4g} is "
                                 f"{val_loss / train_loss:.2g} times the training loss and "
                                 "above its best", "use --early-stopping, --alpha (L2), fewer "
                                 "--hidden units, or more data"))  # fmt: skip
    return found


def diagnose(
    history: Sequence[Record], params: Params, config: TrainConfig, x: Any = None
) -> list[Finding]:
    """What the doctor sees in a finished run: its ``history``, final ``params``, ``config``
    and the network's training inputs ``x`` (N, D_in), scaled as trained (None: the checks
    of the hidden layer are skipped)."""
    if not history:
        return []
    return [*_update_ratios(history, params, config), *_hidden(params, x, config),
            *_curves(history, config)]  # fmt: skip


__all__ = ["Finding", "diagnose"]
