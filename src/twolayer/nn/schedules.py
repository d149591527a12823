"""Learning-rate schedules: ``step -> lr`` functions, and one small object for the stateful one.

``step`` counts epochs from 0 (one epoch is one full-batch iteration, the seed's unit). Every
schedule starts at the base rate ``lr``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from twolayer.errors import choice_error

Schedule = Callable[[int], float]
SCHEDULES = ("constant", "invscaling", "step", "cosine", "plateau")


def constant(lr: float) -> Schedule:
    """``lr`` at every step (the seed's)."""
    return lambda step: lr


def inverse_scaling(lr: float, power: float = 0.5) -> Schedule:
    """``lr / (step + 1)^power``: scikit-learn's ``invscaling`` with its step counted from 1."""
    return lambda step: lr / (step + 1) ** power


def step_decay(lr: float, step_size: int = 100, gamma: float = 0.1) -> Schedule:
    """``lr * gamma^floor(step / step_size)``: multiply by ``gamma`` every ``step_size`` steps."""
    return lambda step: lr * gamma ** (step // step_size)


def cosine(lr: float, total: int, lr_min: float = 0.0) -> Schedule:
    """Cosine annealing from ``lr`` at step 0 to ``lr_min`` at step ``total``, then ``lr_min``."""

    def schedule(step: int) -> float:
        progress = min(step, total) / max(total, 1)
        return lr_min + 0.5 * (lr - lr_min) * (1 + math.cos(math.pi * progress))

    return schedule


@dataclass
class ReduceOnPlateau:
    """Multiply the rate by ``factor`` when the watched loss has not improved for ``patience``
    steps (improved: fell below ``best * (1 - threshold)``), never going below ``min_lr``.

    Call it with a step to get the current rate; tell it each step's loss with :meth:`observe`.
    All of its state is in its fields, so a checkpoint can save and restore it.
    """

    lr: float
    factor: float = 0.5
    patience: int = 10
    threshold: float = 1e-4
    min_lr: float = 0.0
    best: float = math.inf
    wait: int = 0

    def __call__(self, step: int) -> float:
        return self.lr

    def observe(self, loss: float) -> None:
        """Record one step's loss and lower the rate after ``patience`` steps without progress."""
        if loss < self.best * (1 - self.threshold):
            self.best, self.wait = loss, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.lr, self.wait = max(self.lr * self.factor, self.min_lr), 0


def make_schedule(
    name: str,
    lr: float,
    *,
    total: int = 500,
    power: float = 0.5,
    step_size: int = 100,
    gamma: float = 0.1,
    lr_min: float = 0.0,
    patience: int = 10,
    factor: float = 0.5,
) -> Schedule:
    """Build a schedule by name: constant, invscaling, step, cosine or plateau."""
    builders: dict[str, Callable[[], Schedule]] = {
        "constant": lambda: constant(lr),
        "invscaling": lambda: inverse_scaling(lr, power),
        "step": lambda: step_decay(lr, step_size, gamma),
        "cosine": lambda: cosine(lr, total, lr_min),
        "plateau": lambda: ReduceOnPlateau(lr, factor, patience, min_lr=lr_min),
    }
    if name not in builders:
        raise choice_error("schedule", name, builders)
    return builders[name]()
