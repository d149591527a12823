"""The seed's loop, re-implemented plainly for the tests to compare against.

This is ``docs/seed/000_a9de79f32e810abc.txt`` after ``np.random.seed(seed)``, with the
sizes as parameters, returning the printed lines and the final weights instead of printing.  It
deliberately uses the global ``np.random`` functions as the notebook does, restoring the global
state afterwards so tests stay independent.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def seed_loop(
    seed: int = 0,
    N: int = 64,
    D_in: int = 1000,
    H: int = 100,
    D_out: int = 10,
    learning_rate: float = 1e-6,
    iterations: int = 500,
) -> tuple[list[str], Any, Any]:
    """Run the notebook's cell; return its printed lines and the final ``w1``, ``w2``."""
    saved = np.random.get_state()
    try:
        np.random.seed(seed)
        x = np.random.randn(N, D_in)
        y = np.random.randn(N, D_out)
        w1 = np.random.randn(D_in, H)
        w2 = np.random.randn(H, D_out)
    finally:
        np.random.set_state(saved)
    lines = []
    for it in range(iterations):
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        loss = np.square(y_pred - y).sum()
        lines.append(f"{it} {loss}")  # print(it, loss) writes str() of the NumPy float
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return lines, w1, w2
