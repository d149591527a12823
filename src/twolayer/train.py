"""The training loop: batches -> forward -> loss -> backward -> optimizer update.

Around it: learning-rate schedules, a validation split, early stopping that restores the best
weights, a divergence guard, one :class:`Record` per iteration and callbacks that may stop the
run.  ``train`` never knows where the data came from and never prints; printing, checkpoints
and progress bars are callbacks.

One iteration is one epoch, a full pass over the training data: a single gradient step at full
batch (the seed's), or one step per minibatch.  Record ``t`` describes the parameters at the
start of iteration ``t``: at full batch its loss is the loss the seed prints at ``it = t``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from twolayer import lbfgs
from twolayer.backend import Array, is_dask_array, namespace
from twolayer.config import TrainConfig
from twolayer.errors import DataError, DivergenceError
from twolayer.losses import get_loss
from twolayer.model import Cache, Grads, Params, backward, forward, init_params
from twolayer.optim import make_optimizer
from twolayer.schedules import ReduceOnPlateau, Schedule, make_schedule
from twolayer.state import Callback, Record, TrainResult, TrainState, run_manifest


def loss_and_grads(
    params: Params, x: Array, y: Array, config: TrainConfig
) -> tuple[Array, Grads, Cache]:
    """Forward, loss and backward for one batch: ``(loss, grads, cache)``."""
    y_pred, cache = forward(params, x, config.activation)
    loss, grad_y_pred = get_loss(config.loss).fn(y_pred, y)
    return loss, backward(params, cache, grad_y_pred, config.activation), cache


def evaluate_loss(params: Params, x: Array, y: Array, config: TrainConfig) -> float:
    """The configured loss of ``params`` on ``(x, y)``."""
    y_pred, _ = forward(params, x, config.activation)
    return float(get_loss(config.loss).fn(y_pred, y)[0])


def validation_split(
    n: int, fraction: float, seed: int
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Seeded split of ``range(n)`` into sorted (train, validation) index arrays."""
    n_val = max(1, round(n * fraction))
    if n_val >= n:
        raise DataError(
            f"a validation fraction of {fraction} leaves no training samples out of {n}"
        )
    order = _rngs(seed)["split"].permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def train(
    x: Array,
    y: Array,
    config: TrainConfig | None = None,
    params: Params | None = None,
    *,
    validation: tuple[Array, Array] | None = None,
    callbacks: Sequence[Callback] = (),
    state: TrainState | None = None,
) -> TrainResult:
    """Train a two-layer network on ``x`` (N, D_in) and ``y`` (N, D_out).

    Parameters
    ----------
    x, y : arrays of shape (N, D_in) and (N, D_out), of any array-API namespace.
    config : TrainConfig, default the seed's recipe.
    params : starting parameters; drawn with ``init_params`` from ``config.seed`` when None.
    validation : explicit ``(x_val, y_val)``; otherwise ``config.validation_fraction`` of the
        samples is held out (seeded), or none when it is 0.
    callbacks : called after every iteration; any returning True stops the run.
    state : a :class:`TrainState` from an earlier run with the same data and configuration, to
        continue it exactly (optimizer, schedule, early-stopping and shuffling state included).

    Raises
    ------
    DivergenceError
        When a loss is non-finite or exceeds ``config.divergence_factor`` times the first loss;
        the update that would have used it is never applied.
    """
    config = config or TrainConfig()
    x, y = _check_data(x, y, config)
    if validation is None and config.validation_fraction > 0:
        train_idx, val_idx = validation_split(x.shape[0], config.validation_fraction, config.seed)
        validation = (_take(x, val_idx), _take(y, val_idx))
        x, y = _take(x, train_idx), _take(y, train_idx)
    if state is None:
        params = params if params is not None else _initial_params(x, y, config)
        lbfgs_run = config.optimizer == "lbfgs"
        state = TrainState(
            params, {} if lbfgs_run else make_optimizer(config.optimizer).init(params)
        )
    if is_dask_array(x):  # data-parallel over the chunks, on Dask: see twolayer.distributed
        from twolayer.distributed import DaskRun

        return DaskRun(config, x, y, validation, list(callbacks), state).go()
    run = _Run(config, x, y, validation, list(callbacks), state)
    return run.go()


def _take(a: Array, idx: np.ndarray[Any, Any]) -> Array:
    if is_dask_array(a):
        return a[idx]  # NumPy indices keep Dask's chunks; a Dask index array makes one chunk
    xp = namespace(a)
    return xp.take(a, xp.asarray(idx), axis=0)


def _check_data(x: Array, y: Array, config: TrainConfig) -> tuple[Array, Array]:
    if len(x.shape) != 2 or len(y.shape) != 2:
        raise DataError(
            "x and y must be 2-D (samples, features); "
            f"got shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if x.shape[0] != y.shape[0]:
        raise DataError(f"x has {x.shape[0]} samples but y has {y.shape[0]}")
    if x.shape[0] == 0:
        raise DataError("there are no samples to train on")
    xp = namespace(x, y)
    dtype = getattr(xp, config.dtype)
    return xp.astype(x, dtype, copy=False), xp.astype(y, dtype, copy=False)


def _initial_params(x: Array, y: Array, config: TrainConfig) -> Params:
    params = init_params(
        _rngs(config.seed)["init"],
        int(x.shape[1]),
        config.hidden,
        int(y.shape[1]),
        init=config.init,
        bias=config.bias,
        dtype=config.dtype,
    )
    xp = namespace(x)
    if xp is np:
        return params
    return params.map(lambda p: xp.asarray(p, device=_device(x)))


def _device(a: Array) -> Any:
    import array_api_compat

    return array_api_compat.device(a)


def _rngs(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators for initialisation, the validation split and shuffling."""
    names = ("init", "split", "shuffle")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


class _Run:
    """One call of :func:`train`: the loop and the bookkeeping around it."""

    def __init__(
        self,
        config: TrainConfig,
        x: Array,
        y: Array,
        validation: tuple[Array, Array] | None,
        callbacks: list[Callback],
        state: TrainState,
    ) -> None:
        self.config, self.x, self.y, self.validation = config, x, y, validation
        self.callbacks, self.state = callbacks, state
        self.loss_fn = get_loss(config.loss)
        self.schedule = self._make_schedule()
        self.shuffle_rng = _rngs(config.seed)["shuffle"]
        if state.rng_state is not None:
            self.shuffle_rng.bit_generator.state = state.rng_state
        self.history: list[Record] = []
        self.start = time.perf_counter()

    def _make_schedule(self) -> Schedule:
        c = self.config
        schedule = make_schedule(
            c.schedule, c.lr, total=c.iterations, power=c.power_t, step_size=c.step_size,
            gamma=c.gamma, lr_min=c.lr_min, patience=c.plateau_patience, factor=c.plateau_factor,
        )  # fmt: skip
        if isinstance(schedule, ReduceOnPlateau):
            for name, value in self.state.schedule_state.items():
                setattr(schedule, name, value)
        return schedule

    def go(self) -> TrainResult:
        # NumPy's overflow/invalid warnings are silenced: the divergence guard reports them instead.
        with np.errstate(over="ignore", invalid="ignore"):
            reason = lbfgs.minimize(self) if self.config.optimizer == "lbfgs" else self._loop()
        if reason == "early_stopping" and self.state.early.best_params is not None:
            self.state.params = self.state.early.best_params
        result = TrainResult(
            self.state.params, self.history, self.state, reason, run_manifest(self.config)
        )
        for cb in self.callbacks:
            cb.on_train_end(result)
        return result

    def _loop(self) -> str:
        from twolayer import dual, fast  # faster loops for the runs they cover (config.solver)

        path = dual.choose(self)
        if path != "portable":
            return dual.solve(self) if path == "dual" else fast.solve(self)
        # The portable loop: any array namespace and option, and the reference for the others.
        optimizer = make_optimizer(
            self.config.optimizer, mu=self.config.momentum, beta1=self.config.beta1,
            beta2=self.config.beta2, epsilon=self.config.epsilon,
        )  # fmt: skip
        for t in range(self.state.iteration, self.config.iterations):
            lr = self.schedule(t)
            start_params = self.state.params
            loss, grads, alive = self._epoch(optimizer, t, lr)
            reason = self.finish_iteration(t, lr, loss, start_params, grads, alive)
            if reason:
                return reason
        return "completed"

    def _epoch(self, optimizer: Any, t: int, lr: float) -> tuple[float, Grads, Array]:
        """Run the updates of iteration ``t``; return its loss, last gradients and alive units."""
        losses: list[tuple[float, int]] = []
        alive: Array = None
        grads: Grads | None = None
        for xb, yb in self._batches():
            loss_array, grads, cache = loss_and_grads(self.state.params, xb, yb, self.config)
            loss = float(loss_array)
            self.check_loss(loss, t, lr)
            losses.append((loss, int(xb.shape[0])))
            if self.config.track == "full":
                xp = namespace(cache.a)
                batch_alive = xp.any(cache.a != 0, axis=0)
                alive = batch_alive if alive is None else xp.logical_or(alive, batch_alive)
            self.state.step += 1
            self.state.params, self.state.opt_state = optimizer.update(
                self.state.params, grads, self.state.opt_state, lr, self.state.step
            )
        assert grads is not None
        return self._combine(losses), grads, alive

    def full_batch_loss_and_grads(self, params: Params) -> tuple[Array, Grads]:
        """Loss and gradients of ``params`` on the whole training set (L-BFGS's objective)."""
        loss, grads, _ = loss_and_grads(params, self.x, self.y, self.config)
        return loss, grads

    def _batches(self) -> Iterator[tuple[Array, Array]]:
        n = self.x.shape[0]
        size = self.config.batch_size
        if size is None or size >= n:
            yield self.x, self.y
            return
        order = self.shuffle_rng.permutation(n)
        self.state.rng_state = dict(self.shuffle_rng.bit_generator.state)
        for start in range(0, n, size):
            idx = order[start : start + size]
            yield _take(self.x, idx), _take(self.y, idx)

    def _combine(self, losses: list[tuple[float, int]]) -> float:
        if len(losses) == 1:
            return losses[0][0]
        if self.loss_fn.reduction == "sum":
            return float(sum(value for value, _ in losses))
        total = sum(count for _, count in losses)
        return float(sum(value * count for value, count in losses) / total)

    def check_loss(self, loss: float, t: int, lr: float) -> None:
        """The divergence guard: raise before a bad loss can reach an update."""
        if not np.isfinite(loss):
            raise DivergenceError(t, loss, lr)
        if self.state.first_loss is None:
            self.state.first_loss = loss
        elif loss > self.config.divergence_factor * max(  # float_info.min: finfo(float).tiny
            self.state.first_loss, sys.float_info.min
        ):
            raise DivergenceError(t, loss, lr, reason="exploded")

    def finish_iteration(
        self, t: int, lr: float, loss: float, params: Params, grads: Grads | None, alive: Array
    ) -> str | None:
        """Record iteration ``t`` (whose loss belongs to ``params``), run early stopping, the
        plateau schedule and the callbacks; return a stop reason or None to go on."""
        c = self.config
        val_loss = (
            evaluate_loss(params, *self.validation, c) if self.validation is not None else None
        )
        record = Record(t, loss, lr, time.perf_counter() - self.start, val_loss)
        if c.track == "full" and grads is not None:
            record.grad_norms = {k: _norm(g) for k, g in grads.named().items()}
            if alive is not None:
                record.dead_fraction = _dead_fraction(alive)
        self.history.append(record)
        self.state.iteration = t + 1
        monitored = val_loss if val_loss is not None else loss
        if isinstance(self.schedule, ReduceOnPlateau):
            self.schedule.observe(monitored)
            self.state.schedule_state = {
                "lr": self.schedule.lr,
                "best": self.schedule.best,
                "wait": self.schedule.wait,
            }
        stop = False
        if c.early_stopping:
            self.state.early.observe(monitored, t, params, c.tol)
            stop = self.state.early.wait >= c.patience
        wants_stop = [bool(cb.on_iteration_end(record, self.state)) for cb in self.callbacks]
        if stop:
            return "early_stopping"
        return "callback" if any(wants_stop) else None


def _dead_fraction(alive: Array) -> float:
    """Share of False entries in the (H,) mask of units that were non-zero for some sample."""
    xp = namespace(alive)
    return 1.0 - float(xp.sum(xp.astype(alive, xp.int64))) / int(alive.shape[0])


def _norm(g: Array) -> float:
    xp = namespace(g)
    return float(xp.sqrt(xp.sum(g * g)))


__all__ = [
    "evaluate_loss",
    "loss_and_grads",
    "train",
    "validation_split",
]
