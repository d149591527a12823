"""The portable engine: the math as a learner reads it, on any array namespace and any option.

Each epoch walks the (shuffled) minibatches, or the full batch, and for each one runs exactly
the readable functions: :func:`twolayer.nn.model.forward`, the loss of :mod:`twolayer.nn.losses`,
:func:`twolayer.nn.model.backward` and the update rule of :mod:`twolayer.nn.optim`.  It is the
reference every other engine is tested against (``tests/engines/test_equivalence.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from twolayer.backend import Array, is_dask_array, is_sparse, namespace
from twolayer.config import TrainConfig, generator
from twolayer.engines.base import Epoch, Guard, Objective
from twolayer.nn import objective
from twolayer.nn.losses import get_loss
from twolayer.nn.model import Cache, Grads, Params, forward
from twolayer.nn.optim import OptState, make_optimizer
from twolayer.state import TrainState

Batch = tuple[Array, Array, Array | None]
"""Inputs (n, D_in), targets (n, D_out) and sample weights (n,) or None."""


def batch_objective(
    params: Params, x: Array, y: Array, config: TrainConfig, weight: Array | None = None
) -> tuple[Array, Grads, Cache]:
    """Forward, loss (with the configured L2 and L1 penalties) and backward for one batch
    x (n, D_in), y (n, D_out), weights (n,) or None: ``(objective, grads, cache)``
    (:func:`twolayer.nn.objective.loss_and_grads`)."""
    return objective.loss_and_grads(
        params, x, y, activation=config.activation, loss=config.loss, alpha=config.alpha,
        weight=weight, l1=config.l1,
    )  # fmt: skip


def evaluate_loss(
    params: Params, x: Array, y: Array, config: TrainConfig, weight: Array | None = None
) -> float:
    """The configured loss of ``params`` on ``(x, y)`` (weighted by ``weight`` (n,) if given),
    without the penalty (the validation loss measures the fit to held-out data)."""
    y_pred, _ = forward(params, x, config.activation)
    return float(get_loss(config.loss).fn(y_pred, y, weight)[0])


def take(a: Array, idx: np.ndarray[Any, Any]) -> Array:
    """Rows ``idx`` of ``a`` (N, ...), for any backend (and SciPy sparse inputs)."""
    if is_dask_array(a) or is_sparse(a):
        return a[idx]  # NumPy indices keep Dask's chunks; a Dask index array makes one chunk
    xp = namespace(a)
    return xp.take(a, xp.asarray(idx), axis=0)


def norm(g: Array) -> float:
    """The L2 norm of an array of any backend."""
    xp = namespace(g)
    return float(xp.sqrt(xp.sum(g * g)))


def combine(losses: list[tuple[float, float]], reduction: str) -> float:
    """An epoch's loss from its batches' ``(loss, size)``: their sum, or their size-weighted
    mean, as the loss reduces (``"sum"`` or ``"mean"``)."""
    if len(losses) == 1:
        return losses[0][0]
    if reduction == "sum":
        return float(sum(value for value, _ in losses))
    total = sum(count for _, count in losses)
    return float(sum(value * count for value, count in losses) / total)


Evaluation = tuple[float, Grads, Array | None]
"""A batch's loss, gradients and (H,) mask of hidden units active for some sample (or None)."""

Evaluate = Callable[[Params, Batch], Evaluation]
"""The evaluation of some parameters on a batch ``(x, y, weight)``."""


class PortableEngine:
    """Pure updates of :mod:`twolayer.nn.optim` on the batches' gradients of
    :mod:`twolayer.nn.model`.

    Parameters
    ----------
    config : the run's configuration (activation, loss, optimizer and its settings, batch size,
        seed of the shuffling, what to track)
    x, y : arrays (N, D_in), (N, D_out), of one array namespace
    state : where to start: parameters, optimizer buffers, update count, shuffling state
    weight : sample weights (N,), or None
    evaluate : a batch's loss, gradients and alive units computed another way (the Dask
        engine's sums over chunks); None: :meth:`evaluate`, the readable functions
    """

    name = "portable"
    in_place = False  # every update makes new arrays

    def __init__(
        self, config: TrainConfig, x: Array, y: Array, state: TrainState,
        weight: Array | None = None, *, evaluate: Evaluate | None = None,
    ) -> None:  # fmt: skip
        self.config, self.x, self.y, self.weight = config, x, y, weight
        self.gradients: Evaluate = evaluate or self.evaluate
        self.objective: Objective | None = self.full_batch
        self.reduction = get_loss(config.loss).reduction
        self.optimizer = make_optimizer(
            config.optimizer, mu=config.momentum, beta1=config.beta1, beta2=config.beta2,
            epsilon=config.epsilon,
        ) if config.optimizer != "lbfgs" else None  # fmt: skip
        self._params, self._opt_state, self.step = state.params, state.opt_state, state.step
        self.track = config.track == "full"
        self.shuffle = generator(config.seed, "shuffle")
        self._rng_state = state.rng_state
        if state.rng_state is not None:
            self.shuffle.bit_generator.state = state.rng_state

    def evaluate(self, params: Params, batch: Batch) -> Evaluation:
        """Loss, gradients and alive units of ``params`` on one batch ``(x, y, weight)``."""
        loss, grads, cache = batch_objective(params, *batch[:2], self.config, batch[2])
        alive = None
        if self.track:
            alive = namespace(cache.a).any(cache.a != 0, axis=0)
        return float(loss), grads, alive

    def batches(self) -> Iterator[Batch]:
        """The epoch's batches: the full batch, or minibatches in a fresh shuffled order (in
        the data's order with ``shuffle=False``)."""
        n = self.x.shape[0]
        size = self.config.batch_size
        w = self.weight
        if size is None or size >= n:
            yield self.x, self.y, w
            return
        if self.config.shuffle:
            order = self.shuffle.permutation(n)
            self._rng_state = dict(self.shuffle.bit_generator.state)
        else:
            order = np.arange(n)
        for start in range(0, n, size):
            idx = order[start : start + size]
            yield take(self.x, idx), take(self.y, idx), None if w is None else take(w, idx)

    def epoch(self, lr: float, guard: Guard) -> Epoch:
        assert self.optimizer is not None, "lbfgs has no epochs: engines.lbfgs drives it"
        losses: list[tuple[float, float]] = []
        alive: Array | None = None
        grads: Grads | None = None
        for batch in self.batches():
            if batch[2] is not None and self._size(batch) == 0:
                continue  # a minibatch of weight 0 has no loss to step on (its mean is 0 / 0)
            loss, grads, batch_alive = self.gradients(self._params, batch)
            guard(loss)
            losses.append((loss, self._size(batch)))
            if batch_alive is not None:
                alive = (
                    batch_alive
                    if alive is None
                    else namespace(alive).logical_or(alive, batch_alive)
                )
            self.step += 1
            self._params, self._opt_state = self.optimizer.update(
                self._params, grads, self._opt_state, lr, self.step
            )
        assert grads is not None
        norms = {k: norm(g) for k, g in grads.named().items()} if self.track else None
        return Epoch(combine(losses, self.reduction), len(losses), norms, alive)

    @staticmethod
    def _size(batch: Batch) -> float:
        """How much a batch counts: its number of samples, or the sum of its weights."""
        x, _, w = batch
        return int(x.shape[0]) if w is None else float(namespace(w).sum(w))

    def full_batch(self, params: Params) -> tuple[float, Grads]:
        """The objective of ``params`` on all the data and its gradients (:data:`objective`)."""
        loss, grads, _ = self.gradients(params, (self.x, self.y, self.weight))
        return loss, grads

    def params(self) -> Params:
        return self._params

    def running(self) -> AbstractContextManager[None]:
        return nullcontext()

    def opt_state(self) -> OptState:
        return self._opt_state

    def rng_state(self) -> dict[str, Any] | None:
        return self._rng_state

    def result(self, params: Params) -> Params:
        return params
