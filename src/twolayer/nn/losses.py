"""Losses as pure functions returning ``(loss, grad)``, looked up by name.

Each takes the prediction ``y_pred`` and the target ``y``, both of shape (N, D_out), and returns
the loss as a 0-d array and its gradient with respect to ``y_pred``, shape (N, D_out).  An
optional ``weight`` (N,) of sample weights makes each sample count ``weight[i]`` times: its term
(and its row of the gradient) is multiplied by its weight, and a mean loss divides by the sum of
the weights instead of N (scikit-learn's ``sample_weight``), so integer weights give the loss of
the data with each row repeated that many times.  Without weights the code is unchanged.

How the squared-error losses relate (N samples, D_out outputs, ``SSE = sum((y_pred - y)^2)``):

================  =====================  ======================  ==============================
name              value                  gradient                lr equal to the seed's ``lr``
================  =====================  ======================  ==============================
``sse``           ``SSE`` (the seed's)   ``2 (y_pred - y)``      ``lr``
``mse``           ``SSE / (N D_out)``    ``2 (y_pred - y)/(N D_out)``  ``lr * N * D_out``
``half_mse``      ``SSE / (2 N)``        ``(y_pred - y) / N``    ``lr * 2 * N``
================  =====================  ======================  ==============================

``mse`` is PyTorch's ``MSELoss()`` (mean over every element); ``half_mse`` is the objective whose
gradient scikit-learn's ``MLPRegressor`` follows (its reported ``loss_`` also divides by D_out,
which only changes the printed value when D_out > 1). Because each gradient is the seed's times a
constant, gradient descent with the lr in the last column takes exactly the seed's steps; when
the constant is a power of two the weights agree bit for bit. ``docs/losses.md`` derives it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import Array, namespace
from twolayer.errors import choice_error
from twolayer.nn.activations import logistic


class Loss(NamedTuple):
    """A loss function and how its values over batches combine into one epoch's loss."""

    name: str
    fn: Callable[..., tuple[Array, Array]]
    """``fn(y_pred, y, weight=None) -> (loss, grad)``."""
    reduction: Literal["sum", "mean"]
    """``sum``: the loss of a dataset is the sum of its batches' losses; ``mean``: their
    average weighted by batch size."""


class SquaredScale(NamedTuple):
    """How a squared-error loss scales the sum of squares ``SSE`` of a batch: the loss is
    ``SSE / divisor`` and its gradient ``(y_pred - y) * grad_factor``."""

    divisor: float  # an integer without sample weights
    grad_factor: float


def squared_scale(name: str, n: float, d_out: int) -> SquaredScale:
    """The scaling of the squared-error loss ``name`` for N = ``n`` samples and D_out = ``d_out``
    (``n`` is the sum of the sample weights when there are any).

    The one table behind :func:`sse`, :func:`mse`, :func:`half_mse` and their buffered twin
    :func:`squared_error_into` (``sse`` divides by 1: it is the seed's sum).
    """
    if name == "sse":
        return SquaredScale(1, 2.0)  # SSE;  2 (y_pred - y), the seed's
    if name == "mse":
        return SquaredScale(n * d_out, 2.0 / (n * d_out))  # SSE / (N D_out)
    if name == "half_mse":
        return SquaredScale(2 * n, 1.0 / n)  # SSE / (2 N);  (y_pred - y) / N
    raise choice_error("squared-error loss", name, SQUARED)


SQUARED = ("sse", "mse", "half_mse")
"""The squared-error losses, which :func:`squared_scale` describes."""


def _squared_error(
    name: str, y_pred: Array, y: Array, weight: Array | None = None
) -> tuple[Array, Array]:
    xp = namespace(y_pred, y)
    diff = y_pred - y  # (N, D_out)
    if weight is not None:  # each row's square and gradient times its weight
        scale = squared_scale(name, float(xp.sum(weight)), y.shape[1])
        w = weight[:, None]  # (N, 1)
        return xp.sum(w * xp.square(diff)) / scale.divisor, (w * diff) * scale.grad_factor
    scale = squared_scale(name, y.shape[0], y.shape[1])
    total = xp.sum(xp.square(diff))  # SSE
    loss = total if scale.divisor == 1 else total / scale.divisor  # (/ 1 would be exact anyway)
    return loss, diff * scale.grad_factor


def sse(y_pred: Array, y: Array, weight: Array | None = None) -> tuple[Array, Array]:
    """Sum of squared errors, the seed's L2 loss.

    ``loss = sum((y_pred - y)^2)``; ``grad = 2 (y_pred - y)``, computed as the seed computes
    both (``x * 2.0`` and ``2.0 * x`` round alike), so the seed's run is reproduced bit for bit.
    Shapes: (N, D_out), (N, D_out) -> (), (N, D_out).
    """
    return _squared_error("sse", y_pred, y, weight)


def mse(y_pred: Array, y: Array, weight: Array | None = None) -> tuple[Array, Array]:
    """Mean squared error over all N * D_out elements (PyTorch's ``MSELoss``).

    ``loss = SSE / (N D_out)``; ``grad = 2 (y_pred - y) / (N D_out)``.
    """
    return _squared_error("mse", y_pred, y, weight)


def half_mse(y_pred: Array, y: Array, weight: Array | None = None) -> tuple[Array, Array]:
    """Half the squared error averaged over samples, scikit-learn's regression objective.

    ``loss = SSE / (2 N)``; ``grad = (y_pred - y) / N``.
    """
    return _squared_error("half_mse", y_pred, y, weight)


def squared_error_into(
    y_pred: NDArray[Any],
    y: NDArray[Any],
    grad_factor: float,
    diff: NDArray[Any],
    square: NDArray[Any],
    total: NDArray[Any],
) -> float:
    """The squared losses' twin for NumPy buffers: the same lines, written into given arrays.

    Returns ``SSE`` of the batch (still to be divided by :attr:`SquaredScale.divisor`, which a
    caller summing several blocks of samples does once at the end) and leaves the gradient
    ``(y_pred - y) * grad_factor`` in ``diff``.  ``square`` is (N, D_out) scratch; ``total`` a
    0-d array.  Shapes: (N, D_out) everywhere.
    """
    np.subtract(y_pred, y, out=diff)  # diff = y_pred - y
    np.square(diff, out=square)
    np.add.reduce(square, axis=None, out=total)  # sum(square(diff)): pairwise, as .sum() adds
    np.multiply(diff, grad_factor, out=diff)  # the gradient, e.g. the seed's 2.0 * (y_pred - y)
    return float(total)


class LossBuffers(NamedTuple):
    """The arrays :func:`loss_into` writes, for a batch of n samples, allocated once."""

    grad: NDArray[Any]
    """(n, D_out): the gradient with respect to ``y_pred`` (``diff`` of the squared losses)."""
    scratch: NDArray[Any]
    """(n, D_out): the terms of the loss."""
    spare: NDArray[Any]
    """(n, D_out): log-probabilities or softplus of the classification losses."""
    row: NDArray[Any]
    """(n, 1): a row's maximum, then its log-sum-exp (``cross_entropy``)."""
    total: NDArray[Any]
    """0-d: the loss."""


def loss_into(
    name: str, y_pred: NDArray[Any], y: NDArray[Any], weight: NDArray[Any] | None,
    weight_total: NDArray[Any] | None, buf: LossBuffers,
) -> Any:  # fmt: skip
    """Every loss's twin for NumPy buffers: ``fn(y_pred, y, weight)`` of :data:`LOSSES`, with
    the same operations in the same order, written into ``buf``.

    ``weight`` is the batch's sample weights as a column (n, 1), or None; ``weight_total`` the
    0-d sum of them (``xp.sum(weight)``).  Returns the loss as a NumPy scalar of the data's
    dtype and leaves its gradient (n, D_out) in ``buf.grad``.
    """
    if name in SQUARED:
        if weight is None:
            scale = squared_scale(name, y.shape[0], y.shape[1])
            squared_error_into(y_pred, y, scale.grad_factor, buf.grad, buf.scratch, buf.total)
            if scale.divisor != 1:
                np.divide(buf.total, scale.divisor, out=buf.total)
            return buf.total[()]
        assert weight_total is not None
        scale = squared_scale(name, float(weight_total), y.shape[1])
        np.subtract(y_pred, y, out=buf.grad)  # diff = y_pred - y
        np.square(buf.grad, out=buf.scratch)
        np.multiply(weight, buf.scratch, out=buf.scratch)  # w * square(diff)
        np.add.reduce(buf.scratch, axis=None, out=buf.total)
        np.divide(buf.total, scale.divisor, out=buf.total)
        np.multiply(weight, buf.grad, out=buf.grad)
        np.multiply(buf.grad, scale.grad_factor, out=buf.grad)  # (w * diff) * grad_factor
        return buf.total[()]
    if name == "cross_entropy":
        log_p = buf.spare
        np.maximum.reduce(y_pred, axis=1, keepdims=True, out=buf.row)
        np.subtract(y_pred, buf.row, out=log_p)  # shifted: every row's max is 0
        np.exp(log_p, out=buf.grad)
        np.add.reduce(buf.grad, axis=1, keepdims=True, out=buf.row)
        np.log(buf.row, out=buf.row)
        np.subtract(log_p, buf.row, out=log_p)  # log_softmax(y_pred)
        np.multiply(y, log_p, out=buf.scratch)  # y * log_p: the terms, negated once summed
        np.exp(log_p, out=buf.grad)
        np.subtract(buf.grad, y, out=buf.grad)  # softmax(y_pred) - y
        return -_weighted_mean_into(buf, weight, weight_total)
    elif name == "binary_cross_entropy":
        np.logaddexp(0.0, y_pred, out=buf.spare)  # softplus, stably
        np.multiply(y, y_pred, out=buf.scratch)
        np.subtract(buf.spare, buf.scratch, out=buf.scratch)  # softplus - y z
        np.multiply(y_pred, 0.5, out=buf.grad)  # logistic(z), as activations.logistic
        np.tanh(buf.grad, out=buf.grad)
        np.add(buf.grad, 1.0, out=buf.grad)
        np.multiply(buf.grad, 0.5, out=buf.grad)
        np.subtract(buf.grad, y, out=buf.grad)
    else:
        raise choice_error("loss", name, LOSSES)
    return _weighted_mean_into(buf, weight, weight_total)


def _weighted_mean_into(
    buf: LossBuffers, weight: NDArray[Any] | None, weight_total: NDArray[Any] | None
) -> Any:
    """:func:`_weighted_mean`'s twin on the terms in ``buf.scratch`` and the gradient in
    ``buf.grad``: the loss (a NumPy scalar), with ``buf.grad`` divided alike."""
    if weight is None:
        n = buf.grad.shape[0]
        np.add.reduce(buf.scratch, axis=None, out=buf.total)
        np.divide(buf.total, n, out=buf.total)
        np.multiply(buf.grad, 1.0 / n, out=buf.grad)
        return buf.total[()]
    assert weight_total is not None
    np.multiply(weight, buf.scratch, out=buf.scratch)
    np.add.reduce(buf.scratch, axis=None, out=buf.total)
    np.divide(buf.total, weight_total, out=buf.total)
    np.multiply(weight, buf.grad, out=buf.grad)
    np.divide(buf.grad, weight_total, out=buf.grad)
    return buf.total[()]


def log_softmax(z: Array) -> Array:
    """Row-wise ``log(softmax(z))`` for scores of shape (N, C).

    The row maximum is subtracted first so ``exp`` never overflows; the result is unchanged
    because softmax is invariant to adding a constant to a row.
    """
    xp = namespace(z)
    shifted = z - xp.max(z, axis=1, keepdims=True)  # (N, C), every row's max is 0
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def log_sigmoid(z: Array) -> Array:
    """Element-wise ``log(sigmoid(z)) = -log(1 + e^-z)`` (N, K) -> (N, K), computed stably: the
    log-probability of each label of a multilabel output, accurate even where the probability
    underflows."""
    xp = namespace(z)
    return -xp.logaddexp(xp.zeros_like(z), -z)


def softmax(z: Array) -> Array:
    """Row-wise softmax of scores (N, C) -> probabilities (N, C), each row summing to 1."""
    return namespace(z).exp(log_softmax(z))


def _weighted_mean(terms: Array, grad: Array, weight: Array | None) -> tuple[Array, Array]:
    """The mean over samples of per-element ``terms`` (N, C) summed over columns, and ``grad``
    (N, C) divided alike: by N, or by the sum of ``weight`` (N,) with each row weighted."""
    xp = namespace(terms)
    if weight is None:
        n = terms.shape[0]
        return xp.sum(terms) / n, grad * (1.0 / n)
    w, total = weight[:, None], xp.sum(weight)
    return xp.sum(w * terms) / total, (w * grad) / total


def cross_entropy(y_pred: Array, y: Array, weight: Array | None = None) -> tuple[Array, Array]:
    """Softmax cross-entropy averaged over samples, for classification.

    ``y_pred`` holds raw scores (N, C); ``y`` holds one-hot (or any probability) rows (N, C).
    ``loss = -sum(y * log_softmax(y_pred)) / N``; ``grad = (softmax(y_pred) - y) / N``
    (for rows of ``y`` that sum to one).
    """
    log_p = log_softmax(y_pred)  # (N, C)
    # The mean of y * log_p, negated: the same numbers as the mean of -(y * log_p) (rounding is
    # symmetric in sign), one pass over the terms fewer.
    mean, grad = _weighted_mean(y * log_p, namespace(log_p).exp(log_p) - y, weight)
    return -mean, grad


def binary_cross_entropy(
    y_pred: Array, y: Array, weight: Array | None = None
) -> tuple[Array, Array]:
    """Logistic (sigmoid) cross-entropy of every output, summed over outputs and averaged over
    samples: multilabel classification, one independent yes/no per column.

    ``y_pred`` holds raw scores z (N, K); ``y`` holds 0/1 indicators (N, K).  With p = sigmoid(z),
    ``loss = -sum(y log p + (1 - y) log(1 - p)) / N = sum(softplus(z) - y z) / N`` (the second
    form never takes the log of 0) and ``grad = (p - y) / N``.  scikit-learn's multilabel
    ``MLPClassifier`` minimises the same.
    """
    xp = namespace(y_pred, y)
    softplus = xp.logaddexp(xp.zeros_like(y_pred), y_pred)  # log(1 + e^z), stably
    return _weighted_mean(softplus - y * y_pred, logistic(y_pred) - y, weight)


LOSSES: dict[str, Loss] = {
    "sse": Loss("sse", sse, "sum"),
    "mse": Loss("mse", mse, "mean"),
    "half_mse": Loss("half_mse", half_mse, "mean"),
    "cross_entropy": Loss("cross_entropy", cross_entropy, "mean"),
    "binary_cross_entropy": Loss("binary_cross_entropy", binary_cross_entropy, "mean"),
}


def get_loss(name: str) -> Loss:
    """Look up a loss by name; an unknown name raises ``ConfigError`` listing the valid ones."""
    try:
        return LOSSES[name]
    except KeyError:
        raise choice_error("loss", name, LOSSES) from None


def lr_equivalent_to_sse(loss: str, lr_sse: float, n: int, d_out: int) -> float:
    """The learning rate that makes gradient descent on ``loss`` take the steps that ``lr_sse``
    takes on the seed's sum of squared errors, for N = ``n`` samples and D_out = ``d_out``.

    The gradient of ``loss`` is the seed's divided by :attr:`SquaredScale.divisor`, so the rate
    is multiplied by it (an integer: the product is exact where it can be)."""
    return lr_sse * squared_scale(loss, n, d_out).divisor
