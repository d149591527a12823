"""Hidden-layer activations as forward/backward pairs, looked up by name.

Each pair works on any array-API array:

* ``forward(h) -> a`` maps the pre-activation ``h`` of shape (N, H) to the activation ``a``,
  same shape;
* ``backward(h, a, grad_a) -> grad_h`` maps the gradient of the loss with respect to ``a``
  (shape (N, H)) to the gradient with respect to ``h`` (shape (N, H)), given the ``h`` and ``a``
  of the forward pass.

ReLU is the seed's choice and the default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import Array, namespace
from twolayer.errors import choice_error

LEAKY_SLOPE = 0.01
"""Slope of leaky ReLU for negative inputs (the value PyTorch and most texts use)."""


class Activation(NamedTuple):
    """A forward function and its backward, named as in the registry."""

    name: str
    forward: Callable[[Array], Array]
    backward: Callable[[Array, Array, Array], Array]


def relu(h: Array) -> Array:
    """``max(0, h)`` elementwise, written as the seed writes it. (N, H) -> (N, H).

    Other namespaces compute the same values as ``where(h < 0, 0, h)``: their ``maximum`` needs
    the 0 as an array (PyTorch copies it to the GPU every call, which no CUDA graph can hold).
    """
    xp = namespace(h)
    if xp is np:
        return np.maximum(h, 0)
    return xp.where(h < 0, 0.0, h)


def relu_backward(h: Array, a: Array, grad_a: Array) -> Array:
    """Pass ``grad_a`` where ``h >= 0`` and zero it where ``h < 0`` (the seed's ``grad_h[h<0]=0``).

    At ``h == 0`` ReLU has no derivative; like the seed we pass the gradient through there.
    """
    return namespace(h).where(h < 0, 0.0, grad_a)


def relu_into(
    h: NDArray[Any], a: NDArray[Any], keep: NDArray[Any], mask: NDArray[np.bool_]
) -> None:
    """:func:`relu`'s twin for NumPy buffers: ``a = max(0, h)``, and ``keep`` (of h's dtype) 1
    where the gradient passes, ``not (h < 0)``, and 0 where ``h < 0``, for
    :func:`relu_backward_into` (``a`` may be ``h`` itself, which ``keep`` makes possible);
    ``mask`` is boolean scratch of the same shape."""
    np.less(h, 0, out=mask)
    np.logical_not(mask, out=mask)  # where the gradient passes: h >= 0 (and NaN, as the seed's)
    np.copyto(keep, mask)  # as 1.0 and 0.0
    np.maximum(h, 0, out=a)


def relu_backward_into(grad: NDArray[Any], keep: NDArray[Any]) -> None:
    """:func:`relu_backward`'s twin: turn ``grad_a`` into ``grad_h`` in place, zeroing it where
    ``h < 0`` (the seed's ``grad_h[h < 0] = 0``) by multiplying with ``keep``: the same numbers
    (a zeroed entry may be ``-0.0``, equal to 0 in every sum and product), several times faster
    than writing zeros where a boolean mask says (``np.putmask``); an infinite ``grad_a`` where
    ``h < 0`` would give NaN, in a step whose loss the divergence guard stops first."""
    np.multiply(grad, keep, out=grad)


def relu_backward_twin(grad: NDArray[Any], a: NDArray[Any], keep: NDArray[Any]) -> None:
    """:func:`relu_backward_into` in the registry's form (:data:`TWINS`)."""
    relu_backward_into(grad, keep)


def leaky_relu(h: Array) -> Array:
    """``h`` where positive, ``0.01 * h`` elsewhere. (N, H) -> (N, H)."""
    return namespace(h).where(h > 0, h, LEAKY_SLOPE * h)


def leaky_relu_backward(h: Array, a: Array, grad_a: Array) -> Array:
    """Slope 1 where ``h > 0``, ``0.01`` elsewhere, times ``grad_a``."""
    return namespace(h).where(h > 0, grad_a, LEAKY_SLOPE * grad_a)


def leaky_relu_into(
    h: NDArray[Any], a: NDArray[Any], keep: NDArray[Any], mask: NDArray[np.bool_]
) -> None:
    """:func:`leaky_relu`'s twin: ``keep`` the slope (1 where ``h > 0``, 0.01 elsewhere) and
    ``a = h * keep`` (``h * 1`` is ``h`` and ``h * 0.01`` is ``0.01 * h``: the same numbers)."""
    np.greater(h, 0, out=mask)
    np.copyto(keep, LEAKY_SLOPE)
    np.copyto(keep, 1.0, where=mask)
    np.multiply(h, keep, out=a)


def leaky_relu_backward_into(grad: NDArray[Any], a: NDArray[Any], keep: NDArray[Any]) -> None:
    """:func:`leaky_relu_backward`'s twin: ``grad_a`` times the slope ``keep``, in place."""
    np.multiply(grad, keep, out=grad)


def tanh(h: Array) -> Array:
    """Hyperbolic tangent. (N, H) -> (N, H)."""
    return namespace(h).tanh(h)


def tanh_backward(h: Array, a: Array, grad_a: Array) -> Array:
    """``d tanh(h)/dh = 1 - tanh(h)^2 = 1 - a^2``."""
    return grad_a * (1.0 - a * a)


def tanh_into(
    h: NDArray[Any], a: NDArray[Any], keep: NDArray[Any], mask: NDArray[np.bool_]
) -> None:
    """:func:`tanh`'s twin, with ``keep = 1.0 - a * a`` made ready for the backward pass."""
    np.tanh(h, out=a)
    np.multiply(a, a, out=keep)
    np.subtract(1.0, keep, out=keep)


def tanh_backward_into(grad: NDArray[Any], a: NDArray[Any], keep: NDArray[Any]) -> None:
    """:func:`tanh_backward`'s twin: ``grad_a * (1.0 - a * a)``, in place."""
    np.multiply(grad, keep, out=grad)


def logistic(h: Array) -> Array:
    """The logistic sigmoid ``1 / (1 + exp(-h))``, computed as ``(1 + tanh(h/2)) / 2``.

    The tanh form is algebraically equal and never overflows, so large ``|h|`` gives no warning.
    """
    return 0.5 * (1.0 + namespace(h).tanh(0.5 * h))


def logistic_backward(h: Array, a: Array, grad_a: Array) -> Array:
    """``d sigma(h)/dh = sigma(h) (1 - sigma(h)) = a (1 - a)``."""
    return grad_a * a * (1.0 - a)


def logistic_into(
    h: NDArray[Any], a: NDArray[Any], keep: NDArray[Any], mask: NDArray[np.bool_]
) -> None:
    """:func:`logistic`'s twin, with ``keep = 1.0 - a`` made ready for the backward pass."""
    np.multiply(h, 0.5, out=a)
    np.tanh(a, out=a)
    np.add(a, 1.0, out=a)  # 1.0 + tanh(h/2)
    np.multiply(a, 0.5, out=a)
    np.subtract(1.0, a, out=keep)


def logistic_backward_into(grad: NDArray[Any], a: NDArray[Any], keep: NDArray[Any]) -> None:
    """:func:`logistic_backward`'s twin: ``grad_a * a * (1.0 - a)``, left to right, in place."""
    np.multiply(grad, a, out=grad)
    np.multiply(grad, keep, out=grad)


def identity(h: Array) -> Array:
    """No activation: the network becomes linear. (N, H) -> (N, H)."""
    return h


def identity_backward(h: Array, a: Array, grad_a: Array) -> Array:
    """The derivative of the identity is 1."""
    return grad_a


def identity_into(
    h: NDArray[Any], a: NDArray[Any], keep: NDArray[Any], mask: NDArray[np.bool_]
) -> None:
    """:func:`identity`'s twin: ``a`` holds ``h``."""
    np.copyto(a, h)


def identity_backward_into(grad: NDArray[Any], a: NDArray[Any], keep: NDArray[Any]) -> None:
    """:func:`identity_backward`'s twin: ``grad_a`` is ``grad_h``; nothing to do."""


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation("relu", relu, relu_backward),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_backward),
    "tanh": Activation("tanh", tanh, tanh_backward),
    "logistic": Activation("logistic", logistic, logistic_backward),
    "identity": Activation("identity", identity, identity_backward),
}


def get_activation(name: str) -> Activation:
    """Look up an activation by name; an unknown name raises ``ConfigError`` listing valid ones."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise choice_error("activation", name, ACTIVATIONS) from None


class ActivationTwin(NamedTuple):
    """The buffered twins of an activation's pair, for NumPy arrays allocated once.

    ``forward(h, a, keep, mask)`` writes ``a`` (n, H) and whatever its backward needs into
    ``keep`` (n, H) of h's dtype (``mask`` (n, H) is boolean scratch); ``backward(grad, a,
    keep)`` turns ``grad_a`` (n, H) into ``grad_h`` in place.  Each makes the readable
    function's operations in its order, so the numbers are the same (tested).
    """

    forward: Callable[[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[np.bool_]], None]
    backward: Callable[[NDArray[Any], NDArray[Any], NDArray[Any]], None]


TWINS: dict[str, ActivationTwin] = {
    "relu": ActivationTwin(relu_into, relu_backward_twin),
    "leaky_relu": ActivationTwin(leaky_relu_into, leaky_relu_backward_into),
    "tanh": ActivationTwin(tanh_into, tanh_backward_into),
    "logistic": ActivationTwin(logistic_into, logistic_backward_into),
    "identity": ActivationTwin(identity_into, identity_backward_into),
}
