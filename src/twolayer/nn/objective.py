"""The training objective of one batch: the loss of the network's prediction, plus an optional
L2 penalty on the weights, with the gradient of both.

For a batch of n samples::

    objective = loss(forward(x), y) + factor * (alpha/2 * (||w1||^2 + ||w2||^2)
                                                + l1 * (|w1|_1 + |w2|_1))
    factor    = 1/n for the mean losses (mse, half_mse, cross_entropy), 1 for the seed's sse

(n is the sum of the sample weights when the batch has any, as the weighted mean losses divide by
it), so the penalty weighs as much, relative to the data, at every batch size: with ``half_mse`` and
``cross_entropy`` this is scikit-learn's ``loss + 0.5 * alpha * sum(||W||^2) / n_samples``.  The
biases are never penalised.  ``docs/backprop.md`` derives the gradient ``factor * alpha * w``;
the L1 penalty's is ``factor * l1 * sign(w)`` (0 at a weight of exactly 0: the subgradient that
leaves it there), which pulls every weight towards zero by the same amount, so small ones end
near it rather than shrinking in proportion.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import Array, namespace
from twolayer.errors import DataError
from twolayer.nn.losses import get_loss
from twolayer.nn.model import Cache, Grads, Params, backward, forward


def l2_penalty(params: Params, alpha: float) -> tuple[Array, Grads]:
    """``alpha/2 (||w1||^2 + ||w2||^2)`` and its gradient: ``alpha w1`` (D_in, H), ``alpha w2``
    (H, D_out), and zeros for the biases when there are any."""
    xp = namespace(params.w1)
    value = 0.5 * alpha * (xp.sum(params.w1 * params.w1) + xp.sum(params.w2 * params.w2))
    zeros = None if params.b1 is None else (xp.zeros_like(params.b1), xp.zeros_like(params.b2))
    return value, Grads(alpha * params.w1, alpha * params.w2, *(zeros or ()))


def l1_penalty(params: Params, l1: float) -> tuple[Array, Grads]:
    """``l1 (|w1|_1 + |w2|_1)``, the sum of the weights' sizes, and its gradient ``l1 sign(w1)``
    (D_in, H), ``l1 sign(w2)`` (H, D_out) (0 at a weight of exactly 0, where ``|w|`` has no
    slope: the subgradient that leaves it there), zeros for the biases when there are any.
    """
    xp = namespace(params.w1)
    value = l1 * (xp.sum(xp.abs(params.w1)) + xp.sum(xp.abs(params.w2)))
    zeros = None if params.b1 is None else (xp.zeros_like(params.b1), xp.zeros_like(params.b2))
    return value, Grads(l1 * xp.sign(params.w1), l1 * xp.sign(params.w2), *(zeros or ()))


def penalty_factor(loss: str, n: float) -> float:
    """How the penalty scales with a batch of ``n`` samples (or of sample weights summing to
    ``n``): ``1/n`` for a loss that averages over samples, 1 for one that sums (the seed's
    ``sse``)."""
    return 1.0 / n if get_loss(loss).reduction == "mean" else 1.0


def add_penalty(
    params: Params, loss: Array, grads: Grads, alpha: float, factor: float, l1: float = 0.0
) -> tuple[Array, Grads]:
    """``loss`` and ``grads`` with ``factor`` times the L2 penalty, then the L1 penalty, added
    (unchanged when both are 0, so runs without a penalty compute exactly what they always
    did)."""
    if alpha != 0:
        value, extra = l2_penalty(params, alpha)
        loss, grads = loss + factor * value, grads.map(lambda g, e: g + factor * e, extra)
    if l1 != 0:
        value, extra = l1_penalty(params, l1)
        loss, grads = loss + factor * value, grads.map(lambda g, e: g + factor * e, extra)
    return loss, grads


def add_penalty_into(
    loss: Any, weights: NDArray[Any], grads: NDArray[Any], scratch: NDArray[Any], split: int,
    alpha: float, factor: float, l1: float = 0.0,
) -> Any:  # fmt: skip
    """:func:`add_penalty`'s twin for flat NumPy buffers: ``weights`` holds w1's entries, then
    w2's (``split`` = D_in H of them), and ``grads`` their gradients, in place; ``scratch`` is
    like them.  Returns the loss (a NumPy scalar of the data's dtype) with the penalty added,
    from the same operations as :func:`l2_penalty` (each weight array's sum of squares, then
    their sum) so the numbers are the same; then the L1 penalty's, as :func:`l1_penalty`."""
    if alpha != 0:
        np.multiply(weights, weights, out=scratch)
        squares = np.add.reduce(scratch[:split]) + np.add.reduce(scratch[split:])
        value = 0.5 * alpha * squares
        np.multiply(weights, alpha, out=scratch)  # alpha w
        np.multiply(scratch, factor, out=scratch)
        np.add(grads, scratch, out=grads)  # g + factor (alpha w); the biases' g + 0 stay g
        loss = loss + factor * value
    if l1 != 0:
        np.abs(weights, out=scratch)
        sizes = np.add.reduce(scratch[:split]) + np.add.reduce(scratch[split:])
        value = l1 * sizes
        np.sign(weights, out=scratch)
        np.multiply(scratch, l1, out=scratch)  # l1 sign(w)
        np.multiply(scratch, factor, out=scratch)
        np.add(grads, scratch, out=grads)
        loss = loss + factor * value
    return loss


def loss_and_grads(
    params: Params, x: Array, y: Array, *, activation: str, loss: str, alpha: float = 0.0,
    weight: Array | None = None, l1: float = 0.0,
) -> tuple[Array, Grads, Cache]:  # fmt: skip
    """Forward, loss (and penalty) and backward for one batch x (n, D_in), y (n, D_out), with
    optional sample weights ``weight`` (n,): ``(objective, grads, cache)``."""
    y_pred, cache = forward(params, x, activation)
    if tuple(y.shape) != tuple(y_pred.shape):
        raise DataError(f"y must have shape {tuple(y_pred.shape)}, (N, D_out) with D_out = "
                        f"w2.shape[1]; got {tuple(y.shape)}")  # fmt: skip
    value, grad_y_pred = get_loss(loss).fn(y_pred, y, weight)
    grads = backward(params, cache, grad_y_pred, activation)
    n = x.shape[0] if weight is None else float(namespace(weight).sum(weight))
    value, grads = add_penalty(params, value, grads, alpha, penalty_factor(loss, n), l1)
    return value, grads, cache
