"""The libraries a user would pick instead of twolayer, each running the seed's workload.

PyTorch (eager, the same algorithm on CPU tensors), JAX (the whole loop compiled) and
scikit-learn (``MLPRegressor`` set up as close as it gets) are optional: a missing one gives a
row whose note says so.  :data:`IMPLEMENTATIONS` are twolayer's rows
(:data:`runs.SOLVERS`, the seed's loop first) followed by these.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import warnings
from typing import Any

import numpy as np

from runs import SOLVERS, Implementation, Runner
from workloads import Problem


def blas_threads() -> int:
    """NumPy's BLAS thread count, which PyTorch is given too (the CPU count when unknown:
    threadpoolctl, which finds it, comes with scikit-learn)."""
    if importlib.util.find_spec("threadpoolctl") is None:
        return os.cpu_count() or 1
    info = importlib.import_module("threadpoolctl").threadpool_info()
    counts = [p["num_threads"] for p in info if p.get("user_api") == "blas"]
    return max(counts, default=os.cpu_count() or 1)


def torch_eager(problem: Problem, dtype: str) -> Runner | str:
    if importlib.util.find_spec("torch") is None:
        return "skipped: PyTorch is not installed"
    torch: Any = importlib.import_module("torch")

    torch.set_num_threads(blas_threads())
    x, y = (torch.from_numpy(a.astype(dtype)) for a in (problem.x, problem.y))
    start = [torch.from_numpy(p.astype(dtype)) for p in (problem.params.w1, problem.params.w2)]
    lr = problem.workload.lr

    def run(iterations: int) -> list[float]:
        w1, w2 = (p.clone() for p in start)
        losses = []
        with torch.no_grad():
            for _ in range(iterations):
                h = x.mm(w1)
                h_relu = h.clamp(min=0)
                y_pred = h_relu.mm(w2)
                loss = (y_pred - y).pow(2).sum()
                losses.append(loss.item())
                grad_y_pred = 2.0 * (y_pred - y)
                grad_w2 = h_relu.t().mm(grad_y_pred)
                grad_h = grad_y_pred.mm(w2.t())
                grad_h[h < 0] = 0
                grad_w1 = x.t().mm(grad_h)
                w1 -= lr * grad_w1
                w2 -= lr * grad_w2
        return losses

    return run


def sklearn_mlp(problem: Problem, dtype: str) -> Runner | str:
    if importlib.util.find_spec("sklearn") is None:
        return "skipped: scikit-learn is not installed"
    MLPRegressor = importlib.import_module("sklearn.neural_network").MLPRegressor

    from twolayer.nn.losses import lr_equivalent_to_sse

    w = problem.workload
    x, y = problem.x.astype(dtype), problem.y.astype(dtype)
    lr = lr_equivalent_to_sse("half_mse", w.lr, w.n, w.d_out)  # its gradient: (y_pred - y) / N

    def run(iterations: int) -> list[float]:
        model = MLPRegressor(
            hidden_layer_sizes=(w.hidden,),
            activation="relu",
            solver="sgd",
            alpha=0.0,
            batch_size=w.n,
            learning_rate="constant",
            learning_rate_init=lr,
            momentum=0.0,
            nesterovs_momentum=False,
            shuffle=False,
            max_iter=iterations,
            tol=0.0,
            n_iter_no_change=iterations + 1,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning: max_iter is reached on purpose
            model.fit(x, y)
        return [float(v) for v in model.loss_curve_]

    return run


def jax_jit(problem: Problem, dtype: str) -> Runner | str:
    if importlib.util.find_spec("jax") is None:
        return "skipped: JAX is not installed"
    jax: Any = importlib.import_module("jax")
    jnp: Any = importlib.import_module("jax.numpy")

    jax.config.update("jax_enable_x64", True)  # float64 rows need it; float32 stays float32
    w = problem.workload
    x, y, w1, w2 = (
        jnp.asarray(a.astype(dtype))
        for a in (problem.x, problem.y, problem.params.w1, problem.params.w2)
    )
    length = max(w.iterations, 1)

    def loop(x: Any, y: Any, w1: Any, w2: Any, iterations: Any) -> Any:
        def body(i: Any, carry: Any) -> Any:
            w1, w2, losses = carry
            h = x @ w1
            h_relu = jnp.maximum(h, 0)
            y_pred = h_relu @ w2
            losses = losses.at[i].set(jnp.sum(jnp.square(y_pred - y)))
            grad_y_pred = 2.0 * (y_pred - y)
            grad_w2 = h_relu.T @ grad_y_pred
            grad_h = jnp.where(h < 0, 0.0, grad_y_pred @ w2.T)
            grad_w1 = x.T @ grad_h
            return w1 - w.lr * grad_w1, w2 - w.lr * grad_w2, losses

        zeros = jnp.zeros(length, x.dtype)
        return jax.lax.fori_loop(0, iterations, body, (w1, w2, zeros))[2]

    compiled = jax.jit(loop)

    def run(iterations: int) -> list[float]:
        if iterations > length:
            raise ValueError(f"this runner was compiled for at most {length} iterations")
        losses = np.asarray(compiled(x, y, w1, w2, iterations))  # waits for the result
        return [float(v) for v in losses[:iterations]]

    return run


SKLEARN_NOTE = "sgd, full batch, no momentum or penalty; its own init and biases"

PEERS = [
    *(
        Implementation("PyTorch eager", d, torch_eager, "torch", "same algorithm, CPU")
        for d in ("float64", "float32")
    ),
    *(
        Implementation("JAX jit", d, jax_jit, "jax", "whole loop compiled, CPU")
        for d in ("float64", "float32")
    ),
    *(
        Implementation(
            "scikit-learn MLPRegressor", d, sklearn_mlp, note=SKLEARN_NOTE, comparable=False
        )
        for d in ("float64", "float32")
    ),
]
"""The peer rows, float64 then float32 for each library."""

IMPLEMENTATIONS = [*SOLVERS, *PEERS]
"""Every row of the full benchmark, in table order."""
