"""The workloads the speed benchmarks time: problems of the seed's kind, at three shapes.

Each is drawn as the seed draws its arrays (:func:`make_problem`), so the seed's loop and every
solver start from the same float64 arrays; the iteration counts say how long a run is timed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twolayer import Params, SeedProblem, seed_draws


@dataclass(frozen=True)
class Workload:
    """A problem of the seed's kind and how many iterations to time."""

    name: str
    n: int  # N, samples
    d_in: int  # D_in
    hidden: int  # H
    d_out: int  # D_out
    iterations: int  # full-batch gradient-descent iterations per timed run
    lr: float  # learning rate for the seed's sum of squared errors

    @property
    def flops(self) -> int:
        """Floating-point operations of one iteration's matrix products."""
        return 4 * self.n * self.d_in * self.hidden + 6 * self.n * self.hidden * self.d_out

    def describe(self) -> str:
        """Sizes and learning rate, for headings."""
        return (
            f"N={self.n:,}, D_in={self.d_in:,}, H={self.hidden:,}, D_out={self.d_out}, "
            f"lr {self.lr:g}"
        )


WORKLOADS = {
    "seed": Workload("seed", 64, 1000, 100, 10, 500, 1e-6),
    "wide": Workload("wide", 8192, 4096, 1024, 128, 20, 5e-11),
    "tall": Workload("tall", 200_000, 100, 100, 10, 20, 5e-10),
}
"""The three workloads, at their full iteration counts."""

DEFAULT_ITERATIONS = {"seed": 500, "wide": 3, "tall": 5}
"""Iterations timed by a default run (a few minutes on 2 cores); ``--full`` uses WORKLOADS'."""

QUICK_ITERATIONS = {"seed": 100, "wide": 1, "tall": 1}


@dataclass
class Problem:
    """The starting arrays every implementation of a workload gets (float64)."""

    workload: Workload
    x: np.ndarray[Any, Any]
    y: np.ndarray[Any, Any]
    params: Params


def make_problem(workload: Workload, seed: int = 0) -> Problem:
    """Draw the workload's data and weights as ``np.random.seed(seed)`` and the seed would."""
    w = workload
    x, y, params = seed_draws(seed, SeedProblem(w.n, w.d_in, w.hidden, w.d_out, w.lr))
    return Problem(w, x, y, params)
