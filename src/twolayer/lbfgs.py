"""L-BFGS through ``scipy.optimize.minimize``, driven by our analytic gradient.

SciPy owns the iterations (and the line search); each accepted iterate becomes one
:class:`~twolayer.train.Record`, so history, validation, early stopping, the divergence guard
and callbacks behave as in the step loop.  Parameters travel to SciPy as one flat float64
vector: w1, w2, then b1, b2 when present.  SciPy is an optional extra (``twolayer[lbfgs]``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from twolayer.backend import as_like, to_numpy
from twolayer.errors import ConfigError
from twolayer.model import Grads, Params

if TYPE_CHECKING:
    from twolayer.train import _Run

Vector = np.ndarray[Any, np.dtype[np.float64]]


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


def minimize(run: _Run) -> str:
    """Train ``run``'s network with L-BFGS-B for the iterations left; return the stop reason."""
    try:
        from scipy.optimize import minimize as scipy_minimize
    except ImportError:
        raise ConfigError(
            "the lbfgs optimizer needs SciPy: pip install 'twolayer[lbfgs]'"
        ) from None
    template = run.state.params
    last: dict[str, Any] = {}

    def objective(theta: Vector) -> tuple[float, Vector]:
        params = unflatten(theta, template)
        loss, grads = run.full_batch_loss_and_grads(params)
        value = float(loss)
        last.update(theta=theta.copy(), params=params, loss=value, grads=grads)
        return (value, flatten(grads)) if np.isfinite(value) else (np.inf, np.zeros_like(theta))

    def evaluated_at(theta: Vector) -> tuple[Params, float, Grads]:
        if "theta" not in last or not np.array_equal(last["theta"], theta):
            objective(theta)
        return last["params"], last["loss"], last["grads"]

    pending = evaluated_at(flatten(template))
    stop_reason: str | None = None

    def callback(intermediate_result: Any) -> None:
        nonlocal pending, stop_reason
        params, loss, grads = pending
        t = run.state.iteration
        run.check_loss(loss, t, run.config.lr)
        pending = evaluated_at(np.asarray(intermediate_result.x))
        run.state.params = pending[0]
        run.state.step += 1
        stop_reason = run.finish_iteration(t, run.config.lr, loss, params, grads, None)
        if stop_reason:
            raise StopIteration

    remaining = run.config.iterations - run.state.iteration
    if remaining <= 0:
        return "completed"
    scipy_minimize(
        objective,
        flatten(template),
        jac=True,
        method="L-BFGS-B",
        callback=callback,
        options={"maxiter": remaining, "maxfun": 20 * remaining, "ftol": 0.0, "gtol": 0.0},
    )
    if stop_reason:
        return stop_reason
    return "completed" if run.state.iteration >= run.config.iterations else "converged"
