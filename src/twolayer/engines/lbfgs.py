"""L-BFGS through ``scipy.optimize.minimize``, driven by our analytic gradient.

SciPy owns the iterations (and the line search); each accepted iterate becomes one
report handed to the loop's ``on_iterate`` (so history, validation, early stopping, the
divergence guard and callbacks behave as in the step loop).  The objective is an engine's
full-batch loss and gradients (:attr:`twolayer.engines.base.Engine.objective`).  Parameters
travel to SciPy as one flat float64 vector: w1, w2, then b1, b2 when present.  SciPy is an
optional extra (``twolayer[lbfgs]``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from twolayer.backend import as_like, import_optional, to_numpy
from twolayer.nn.model import Grads, Params

Vector = np.ndarray[Any, np.dtype[np.float64]]
Objective = Callable[[Params], tuple[float, Grads]]
OnIterate = Callable[[float, Params, Grads, Params], str | None]
"""``on_iterate(loss, params, grads, next_params)``: the loss and gradients of an accepted
iterate, and the iterate SciPy moves to; returns a stop reason, or None to go on."""


def flatten(params: Params) -> Vector:
    """All parameters as one float64 vector (in host memory), in the order of ``Params.named``."""
    return np.concatenate([np.asarray(to_numpy(p), dtype=np.float64).ravel() for p in params])


def unflatten(vector: Vector, like: Params) -> Params:
    """Cut ``vector`` back into arrays shaped and typed like ``like``'s parameters (and of their
    backend and device)."""
    out: dict[str, Any] = {}
    start = 0
    for name, p in like.named().items():
        size = math.prod(p.shape)
        piece = vector[start : start + size].reshape(tuple(p.shape))
        out[name] = piece.astype(p.dtype) if isinstance(p, np.ndarray) else as_like(piece, p)
        start += size
    return Params(**out)


def minimize(
    objective: Objective, start: Params, remaining: int, on_iterate: OnIterate, *,
    max_fun: int = 15000,
) -> str:  # fmt: skip
    """Minimise ``objective`` from ``start`` with L-BFGS-B for at most ``remaining`` iterations
    and ``max_fun`` evaluations of the objective (scikit-learn's ``max_fun``).

    Returns the stop reason: ``on_iterate``'s, ``"completed"`` when the iterations ran out,
    ``"max_fun"`` when the evaluations did, or ``"converged"`` when SciPy stopped earlier.
    """
    scipy_minimize = import_optional("scipy.optimize", "SciPy", "lbfgs").minimize
    if remaining <= 0:
        return "completed"
    last: dict[str, Any] = {}

    def scipy_objective(theta: Vector) -> tuple[float, Vector]:
        params = unflatten(theta, start)
        value, grads = objective(params)
        last.update(theta=theta.copy(), params=params, loss=value, grads=grads)
        return (value, flatten(grads)) if np.isfinite(value) else (np.inf, np.zeros_like(theta))

    def evaluated_at(theta: Vector) -> tuple[Params, float, Grads]:
        if "theta" not in last or not np.array_equal(last["theta"], theta):
            scipy_objective(theta)
        return last["params"], last["loss"], last["grads"]

    pending = evaluated_at(flatten(start))
    stop_reason: str | None = None
    iterations = 0

    def callback(intermediate_result: Any) -> None:
        nonlocal pending, stop_reason, iterations
        params, loss, grads = pending
        pending = evaluated_at(np.asarray(intermediate_result.x))
        iterations += 1
        stop_reason = on_iterate(loss, params, grads, pending[0])
        if stop_reason:
            raise StopIteration

    result = scipy_minimize(
        scipy_objective,
        flatten(start),
        jac=True,
        method="L-BFGS-B",
        callback=callback,
        options={"maxiter": remaining, "maxfun": max_fun, "ftol": 0.0, "gtol": 0.0},
    )
    if stop_reason:
        return stop_reason
    if iterations >= remaining:
        return "completed"
    return "max_fun" if result.nfev >= max_fun else "converged"
