"""One sample followed through the network: every value of its forward pass and every gradient
of its backward pass, as the page's "follow a sample" view shows them.

For the chosen point, as a batch of one (N = 1)::

    x                                   its inputs (the network's, after features and scaling)
    h      = x @ w1 + b1                (H,)
    a      = f(h)                       (H,)
    y_pred = a @ w2 + b2                (D_out,)
    loss   = L(y_pred, y)               this one sample's loss
    G_y_pred, G_a, G_h                  the backward pass, node by node

Everything comes from twolayer's own functions: :func:`~twolayer.nn.model.forward` for the values,
the loss's own gradient for ``G_y_pred``, and :func:`~twolayer.nn.model.backward` for the rest,
read out of the gradients it returns: with biases (zero ones are added when the network has
none, which change no value), ``G_b1`` of a batch of one is that sample's ``G_h`` and ``G_b2``
its ``G_y_pred``; and backward through an identity activation (``f'(h) = 1``) hands ``G_a`` to
``G_b1`` unchanged.  So each number is the one the training computes, not a second copy of the
formulas.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from twolayer.errors import ConfigError
from twolayer.nn.losses import get_loss, softmax
from twolayer.nn.model import Params, backward, forward
from twolayer.playground.session import Session


def trace(session: Session, which: str, index: int) -> dict[str, Any]:
    """The values and gradients of point ``index`` of the ``which`` set (``train``/``test``)."""
    data = session.data
    subset = data.train if which == "train" else data.test
    if subset is None or not 0 <= index < subset.n_samples:
        raise ConfigError(f"there is no {which} point {index}")
    x, y = data.arrays(subset.subset(np.asarray([index])))  # (1, D_in), (1, D_out)
    c, params = session.config, session.state.params
    with np.errstate(all="ignore"):
        y_pred, cache = forward(params, x, c.activation)
        loss, grad_y_pred = get_loss(c.loss).fn(y_pred, y)
        biased = _with_biases(params)
        grad_h = backward(biased, cache, grad_y_pred, c.activation).b1  # G_b1 = G_h (N = 1)
        grad_a = backward(biased, cache, grad_y_pred, "identity").b1  # f' = 1: G_h = G_a
    message: dict[str, Any] = {
        "type": "trace",
        "set": which,
        "index": index,
        "point": subset.x[index].tolist(),
        "target": y[0].tolist(),
        "x": x[0].tolist(),
        "h": cache.h[0].tolist(),
        "a": cache.a[0].tolist(),
        "y_pred": y_pred[0].tolist(),
        "loss": float(loss),
        "G_y_pred": grad_y_pred[0].tolist(),
        "G_a": np.asarray(grad_a).tolist(),
        "G_h": np.asarray(grad_h).tolist(),
        "activation": c.activation,
        "loss_name": c.loss,
        "n_train": data.train.n_samples,
    }
    if c.loss == "cross_entropy":
        message["p"] = np.asarray(softmax(y_pred))[0].tolist()
    return message


def _with_biases(params: Params) -> Params:
    """``params`` with zero biases when it has none (the forward pass is the same)."""
    if params.has_bias:
        return params
    h, d_out = params.w2.shape
    return dataclasses.replace(params, b1=np.zeros(h), b2=np.zeros(d_out))


__all__ = ["trace"]
