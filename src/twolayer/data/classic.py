"""The seed's experiment: its exact random draws, its recipe and its printed lines.

``docs/seed/000_a9de79f32e810abc.txt`` draws ``x``, ``y``, ``w1`` and ``w2`` with
``np.random.randn`` in that order, then runs 500 full-batch gradient-descent steps at
lr = 1e-6 on the sum of squared errors, printing ``print(it, loss)`` before each update.
Here the draws come from a private ``np.random.RandomState(seed)``, which produces exactly what
``np.random.seed(seed)`` followed by ``np.random.randn`` does, without touching global state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from twolayer.config import TrainConfig, spec
from twolayer.errors import POSITIVE_INT
from twolayer.io.memory import check_network
from twolayer.nn.model import Params


@dataclass(frozen=True)
class SeedProblem:
    """The seed's sizes and learning rate (its defaults are the notebook's values)."""

    n: int = 64  # N, number of samples
    d_in: int = 1000  # D_in, input dimension
    hidden: int = 100  # H, hidden units (the notebook's comment calls it "hidden layers")
    d_out: int = 10  # D_out, output dimension
    lr: float = 1e-6  # learning rate
    iterations: int = 500  # gradient-descent steps

    def __post_init__(self) -> None:
        for name in ("n", "d_in", "d_out"):
            POSITIVE_INT.check(name, getattr(self, name))
        for name in ("hidden", "lr", "iterations"):  # as the configuration checks them
            within = spec(TrainConfig, name).range
            assert within is not None
            within.check(name, getattr(self, name))
        check_network({"n": self.n, "d_in": self.d_in, "hidden": self.hidden, "d_out": self.d_out})

    def config(self, **overrides: Any) -> TrainConfig:
        """The training configuration of the seed's recipe at these sizes.

        The seed has no explosion test, so only a non-finite loss stops it (as an error).
        """
        settings: dict[str, Any] = {
            "iterations": self.iterations,
            "lr": self.lr,
            "hidden": self.hidden,
            "divergence_factor": math.inf,
            **overrides,
        }
        return TrainConfig(**settings)


def seed_draws(
    seed: int = 0, problem: SeedProblem | None = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], Params]:
    """Draw the seed's data and weights as ``np.random.seed(seed)`` then the notebook would.

    Returns
    -------
    x : (N, D_in) standard normal inputs
    y : (N, D_out) standard normal targets
    params : Params with w1 (D_in, H) and w2 (H, D_out), standard normal, no biases
    """
    p = problem or SeedProblem()
    rs = np.random.RandomState(seed)
    x = rs.randn(p.n, p.d_in)
    y = rs.randn(p.n, p.d_out)
    w1 = rs.randn(p.d_in, p.hidden)
    w2 = rs.randn(p.hidden, p.d_out)
    return x, y, Params(w1, w2)


def format_line(iteration: int, loss: float) -> str:
    """One printed line, as the notebook's ``print(it, loss)`` writes it (``repr`` of the float)."""
    return f"{iteration} {float(loss)!r}"
