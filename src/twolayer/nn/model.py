"""The two-layer network itself: parameters, initialisation, forward and backward pass.

Shapes, for a batch of N samples with D_in features, H hidden units and D_out outputs::

    x       (N, D_in)
    w1      (D_in, H)     b1 (H,)      optional, off by default as in the seed
    h       (N, H)        h = x @ w1 (+ b1)
    a       (N, H)        a = activation(h), ReLU by default
    w2      (H, D_out)    b2 (D_out,)  optional
    y_pred  (N, D_out)    y_pred = a @ w2 (+ b2)

``forward`` returns the prediction and a :class:`Cache` of what ``backward`` needs; ``backward``
turns the gradient of the loss with respect to ``y_pred`` into a gradient for every parameter.
``docs/backprop.md`` derives each line.

:func:`forward_into` and :func:`backward_into` are their twins for NumPy arrays allocated once:
the same lines for the seed's network (ReLU, no biases), each writing into a given buffer.  The
default run (``twolayer seed``, ``twolayer train`` on NumPy) executes these twins through
:mod:`twolayer.engines.inplace`; the tests hold them bit for bit equal to ``forward``/``backward``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import Array, namespace
from twolayer.errors import POSITIVE_INT, DataError, choice_error
from twolayer.io.memory import check_fits
from twolayer.nn.activations import TWINS, ActivationTwin, get_activation

RELU_TWIN = TWINS["relu"]

InitName = Literal["normal", "he", "glorot", "uniform"]
INITS: tuple[str, ...] = ("normal", "he", "glorot", "uniform")


@dataclass(frozen=True)
class Params:
    """The network's parameters; gradients use the same class (one gradient per parameter).

    Attributes
    ----------
    w1 : array, shape (D_in, H)
    w2 : array, shape (H, D_out)
    b1 : array, shape (H,), or None when the network has no biases (the seed's network)
    b2 : array, shape (D_out,), or None
    """

    w1: Array
    w2: Array
    b1: Array | None = None
    b2: Array | None = None

    def named(self) -> dict[str, Array]:
        """The parameters that are present, by name, in the order w1, w2, b1, b2."""
        return {
            f.name: v for f in dataclasses.fields(self) if (v := getattr(self, f.name)) is not None
        }

    def __iter__(self) -> Iterator[Array]:
        return iter(self.named().values())

    @property
    def sizes(self) -> tuple[int, int, int]:
        """``(D_in, H, D_out)``."""
        return (int(self.w1.shape[0]), int(self.w1.shape[1]), int(self.w2.shape[1]))

    @property
    def has_bias(self) -> bool:
        """Whether the network has biases."""
        return self.b1 is not None

    def map(self, fn: Callable[..., Array], *others: Params) -> Params:
        """Apply ``fn(p, *o)`` to every present parameter ``p`` and the same-named ``o`` of
        each of ``others``; return the results as a new ``Params``."""
        return Params(
            **{
                name: fn(value, *(getattr(o, name) for o in others))
                for name, value in self.named().items()
            }
        )


Grads = Params
"""Gradients have exactly the parameters' structure and shapes."""


class Cache(NamedTuple):
    """What the forward pass keeps for the backward pass."""

    x: Array
    """Input, (N, D_in)."""
    h: Array
    """Hidden pre-activation, (N, H)."""
    a: Array
    """Hidden activation, (N, H)."""


def init_params(
    rng: np.random.Generator,
    d_in: int,
    hidden: int,
    d_out: int,
    *,
    init: str = "normal",
    bias: bool = False,
    dtype: type | str = "float64",
) -> Params:
    """Draw initial weights with ``rng``; biases start at zero.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness.
    d_in, hidden, d_out : int
        D_in, H and D_out.
    init : {"normal", "he", "glorot", "uniform"}
        ``normal``: standard normal entries, the seed's choice (fine for its random data, far too
        large for real data). ``he``: normal scaled by ``sqrt(2 / fan_in)``, for ReLU-like
        activations. ``glorot``: normal scaled by ``sqrt(2 / (fan_in + fan_out))``, for tanh and
        the logistic. ``uniform``: uniform on ``(-1 / sqrt(fan_in), 1 / sqrt(fan_in))``, PyTorch's
        ``nn.Linear`` default, a standard deviation of ``1 / sqrt(3 fan_in)``: the smallest of
        the four, with which short minibatch fits reach the best scores (docs/training.md).
    bias : bool
        Whether to add the biases b1 (H,) and b2 (D_out,).
    dtype : numpy dtype name or type

    Returns
    -------
    Params with w1 (D_in, H), w2 (H, D_out) and, when ``bias``, b1 (H,) and b2 (D_out,).
    """
    if init not in INITS:
        raise choice_error("init", init, INITS)
    for name, size in (("d_in", d_in), ("hidden", hidden), ("d_out", d_out)):
        POSITIVE_INT.check(name, size)
    weights = hidden * (d_in + d_out + 1) + d_out
    check_fits(np.dtype(dtype).itemsize * weights, {"d_in": d_in, "hidden": hidden, "d_out": d_out})

    def draw(fan_in: int, fan_out: int) -> Array:
        if init == "uniform":
            bound = 1 / math.sqrt(fan_in)
            return rng.uniform(-bound, bound, (fan_in, fan_out))
        scale = {
            "normal": 1.0,
            "he": math.sqrt(2 / fan_in),
            "glorot": math.sqrt(2 / (fan_in + fan_out)),
        }[init]
        return rng.standard_normal((fan_in, fan_out)) * scale

    w1 = draw(d_in, hidden)
    w2 = draw(hidden, d_out)
    b1, b2 = (np.zeros(hidden), np.zeros(d_out)) if bias else (None, None)
    return Params(w1, w2, b1, b2).map(lambda p: p.astype(dtype, copy=False))


def _check_shape(name: str, a: Array, want: tuple[int | None, ...], meaning: str) -> None:
    """A DataError naming ``name`` when ``a``'s shape is not ``want`` (None: any size)."""
    shape = tuple(a.shape)
    if len(shape) != len(want) or any(
        w is not None and s != w for s, w in zip(shape, want, strict=True)
    ):
        shown = ", ".join("N" if w is None else str(w) for w in want)
        raise DataError(f"{name} must have shape ({shown}), {meaning}; got {shape}")


def forward(params: Params, x: Array, activation: str = "relu") -> tuple[Array, Cache]:
    """Compute the prediction for a batch.

    Parameters
    ----------
    params : Params
    x : array, shape (N, D_in)
    activation : str
        Name of the hidden activation (see :mod:`twolayer.nn.activations`).

    Returns
    -------
    y_pred : array, shape (N, D_out)
    cache : Cache holding x (N, D_in), h (N, H) and a (N, H) for :func:`backward`.
    """
    act = get_activation(activation)
    _check_shape("x", x, (None, params.w1.shape[0]), "(N, D_in) with D_in = w1.shape[0]")
    h = x @ params.w1  # (N, D_in) @ (D_in, H) -> (N, H)
    if params.b1 is not None:
        h = h + params.b1  # (N, H) + (H,) broadcast over samples
    a = act.forward(h)  # (N, H)
    y_pred = a @ params.w2  # (N, H) @ (H, D_out) -> (N, D_out)
    if params.b2 is not None:
        y_pred = y_pred + params.b2
    return y_pred, Cache(x, h, a)


def backward(params: Params, cache: Cache, grad_y_pred: Array, activation: str = "relu") -> Grads:
    """Backpropagate ``grad_y_pred`` (N, D_out) into a gradient for every parameter.

    Returns
    -------
    Grads with w1 (D_in, H), w2 (H, D_out) and, when the network has biases, b1 (H,), b2 (D_out,).
    """
    xp = namespace(grad_y_pred)
    n, d_out = cache.a.shape[0], params.w2.shape[1]
    _check_shape("grad_y_pred", grad_y_pred, (n, d_out), "(N, D_out) of the forward pass")
    grad_w2 = cache.a.T @ grad_y_pred  # (H, N) @ (N, D_out) -> (H, D_out)
    grad_h = _hidden_gradient(params, cache, grad_y_pred, activation)  # (N, H)
    grad_w1 = cache.x.T @ grad_h  # (D_in, N) @ (N, H) -> (D_in, H)
    if not params.has_bias:
        return Grads(grad_w1, grad_w2)
    return Grads(grad_w1, grad_w2, xp.sum(grad_h, axis=0), xp.sum(grad_y_pred, axis=0))


def _hidden_gradient(params: Params, cache: Cache, grad_y_pred: Array, activation: str) -> Array:
    """The gradient reaching the hidden layer's input h: (N, D_out) -> (N, H)."""
    grad_a = grad_y_pred @ params.w2.T  # (N, D_out) @ (D_out, H) -> (N, H)
    return get_activation(activation).backward(cache.h, cache.a, grad_a)  # (N, H)


def input_gradient(
    params: Params, cache: Cache, grad_y_pred: Array, activation: str = "relu"
) -> Array:
    """Backpropagate ``grad_y_pred`` (N, D_out) one layer further than :func:`backward`, into
    the inputs: ``grad_x = grad_h @ w1.T``, shape (N, D_in).  With ``grad_y_pred`` the rows
    of a unit vector ``e_k``, it is how output ``k`` of each sample moves with each input
    (the input gradient, or saliency, of that output)."""
    grad_h = _hidden_gradient(params, cache, grad_y_pred, activation)  # (N, H)
    return grad_h @ params.w1.T  # (N, H) @ (H, D_in) -> (N, D_in)


class Buffers(NamedTuple):
    """The arrays :func:`forward_into` and :func:`backward_into` write, for n samples (all of
    them, or one block of them), allocated once by the caller."""

    h: NDArray[Any]
    """(n, H): ``x @ w1``."""
    a: NDArray[Any]
    """(n, H): ``relu(h)``; may be ``h`` itself (``keep`` holds what backward needs)."""
    keep: NDArray[Any]
    """(n, H), of h's dtype: 1 where ``h >= 0`` (the gradient passes), 0 where ``h < 0``."""
    mask: NDArray[np.bool_]
    """(n, H): boolean scratch of the ReLU."""
    y_pred: NDArray[Any]
    """(n, D_out)."""
    diff: NDArray[Any]
    """(n, D_out): the loss writes ``grad_y_pred`` here (``losses.squared_error_into``)."""
    square: NDArray[Any]
    """(n, D_out): the loss's scratch."""
    grad_h: NDArray[Any]
    """(n, H)."""


def forward_into(
    w1: NDArray[Any], w2: NDArray[Any], x: NDArray[Any] | None, buf: Buffers,
    b1: NDArray[Any] | None = None, b2: NDArray[Any] | None = None,
    activation: ActivationTwin = RELU_TWIN,
) -> None:  # fmt: skip
    """:func:`forward`'s twin for NumPy buffers: the same lines, each written into ``buf``
    instead of a new array, so a training loop allocates nothing per step.

    ``x`` (n, D_in) is None when the caller has already put ``x @ w1`` into ``buf.h`` (it may
    take that product for all samples at once and this pass block by block).  ``b1`` (H,) and
    ``b2`` (D_out,) are the biases, if any; ``activation`` the twins of the hidden activation
    (:data:`twolayer.nn.activations.TWINS`, ReLU by default).
    """
    if x is not None:
        np.matmul(x, w1, out=buf.h)  # h = x @ w1, (n, D_in) @ (D_in, H) -> (n, H)
    if b1 is not None:
        np.add(buf.h, b1, out=buf.h)  # h + b1, broadcast over samples
    activation.forward(buf.h, buf.a, buf.keep, buf.mask)  # a = activation(h)
    np.matmul(buf.a, w2, out=buf.y_pred)  # y_pred = a @ w2, (n, H) @ (H, D_out) -> (n, D_out)
    if b2 is not None:
        np.add(buf.y_pred, b2, out=buf.y_pred)


def backward_into(
    w2: NDArray[Any],
    x: NDArray[Any] | None,
    buf: Buffers,
    grad_w2: NDArray[Any],
    grad_w1: NDArray[Any] | None = None,
    grad_b: tuple[NDArray[Any], NDArray[Any]] | None = None,
    activation: ActivationTwin = RELU_TWIN,
) -> None:
    """:func:`backward`'s twin for NumPy buffers, with ``grad_y_pred`` in ``buf.diff``: fills
    ``grad_w2`` (H, D_out), ``buf.grad_h`` (n, H), given ``x`` and ``grad_w1``, ``grad_w1``
    (D_in, H) (without them the caller takes ``x.T @ grad_h`` itself), and given ``grad_b``,
    the biases' gradients (H,) and (D_out,)."""
    np.matmul(buf.a.T, buf.diff, out=grad_w2)  # grad_w2 = a.T @ grad_y_pred
    np.matmul(buf.diff, w2.T, out=buf.grad_h)  # grad_a = grad_y_pred @ w2.T, (n, H)
    activation.backward(buf.grad_h, buf.a, buf.keep)  # grad_h = act.backward(h, a, grad_a)
    if x is not None and grad_w1 is not None:
        np.matmul(x.T, buf.grad_h, out=grad_w1)  # grad_w1 = x.T @ grad_h
    if grad_b is not None:
        np.add.reduce(buf.grad_h, axis=0, out=grad_b[0])  # sum(grad_h, axis=0), (H,)
        np.add.reduce(buf.diff, axis=0, out=grad_b[1])  # sum(grad_y_pred, axis=0), (D_out,)


def predict(params: Params, x: Array, activation: str = "relu") -> Array:
    """The network's output for ``x`` (N, D_in): raw scores / regression values, (N, D_out)."""
    return forward(params, x, activation)[0]
