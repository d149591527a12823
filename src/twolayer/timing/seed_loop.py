"""The seed notebook's loop, written once: a function to call and a script to run.

:func:`seed_loop` is the loop of ``docs/seed/000_a9de79f32e810abc.txt`` as written, with
the arrays, learning rate and iteration count as arguments; it collects the losses and hands
each to ``report`` (the notebook prints them).  Run as a script, this file is the notebook's
cell: it draws with ``np.random.seed(0)`` and prints ``it loss`` for ``sys.argv[1]``
iterations.  It imports NumPy only, so that a whole process running it costs what the seed's
own script costs; :func:`script` returns its text for ``python -c``.

``twolayer bench`` times twolayer's solvers against :func:`seed_loop` and checks the direct
solver's losses against it bit for bit.  The tests keep their own plain copy of the loop
(``tests/reference.py``) as an independent oracle.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

Array = np.ndarray[Any, Any]


def seed_loop(
    x: Array,
    y: Array,
    w1: Array,
    w2: Array,
    learning_rate: float,
    iterations: int,
    report: Callable[[int, Any], object] | None = None,
) -> list[float]:
    """Run the notebook's loop from ``w1``, ``w2`` (updated in place); return the losses,
    calling ``report(it, loss)`` where the notebook calls ``print(it, loss)``."""
    losses = []
    for it in range(iterations):
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        loss = np.square(y_pred - y).sum()
        losses.append(float(loss))
        if report is not None:
            report(it, loss)
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return losses


def script() -> str:
    """This file's text: ``python -c SCRIPT ITERATIONS`` runs the seed's cell."""
    with open(__file__, encoding="utf-8") as f:
        return f.read()


def main(argv: Sequence[str]) -> None:
    """The notebook's cell: its draws, its sizes and learning rate, ``argv[0]`` iterations."""
    np.random.seed(0)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = np.random.randn(N, D_in)
    y = np.random.randn(N, D_out)
    w1 = np.random.randn(D_in, H)
    w2 = np.random.randn(H, D_out)
    seed_loop(x, y, w1, w2, 1e-6, int(argv[0]), print)


if __name__ == "__main__":
    main(sys.argv[1:])
