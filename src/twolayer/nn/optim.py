"""Optimizers as ``init`` / ``update`` pairs over :class:`~twolayer.nn.model.Params`.

Each update rule is written once for a single array and applied to every parameter by
:meth:`Params.map`.  State is plain data: a dict of ``Params``-shaped buffers (``velocity``,
``m``, ``v``) that checkpoints can save and restore.

The rules, for a parameter ``w`` with gradient ``g`` at learning rate ``lr``:

* ``gd`` (the seed's): ``w <- w - lr g``. It is ``momentum`` with ``mu = 0``: the velocity
  ``mu v - lr g`` is then just ``-lr g``, so nothing needs to be stored.
* ``momentum`` (heavy ball, as in scikit-learn and CS231n): ``v <- mu v - lr g``; ``w <- w + v``.
* ``nesterov``: the same velocity, then the step taken from the look-ahead point,
  ``w <- w + mu v - lr g`` (scikit-learn's form of Nesterov's accelerated gradient).
* ``adam``: ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g^2``;
  ``w <- w - lr_t m / (sqrt(v) + eps)`` with the bias correction folded into
  ``lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)`` at update ``t = 1, 2, ...`` (Kingma & Ba, section 2).

:func:`step_into` is the in-place twin of the gd, momentum and Nesterov rules for NumPy arrays,
which the default run executes (:mod:`twolayer.engines.inplace`).  L-BFGS is not a per-step rule:
:mod:`twolayer.engines.lbfgs` hands the whole problem to SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import Array, namespace
from twolayer.errors import choice_error
from twolayer.nn.model import Grads, Params

OptState = dict[str, Params]
"""Optimizer buffers by name, each shaped like the parameters; empty for ``gd``."""

STEP_OPTIMIZERS = ("gd", "momentum", "nesterov", "adam")
OPTIMIZERS = (*STEP_OPTIMIZERS, "lbfgs")


class Optimizer(NamedTuple):
    """``init(params) -> state`` and ``update(params, grads, state, lr, t) -> (params, state)``.

    ``t`` counts updates from 1; only Adam uses it.
    """

    name: str
    init: Callable[[Params], OptState]
    update: Callable[[Params, Grads, OptState, float, int], tuple[Params, OptState]]


def gd_step(w: Array, g: Array, lr: float) -> Array:
    """One gradient-descent step for one array: ``w - lr g``, as the seed writes it."""
    return w - lr * g


def momentum_step(
    w: Array, g: Array, v: Array, lr: float, mu: float, *, nesterov: bool = False
) -> tuple[Array, Array]:
    """One (Nesterov) momentum step for one array: ``(new w, new v)``.

    ``v <- mu v - lr g``; heavy ball steps by ``v``, Nesterov by ``mu v - lr g`` (the new ``v``).
    """
    v = mu * v - lr * g
    step = mu * v - lr * g if nesterov else v
    return w + step, v


def step_into(
    w: NDArray[Any],
    g: NDArray[Any],
    lr: float,
    scratch: NDArray[Any],
    velocity: NDArray[Any] | None = None,
    mu: float = 0.9,
    ahead: NDArray[Any] | None = None,
) -> tuple[NDArray[Any], float]:
    """The twin of :func:`gd_step` (``velocity`` None) and :func:`momentum_step` (``ahead``
    given: Nesterov) for NumPy arrays: the same operations in the same order, updating ``w``
    and ``velocity`` in place, so the results are bit for bit the pure rules' (tested).

    ``scratch`` (like ``w``) receives ``lr g``; ``ahead`` (like ``w``) Nesterov's step.  Returns
    the array that was added to ``w`` and its sign (-1.0 for gd, which subtracts ``lr g``): the
    dual engine applies the same step to its own coordinates.
    """
    np.multiply(g, lr, out=scratch)  # lr g
    if velocity is None:
        np.subtract(w, scratch, out=w)  # w - lr g
        return scratch, -1.0
    np.multiply(velocity, mu, out=velocity)
    np.subtract(velocity, scratch, out=velocity)  # v = mu v - lr g
    step = velocity
    if ahead is not None:
        np.multiply(velocity, mu, out=ahead)
        np.subtract(ahead, scratch, out=ahead)  # mu v - lr g
        step = ahead
    np.add(w, step, out=w)
    return step, 1.0


def gd() -> Optimizer:
    """Plain full-batch or minibatch gradient descent, the seed's optimizer; no state."""

    def update(p: Params, g: Grads, s: OptState, lr: float, t: int) -> tuple[Params, OptState]:
        return p.map(lambda w, gw: gd_step(w, gw, lr), g), s

    return Optimizer("gd", lambda p: {}, update)


def _zeros_like(p: Params) -> Params:
    return p.map(lambda w: namespace(w).zeros_like(w))


def momentum(mu: float = 0.9, *, nesterov: bool = False) -> Optimizer:
    """Heavy-ball momentum with mass ``mu``, or Nesterov's variant of it (:func:`momentum_step`
    for every parameter, the velocity ``v`` starting at zeros)."""

    def update(p: Params, g: Grads, s: OptState, lr: float, t: int) -> tuple[Params, OptState]:
        steps = {
            name: momentum_step(w, getattr(g, name), getattr(s["velocity"], name), lr, mu,
                                nesterov=nesterov)
            for name, w in p.named().items()
        }  # fmt: skip
        new = Params(**{name: pair[0] for name, pair in steps.items()})
        velocity = Params(**{name: pair[1] for name, pair in steps.items()})
        return new, {"velocity": velocity}

    name = "nesterov" if nesterov else "momentum"
    return Optimizer(name, lambda p: {"velocity": _zeros_like(p)}, update)


def adam_rate(lr: float, t: int, beta1: float, beta2: float) -> float:
    """Adam's step size at update ``t`` (from 1), with the bias correction folded in:
    ``lr sqrt(1 - beta2^t) / (1 - beta1^t)``."""
    return lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)


def adam_into(
    w: NDArray[Any], g: NDArray[Any], m: NDArray[Any], v: NDArray[Any], lr_t: float,
    beta1: float, beta2: float, epsilon: float, scratch: NDArray[Any], spare: NDArray[Any],
) -> None:  # fmt: skip
    """Adam's in-place twin for NumPy arrays of one shape (one parameter, or all of them in one
    flat buffer): the operations of :func:`adam`'s update in its order, so ``w``, ``m`` and
    ``v`` are updated bit for bit as the pure rule updates them (tested).  ``lr_t`` is
    :func:`adam_rate`'s; ``scratch`` and ``spare`` are like ``w``."""
    np.multiply(m, beta1, out=m)
    np.multiply(g, 1 - beta1, out=scratch)
    np.add(m, scratch, out=m)  # m = b1 m + (1 - b1) g
    np.multiply(g, g, out=scratch)
    np.multiply(scratch, 1 - beta2, out=scratch)
    np.multiply(v, beta2, out=v)
    np.add(v, scratch, out=v)  # v = b2 v + (1 - b2) g^2
    np.multiply(m, lr_t, out=scratch)
    np.sqrt(v, out=spare)
    np.add(spare, epsilon, out=spare)
    np.divide(scratch, spare, out=scratch)  # lr_t m / (sqrt(v) + eps)
    np.subtract(w, scratch, out=w)


def adam(beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8) -> Optimizer:
    """Adam with scikit-learn's and the paper's defaults and bias correction."""

    def update(p: Params, g: Grads, s: OptState, lr: float, t: int) -> tuple[Params, OptState]:
        m = s["m"].map(lambda mw, gw: beta1 * mw + (1 - beta1) * gw, g)
        v = s["v"].map(lambda vw, gw: beta2 * vw + (1 - beta2) * (gw * gw), g)
        lr_t = adam_rate(lr, t, beta1, beta2)
        new = p.map(lambda w, mw, vw: w - lr_t * mw / (namespace(vw).sqrt(vw) + epsilon), m, v)
        return new, {"m": m, "v": v}

    return Optimizer("adam", lambda p: {"m": _zeros_like(p), "v": _zeros_like(p)}, update)


def make_optimizer(
    name: str,
    *,
    mu: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> Optimizer:
    """Build a per-step optimizer by name (``gd``, ``momentum``, ``nesterov``, ``adam``)."""
    if name == "gd":
        return gd()
    if name in ("momentum", "nesterov"):
        return momentum(mu, nesterov=name == "nesterov")
    if name == "adam":
        return adam(beta1, beta2, epsilon)
    raise choice_error("optimizer", name, STEP_OPTIMIZERS)
