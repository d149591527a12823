"""The training loop, written once: for each epoch, a learning rate, an engine's epoch, the books.

Around the engine's arithmetic: learning-rate schedules, a validation split, early stopping that
restores the best weights, a divergence guard, one :class:`~twolayer.state.Record` per iteration
and callbacks that may stop the run.  ``train`` never knows where the data came from and never
prints; printing, checkpoints and progress bars are callbacks.  How an epoch is computed is the
engine's business (:mod:`twolayer.engines`): the portable engine runs ``model.forward`` ->
``losses`` -> ``model.backward`` -> an ``optim`` rule, the others the same steps laid out
differently; L-BFGS lets SciPy own the iterations and reports each one here.

One iteration is one epoch, a full pass over the training data: a single gradient step at full
batch (the seed's), or one step per minibatch.  Record ``t`` describes the parameters at the
start of iteration ``t``: at full batch its loss is the loss the seed prints at ``it = t``.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from twolayer.backend import Array, is_dask_array, is_sparse, namespace, require, to_numpy
from twolayer.config import TrainConfig, generator
from twolayer.data.splits import validation_split
from twolayer.engines import Engine, Epoch, lbfgs, select
from twolayer.engines.portable import Batch, evaluate_loss, norm, take
from twolayer.errors import DataError, DivergenceError
from twolayer.io.memory import check_network
from twolayer.nn import metrics
from twolayer.nn.model import Grads, Params, forward, init_params
from twolayer.nn.optim import make_optimizer
from twolayer.nn.schedules import ReduceOnPlateau, Schedule, make_schedule
from twolayer.state import Callback, Record, Split, TrainResult, TrainState, run_manifest


def train(
    x: Array,
    y: Array,
    config: TrainConfig | None = None,
    params: Params | None = None,
    *,
    validation: tuple[Array, Array] | None = None,
    callbacks: Sequence[Callback] = (),
    state: TrainState | None = None,
    sample_weight: Array | None = None,
    engine: str | None = None,
) -> TrainResult:
    """Train a two-layer network on ``x`` (N, D_in) and ``y`` (N, D_out).

    Parameters
    ----------
    x, y : arrays of shape (N, D_in) and (N, D_out), of any array-API namespace.
    config : TrainConfig, default the seed's recipe.
    params : starting parameters; drawn with ``init_params`` from ``config.seed`` when None.
    validation : explicit ``(x_val, y_val)``; otherwise ``config.validation_fraction`` of the
        samples is held out (seeded; stratified by class for ``cross_entropy``), or none when
        it is 0.
    callbacks : called after every iteration; any returning True stops the run.
    state : a :class:`TrainState` from an earlier run with the same data and configuration, to
        continue it exactly (optimizer, schedule, early-stopping and shuffling state included).
    sample_weight : (N,) non-negative weights: each sample counts that many times in the loss
        (:mod:`twolayer.nn.losses`), the penalty's factor, the validation loss and the scores.
    engine : the engine to run (a name of :data:`twolayer.engines.ENGINES`, say
        ``"portable"``, the reference); None lets :mod:`twolayer.engines.choice` choose.

    Raises
    ------
    DivergenceError
        When a loss is non-finite or exceeds ``config.divergence_factor`` times the first loss;
        the update that would have used it is never applied.
    """
    config = config or TrainConfig()
    x, y = _check_data(x, y, config)
    _check_memory(x, y, config)
    w = None if sample_weight is None else _check_weight(sample_weight, x, config)
    held: Batch | None = None if validation is None else (*validation, None)
    split = None
    if validation is None and config.validation_fraction > 0:
        labels = _classes(y) if config.loss == "cross_entropy" else None
        split = Split(*validation_split(x.shape[0], config.validation_fraction, config.seed,
                                        labels))  # fmt: skip
        fit, val = split
        held = (take(x, val), take(y, val), None if w is None else take(w, val))
        x, y, w = take(x, fit), take(y, fit), None if w is None else take(w, fit)
    if state is None:
        params = params if params is not None else _initial_params(x, y, config)
        lbfgs_run = config.optimizer == "lbfgs"
        state = TrainState(
            params, {} if lbfgs_run else make_optimizer(config.optimizer).init(params)
        )
    # NumPy's overflow/invalid warnings are silenced: the divergence guard reports them instead.
    with np.errstate(over="ignore", invalid="ignore"):
        runner = select(config, x, y, state, validating=held is not None, weight=w, engine=engine)
        book = _Book(config, state, (x, y, w), held, list(callbacks))
        steps = _minimize if config.optimizer == "lbfgs" else _loop
        with runner.running():
            reason = steps(runner, book)
    if reason == "early_stopping" and state.early.best_params is not None:
        state.params = state.early.best_params
    result = TrainResult(runner.result(state.params), book.history, state, reason,
                         run_manifest(config), runner.name, split)  # fmt: skip
    for cb in book.callbacks:
        cb.on_train_end(result)
    return result


def _loop(engine: Engine, book: _Book) -> str:
    """The epoch loop: the schedule's rate, one engine epoch, then the books.

    The state gets the engine's weights and optimizer buffers after each epoch when a callback
    reads them (:attr:`Callback.reads_state`), else once, at the end: that is when the dual
    engine forms ``w1``."""
    state, reason, current = book.state, "completed", False
    try:
        for t in range(state.iteration, book.config.iterations):
            lr = book.schedule(t)
            start = book.start_params(engine)
            book.now = (t, lr)  # what the guard reports if it stops the run
            epoch = engine.epoch(lr, book.guard)
            state.step += epoch.updates
            state.rng_state = engine.rng_state()
            if current := book.reading:
                state.params, state.opt_state = engine.params(), engine.opt_state()
            if stop := book.finish(t, lr, epoch, start):
                reason = stop
                break
    except BaseException:  # the divergence guard, say: the weights it kept from the update
        if book.history and not current:
            state.params, state.opt_state = engine.params(), engine.opt_state()
        raise
    if not current:  # the last epoch's weights (with none, the engine's copy of the start)
        state.params, state.opt_state = engine.params(), engine.opt_state()
    return reason


def _minimize(engine: Engine, book: _Book) -> str:
    """L-BFGS on the engine's full-batch objective; each accepted iterate is one iteration."""
    state, lr, objective = book.state, book.config.lr, engine.objective
    assert objective is not None, "the table gives L-BFGS an engine with an objective"
    state.params = engine.params()  # the engine's copy of the start (NumPy, for Dask)

    def on_iterate(loss: float, params: Params, grads: Grads, following: Params) -> str | None:
        t = state.iteration
        book.now = (t, lr)
        book.guard(loss)
        state.params = following
        state.step += 1
        norms = {k: norm(g) for k, g in grads.named().items()}
        return book.finish(t, lr, Epoch(loss, 1, norms if book.tracking else None), params)

    remaining = book.config.iterations - state.iteration
    return lbfgs.minimize(objective, state.params, remaining, on_iterate,
                          max_fun=book.config.max_fun)  # fmt: skip


class _Book:
    """The loop's bookkeeping: the divergence guard, the records and scores, the plateau
    schedule, early stopping, the convergence test and the callbacks."""

    def __init__(
        self,
        config: TrainConfig,
        state: TrainState,
        training: Batch,
        validation: Batch | None,
        callbacks: list[Callback],
    ) -> None:
        self.config, self.state, self.training, self.validation, self.callbacks = (
            config, state, training, validation, callbacks
        )  # fmt: skip
        self.tracking = config.track == "full"
        self.reading = any(cb.reads_state for cb in callbacks)  # the engine's arrays, each epoch
        self.schedule = self._make_schedule()
        self.history: list[Record] = []
        self.started = time.perf_counter()
        self.now = (state.iteration, config.lr)  # the iteration in progress and its rate

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

    def start_params(self, engine: Engine) -> Params | None:
        """The parameters an iteration starts from, when validation, scores or early stopping
        need them (copied from an engine that updates them in place)."""
        c = self.config
        if self.validation is None and not c.early_stopping and not c.scores:
            return None
        params = engine.params()
        return copy.deepcopy(params) if engine.in_place else params

    def guard(self, loss: float) -> None:
        """The divergence guard: raise before a bad loss can reach an update (of the iteration
        and at the rate in :attr:`now`)."""
        if not math.isfinite(loss):
            start = self.state.first_loss is None and self.state.step == 0  # nothing applied yet
            raise DivergenceError(self.now[0], loss, self.now[1], "start" if start else "became")
        if self.state.first_loss is None:
            self.state.first_loss = loss
        elif loss > self.config.divergence_factor * max(  # float_info.min: finfo(float).tiny
            self.state.first_loss, sys.float_info.min
        ):
            raise DivergenceError(self.now[0], loss, self.now[1], reason="exploded")

    def finish(self, t: int, lr: float, epoch: Epoch, params: Params | None) -> str | None:
        """Record iteration ``t`` (whose loss belongs to ``params``), run early stopping, the
        plateau schedule and the callbacks; return a stop reason or None to go on."""
        c, state = self.config, self.state
        val_loss = None
        if self.validation is not None and params is not None:
            x_val, y_val, w_val = self.validation
            val_loss = evaluate_loss(params, x_val, y_val, c, w_val)
        record = Record(t, epoch.loss, lr, time.perf_counter() - self.started, val_loss)
        if c.scores and params is not None:
            record.score = score(params, self.training, c)
            if self.validation is not None:
                record.val_score = score(params, self.validation, c)
        if self.tracking and epoch.grad_norms is not None:
            record.grad_norms = epoch.grad_norms
            if epoch.alive is not None:
                record.dead_fraction = _dead_fraction(epoch.alive)
        self.history.append(record)
        state.iteration = t + 1
        monitored = val_loss if val_loss is not None else epoch.loss
        if isinstance(self.schedule, ReduceOnPlateau):
            self.schedule.observe(monitored)
            state.schedule_state = {
                "lr": self.schedule.lr,
                "best": self.schedule.best,
                "wait": self.schedule.wait,
            }
        stop = None
        if c.early_stopping and params is not None:
            state.early.observe(monitored, t, params, c.tol, c.tol_mode)
            stop = "early_stopping" if state.early.wait >= c.patience else None
        state.convergence.observe(epoch.loss, t, None, c.tol, c.tol_mode)
        if stop is None and c.n_iter_no_change is not None:
            stop = "converged" if state.convergence.wait >= c.n_iter_no_change else None
        wants_stop = [bool(cb.on_iteration_end(record, state)) for cb in self.callbacks]
        return stop or ("callback" if any(wants_stop) else None)


def score(params: Params, batch: Batch, config: TrainConfig) -> float:
    """How well ``params`` fit ``batch`` (x, y, weight): R² for the squared losses (unchanged
    by the standardisation of targets), accuracy for ``cross_entropy`` (the top score's class)
    and subset accuracy for ``binary_cross_entropy`` (every label right), weighted as the loss
    is (:mod:`twolayer.nn.metrics`)."""
    x, y, weight = batch
    y_pred = to_numpy(forward(params, x, config.activation)[0])
    target = to_numpy(y)
    w = None if weight is None else to_numpy(weight)
    if config.loss == "cross_entropy":
        return metrics.accuracy(target.argmax(axis=1), y_pred.argmax(axis=1), w)
    if config.loss == "binary_cross_entropy":
        return metrics.accuracy(target > 0.5, y_pred > 0, w)
    return metrics.r2(target, y_pred, w)


def _classes(y: Array) -> np.ndarray[Any, Any]:
    """The class of each one-hot (or probability) row of ``y`` (N, C): its largest column."""
    labels: np.ndarray[Any, Any] = np.asarray(to_numpy(y)).argmax(axis=1)
    return labels


def _check_weight(weight: Any, x: Array, config: TrainConfig) -> Array:
    """Sample weights as an (N,) array of the data's namespace and dtype, or a DataError."""
    values = np.asarray(to_numpy(weight), dtype=np.float64)
    n = int(x.shape[0])
    if values.shape != (n,):
        raise DataError(f"sample_weight must have shape ({n},), one per sample; got {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise DataError("sample_weight must be finite and >= 0")
    if not values.sum() > 0:
        raise DataError("sample_weight must have a positive sum")
    xp = namespace(x)
    if xp is np or is_dask_array(x):
        return values.astype(config.dtype)
    import array_api_compat  # every backend other than NumPy has it (twolayer[backends])

    return xp.asarray(values.astype(config.dtype), device=array_api_compat.device(x))


def _dead_fraction(alive: Array) -> float:
    """Share of False entries in the (H,) mask of units that were non-zero for some sample."""
    xp = namespace(alive)
    return 1.0 - float(xp.sum(xp.astype(alive, xp.int64))) / int(alive.shape[0])


def _check_data(x: Array, y: Array, config: TrainConfig) -> tuple[Array, Array]:
    with np.errstate(over="ignore", invalid="ignore"):  # _check_finite reports what overflows
        return _checked_data(x, y, config)


def _checked_data(x: Array, y: Array, config: TrainConfig) -> tuple[Array, Array]:
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
    if is_sparse(x):  # SciPy CSR keeps its rows cheap to take (minibatches, validation)
        x = x.astype(config.dtype, copy=False).tocsr()
        _check_finite(x.data, "x", config.dtype, sparse=True)
    else:
        x = xp.astype(x, dtype, copy=False)
        _check_finite(x, "x", config.dtype)
    y = xp.astype(y, dtype, copy=False)
    _check_finite(y, "y", config.dtype)
    return x, y


def _check_finite(a: Array, name: str, dtype: str, *, sparse: bool = False) -> None:
    """A DataError naming the first non-finite entry of ``a`` (after the cast to ``dtype``, so
    values too large for float32 are caught too): bad data, not the learning rate, is then
    to blame.  One pass over the data, before any training: their sum, which is finite unless
    some entry is not (or the finite entries overflow it, when the entries are looked at one by
    one), so no array the size of the data is made."""
    if is_dask_array(a):
        finite = bool(require("dask").isfinite(a).all().compute())
    else:
        xp = namespace(a)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum: look closer
            total = float(xp.sum(a))
        finite = math.isfinite(total) or bool(xp.all(xp.isfinite(a)))
    if finite:
        return
    if sparse or is_dask_array(a):
        raise DataError(f"{name} holds a value that is not finite in {dtype}")
    bad = np.argwhere(~np.isfinite(np.asarray(to_numpy(a))))[0]
    where = f"row {bad[0] + 1}" + (f", column {bad[1] + 1}" if len(bad) > 1 else "")
    raise DataError(
        f"{name} has a value at {where} that is not finite in {dtype} (NaN, infinite, or too "
        f"large for {dtype})"
    )


def _check_memory(x: Array, y: Array, config: TrainConfig) -> None:
    """Refuse, before anything is allocated, sizes whose training cannot fit in memory: the
    weights and their buffers, and one batch's copies and activations (a Dask array's are its
    largest chunk's)."""
    n = max(x.chunks[0]) if is_dask_array(x) else int(x.shape[0])
    batch = n if config.batch_size is None else min(n, config.batch_size)
    sizes = {"batch_size" if batch < n else "n": batch, "d_in": int(x.shape[1]),
             "hidden": config.hidden, "d_out": int(y.shape[1])}  # fmt: skip
    check_network(sizes, itemsize=np.dtype(config.dtype).itemsize)


def _initial_params(x: Array, y: Array, config: TrainConfig) -> Params:
    params = init_params(
        generator(config.seed, "init"),
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
    import array_api_compat  # every backend other than NumPy has it (twolayer[backends])

    return params.map(lambda p: xp.asarray(p, device=array_api_compat.device(x)))


__all__ = ["train"]
