"""Gradient checking: analytic gradients against central differences.

For every entry ``w_i`` of every parameter, the numerical derivative is the central difference
``(L(w_i + eps) - L(w_i - eps)) / (2 eps)``.  A parameter's error is the largest absolute
difference between its analytic and numerical gradients divided by the largest magnitude either
reaches (``max|a - n| / max(max|a|, max|n|)``): a relative error that stays meaningful for the
entries whose gradient is tiny or exactly zero (dead ReLU units).

The sum of squared errors is quadratic in any single weight while no ReLU changes side, so its
central differences carry only rounding error; the smooth activations and the cross-entropy add
a truncation error of order ``eps^2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twolayer.errors import POSITIVE_INT
from twolayer.io.memory import check_network
from twolayer.nn.model import Grads, Params, init_params
from twolayer.nn.objective import loss_and_grads

NDArray = np.ndarray[Any, np.dtype[np.float64]]
TOLERANCE = 1e-7
"""The largest relative error ``twolayer gradcheck`` accepts."""


@dataclass(frozen=True)
class ParamError:
    """How far one parameter's analytic gradient is from the numerical one."""

    name: str
    relative_error: float
    index: tuple[int, ...]  # where the absolute difference is largest
    analytic: float  # analytic gradient there
    numeric: float  # numerical gradient there

    def __str__(self) -> str:
        return (
            f"{self.name}: relative error {self.relative_error:.3e} "
            f"(largest at {self.index}: analytic {self.analytic:.10g}, numeric {self.numeric:.10g})"
        )


def relative_error(analytic: NDArray, numeric: NDArray) -> float:
    """``max|a - n| / max(max|a|, max|n|)``, and 0 when both gradients are exactly zero."""
    scale = max(float(np.max(np.abs(analytic))), float(np.max(np.abs(numeric))))
    return 0.0 if scale == 0 else float(np.max(np.abs(analytic - numeric))) / scale


def numerical_gradient(f: Any, array: NDArray, eps: float = 1e-6) -> NDArray:
    """Central-difference gradient of the scalar function ``f()`` with respect to ``array``.

    ``array`` is perturbed in place one entry at a time and restored exactly afterwards.
    """
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + eps
        plus = f()
        array[index] = original - eps
        minus = f()
        array[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def check_gradients(
    params: Params,
    x: NDArray,
    y: NDArray,
    *,
    activation: str = "relu",
    loss: str = "sse",
    alpha: float = 0.0,
    weight: NDArray | None = None,
    eps: float = 1e-6,
) -> list[ParamError]:
    """Compare :func:`~twolayer.nn.model.backward` (with the gradient of the L2 penalty ``alpha``,
    :mod:`twolayer.nn.objective`) with central differences for every parameter.

    Parameters
    ----------
    params : Params, float64 arrays (perturbed in place during the check, then restored)
    x : (N, D_in) inputs
    y : (N, D_out) targets (one-hot rows for ``cross_entropy``, 0/1 for
        ``binary_cross_entropy``)
    weight : (N,) sample weights, or None

    Returns
    -------
    One :class:`ParamError` per parameter, in the order w1, w2, b1, b2.
    """

    def evaluate() -> tuple[Any, Grads, Any]:
        return loss_and_grads(
            params, x, y, activation=activation, loss=loss, alpha=alpha, weight=weight
        )

    def value() -> float:
        return float(evaluate()[0])

    grads = evaluate()[1].named()
    errors = []
    for name, array in params.named().items():
        analytic = np.asarray(grads[name])
        numeric = numerical_gradient(value, array, eps)
        where = np.unravel_index(int(np.argmax(np.abs(analytic - numeric))), analytic.shape)
        index = tuple(int(i) for i in where)
        errors.append(
            ParamError(
                name,
                relative_error(analytic, numeric),
                index,
                float(analytic[index]),
                float(numeric[index]),
            )
        )
    return errors


def random_problem(
    seed: int = 0,
    n: int = 5,
    d_in: int = 4,
    hidden: int = 6,
    d_out: int = 3,
    *,
    loss: str = "sse",
    bias: bool = False,
) -> tuple[Params, NDArray, NDArray]:
    """A small float64 problem for gradient checks: Glorot-scaled weights (random biases when
    ``bias``), standard normal inputs and targets (one-hot targets for ``cross_entropy``, 0/1
    ones for ``binary_cross_entropy``)."""
    for name, size in (("n", n), ("d_in", d_in), ("hidden", hidden), ("d_out", d_out)):
        POSITIVE_INT.check(name, size)
    check_network({"n": n, "d_in": d_in, "hidden": hidden, "d_out": d_out})
    rng = np.random.default_rng(seed)
    params = init_params(rng, d_in, hidden, d_out, init="glorot", bias=bias)
    if bias:
        params = Params(
            params.w1,
            params.w2,
            rng.standard_normal(hidden) * 0.1,
            rng.standard_normal(d_out) * 0.1,
        )
    x = rng.standard_normal((n, d_in))
    if loss == "cross_entropy":
        y = np.eye(d_out)[rng.integers(0, d_out, size=n)]
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(n, d_out)).astype(np.float64)
    else:
        y = rng.standard_normal((n, d_out))
    return params, x, y
