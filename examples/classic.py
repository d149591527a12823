"""
The seed's loop in our own words
================================

The classic two-layer network in plain NumPy: forward, loss, backward, update.

The same computation as docs/seed/000_a9de79f32e810abc.txt (and `twolayer seed`), written
out in one loop so every gradient is visible. Run: python examples/classic.py

The loop is a function, so that the repository's benchmarks time twolayer's solvers against
this very loop (``python benchmarks/bench.py``) rather than a copy of it.
"""

from collections.abc import Callable
from typing import Any

import numpy as np


def seed_loop(
    x: np.ndarray,
    y: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
    learning_rate: float,
    iterations: int,
    report: Callable[[int, Any], object] | None = print,
) -> list[float]:
    """Train from ``w1``, ``w2`` (updated in place) and return the losses; ``report(it, loss)``
    sees each loss as the seed's ``print(it, loss)`` does (None: report nothing)."""
    losses = []
    for it in range(iterations):
        # Forward pass
        h = x.dot(w1)  # (N, D_in) @ (D_in, H) -> (N, H)
        h_relu = np.maximum(h, 0)  # ReLU, (N, H)
        y_pred = h_relu.dot(w2)  # (N, H) @ (H, D_out) -> (N, D_out)

        # Loss: sum of squared errors
        loss = np.square(y_pred - y).sum()
        losses.append(float(loss))
        if report is not None:
            report(it, loss)

        # Backward pass: each gradient has the shape of what it differentiates
        grad_y_pred = 2.0 * (y_pred - y)  # dL/dy_pred, (N, D_out)
        grad_w2 = h_relu.T.dot(grad_y_pred)  # (H, N) @ (N, D_out) -> (H, D_out)
        grad_h_relu = grad_y_pred.dot(w2.T)  # (N, D_out) @ (D_out, H) -> (N, H)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0  # ReLU passes the gradient only where it was active
        grad_w1 = x.T.dot(grad_h)  # (D_in, N) @ (N, H) -> (D_in, H)

        # Gradient-descent update
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return losses


def main(iterations: int = 500) -> None:
    """The seed's experiment: its sizes, its draws and learning rate; prints ``it loss``."""
    N, D_in, H, D_out = 64, 1000, 100, 10  # samples, input size, hidden units, output size
    learning_rate = 1e-6

    rng = np.random.RandomState(0)  # the same draws as np.random.seed(0), without global state
    x = rng.randn(N, D_in)  # inputs (N, D_in)
    y = rng.randn(N, D_out)  # targets (N, D_out)
    w1 = rng.randn(D_in, H)  # first-layer weights (D_in, H)
    w2 = rng.randn(H, D_out)  # second-layer weights (H, D_out)
    seed_loop(x, y, w1, w2, learning_rate, iterations)


if __name__ == "__main__":
    main()
