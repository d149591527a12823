"""The buffered engine: every option of the NumPy path, through the buffered twins of the math.

It runs what the portable engine runs (:mod:`twolayer.engines.portable`), step for step, but
writes every array into buffers allocated when the run starts, so a step allocates nothing:

* the parameters, their gradients and each optimizer buffer live in one flat buffer each, with
  views ``w1``, ``w2``, ``b1``, ``b2`` (:func:`flat_params`): an update is a few operations on
  whole buffers (:func:`twolayer.nn.optim.step_into`, :func:`twolayer.nn.optim.adam_into`), and the
  L2 penalty one on the weights' part (:func:`twolayer.nn.objective.add_penalty_into`);
* a shuffled minibatch is gathered into buffers allocated once (``np.take(..., out=)``); in the
  data's order it is a view of the data, and the full batch is the data itself;
* each line is a twin of the readable function: :func:`twolayer.nn.model.forward_into`, the
  activation's twins (:data:`twolayer.nn.activations.TWINS`),
  :func:`twolayer.nn.losses.loss_into`, :func:`twolayer.nn.model.backward_into`.

Every twin makes the readable function's NumPy calls in its order, so a run is bit for bit the
portable engine's (``tests/engines/test_equivalence.py`` holds every combination of options).
The weights are updated in place: ``state.params`` holds the current weights at every
callback; a callback that keeps them must copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.config import TrainConfig, generator
from twolayer.engines.base import Epoch, Guard, Objective
from twolayer.engines.lanes import blas_threads
from twolayer.engines.portable import combine, norm
from twolayer.nn.activations import TWINS
from twolayer.nn.losses import LossBuffers, get_loss, loss_into
from twolayer.nn.model import Buffers, Params, backward_into, forward_into
from twolayer.nn.objective import add_penalty_into, penalty_factor
from twolayer.nn.optim import OptState, adam_into, adam_rate, step_into
from twolayer.state import TrainState

FloatArray = NDArray[Any]

UFUNC_BUFFER = 2048
"""Elements of the buffer NumPy's ufuncs copy a broadcast operand into (``np.setbufsize``)
during a run: the biases added to every row, a row's maximum subtracted from it, a sample's
weight.  NumPy allocates it at every such call, 8,192 elements by default (64 KiB in float64);
2,048 keep it small beside the step's arrays and were as fast or faster (a bias added to
(200, 100) activations: 6.4 us against 8.7 us)."""


def flat_params(flat: FloatArray, sizes: tuple[int, int, int], bias: bool) -> Params:
    """Views of the flat buffer ``flat`` as Params: w1 (D_in, H), then w2 (H, D_out), then
    b1 (H,) and b2 (D_out,) when ``bias``, in that order (``Params.named``'s)."""
    d_in, hidden, d_out = sizes
    shapes = [(d_in, hidden), (hidden, d_out), *([(hidden,), (d_out,)] if bias else [])]
    views, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        views.append(flat[start : start + size].reshape(shape))
        start += size
    return Params(*views)


def flat_size(sizes: tuple[int, int, int], bias: bool) -> int:
    """The number of entries of the parameters of a network of ``sizes`` (D_in, H, D_out)."""
    d_in, hidden, d_out = sizes
    return d_in * hidden + hidden * d_out + ((hidden + d_out) if bias else 0)


class Flat:
    """One flat buffer of a network's size and its Params views (see :func:`flat_params`)."""

    def __init__(self, sizes: tuple[int, int, int], bias: bool, dtype: Any, start: Params | None):
        self.data = np.zeros(flat_size(sizes, bias), dtype)
        self.views = flat_params(self.data, sizes, bias)
        if start is not None:
            for view, value in zip(self.views, start, strict=True):
                np.copyto(view, value)


class StepBuffers:
    """Every array one step on a batch of ``rows`` samples writes, allocated once."""

    def __init__(self, rows: int, hidden: int, d_in: int, d_out: int, dtype: Any, *,
                 gather: bool, weighted: bool) -> None:  # fmt: skip
        h = np.empty((rows, hidden), dtype)  # a = activation(h) is written over h
        self.hidden = Buffers(
            h, h, np.empty((rows, hidden), dtype), np.empty((rows, hidden), bool),
            np.empty((rows, d_out), dtype), np.empty((rows, d_out), dtype),
            np.empty((rows, d_out), dtype), np.empty((rows, hidden), dtype),
        )  # fmt: skip
        self.loss = LossBuffers(self.hidden.diff, self.hidden.square,
                                np.empty((rows, d_out), dtype), np.empty((rows, 1), dtype),
                                np.empty((), dtype))  # fmt: skip
        self.x = np.empty((rows, d_in), dtype) if gather else None  # a gathered batch
        self.y = np.empty((rows, d_out), dtype) if gather else None
        self.weight = np.empty(rows, dtype) if gather and weighted else None
        self.weight_total = np.empty((), dtype)
        self.alive = np.empty(hidden, bool)  # (H,): units non-zero for some sample of the batch


class BufferedEngine:
    """Buffered steps on (mini)batches for every option of the NumPy path.

    Parameters
    ----------
    config : the run's configuration
    x, y : NumPy arrays (N, D_in), (N, D_out) of one floating dtype (read, never written)
    state : where to start: parameters, optimizer buffers (copied), update count, shuffling
    weight : sample weights (N,), or None
    """

    name = "buffered"
    in_place = True  # params() are the flat buffer's views, updated by every step
    objective: Objective | None = None  # steps only: L-BFGS runs on the portable engine

    def __init__(
        self, config: TrainConfig, x: FloatArray, y: FloatArray, state: TrainState,
        weight: FloatArray | None = None,
    ) -> None:  # fmt: skip
        self.config, self.x, self.y, self.weight = config, x, y, weight
        self.reduction = get_loss(config.loss).reduction
        self.act = TWINS[config.activation]
        self.track = config.track == "full"
        self.step = state.step
        start = state.params
        sizes, bias, dtype = start.sizes, start.has_bias, x.dtype
        self.sizes = sizes
        self.params_ = Flat(sizes, bias, dtype, start)
        self.grads = Flat(sizes, bias, dtype, None)
        self.scratch, self.spare = (Flat(sizes, bias, dtype, None) for _ in range(2))
        names = {"momentum": ["velocity"], "nesterov": ["velocity"], "adam": ["m", "v"]}
        self.buffers = {name: Flat(sizes, bias, dtype, state.opt_state[name])
                        for name in names.get(config.optimizer, [])}  # fmt: skip
        self.weights_end = sizes[0] * sizes[1] + sizes[1] * sizes[2]  # w1, w2: the penalised
        n = int(x.shape[0])
        size = n if config.batch_size is None else min(config.batch_size, n)
        self.bounds = [(s, min(s + size, n)) for s in range(0, n, size)]
        self.gather = config.shuffle and len(self.bounds) > 1
        weighted = weight is not None
        self.full = StepBuffers(size, sizes[1], sizes[0], sizes[2], dtype, gather=self.gather,
                                weighted=weighted)  # fmt: skip
        last = n - self.bounds[-1][0]
        self.last = (
            self.full
            if last == size
            else StepBuffers(
                last, sizes[1], sizes[0], sizes[2], dtype, gather=self.gather, weighted=weighted
            )
        )
        self.identity = np.arange(n)
        self.order = self.identity.copy()  # the epoch's order of the samples (shuffled in place)
        self.shuffle = generator(config.seed, "shuffle")
        self._rng_state = state.rng_state
        if state.rng_state is not None:
            self.shuffle.bit_generator.state = state.rng_state
        self.losses = np.empty(len(self.bounds))  # each batch's loss and size, for combine
        self.counts = np.empty(len(self.bounds))
        self.alive = np.empty(sizes[1], bool)  # (H,): over the epoch's batches
        self.threads = blas_threads(size, sizes)

    def batch(self, i: int) -> tuple[StepBuffers, FloatArray, FloatArray, FloatArray | None]:
        """Batch ``i`` of the epoch: its buffers, its rows of x and y and of the weights."""
        start, stop = self.bounds[i]
        buf = self.full if stop - start == self.full.hidden.h.shape[0] else self.last
        w = self.weight
        if not self.gather:
            part = slice(start, stop)
            return buf, self.x[part], self.y[part], None if w is None else w[part]
        assert buf.x is not None
        assert buf.y is not None
        idx = self.order[start:stop]  # a permutation's indices, all in range: mode="clip"
        np.take(self.x, idx, axis=0, out=buf.x, mode="clip")  # ("raise" buffers out= anew)
        np.take(self.y, idx, axis=0, out=buf.y, mode="clip")
        if w is not None and buf.weight is not None:
            np.take(w, idx, axis=0, out=buf.weight, mode="clip")
            return buf, buf.x, buf.y, buf.weight
        return buf, buf.x, buf.y, None

    def objective_into(
        self, buf: StepBuffers, x: FloatArray, y: FloatArray, weight: FloatArray | None
    ) -> Any:
        """Forward, loss (and penalty) and backward of one batch, into :attr:`grads`: the
        objective as a NumPy scalar (:func:`twolayer.nn.objective.loss_and_grads`'s twin)."""
        p, g, hidden = self.params_.views, self.grads.views, buf.hidden
        forward_into(p.w1, p.w2, x, hidden, p.b1, p.b2, self.act)
        column = None if weight is None else weight[:, None]
        total = None if weight is None else buf.weight_total
        loss = loss_into(self.config.loss, hidden.y_pred, y, column, total, buf.loss)
        biases = None if g.b1 is None or g.b2 is None else (g.b1, g.b2)
        backward_into(p.w2, x, hidden, g.w2, g.w1, biases, self.act)
        if self.config.alpha == 0 and self.config.l1 == 0:
            return loss
        n = x.shape[0] if total is None else float(total)
        factor = penalty_factor(self.config.loss, n)
        end = self.weights_end
        return add_penalty_into(loss, self.params_.data[:end], self.grads.data[:end],
                                self.scratch.data[:end], self.sizes[0] * self.sizes[1],
                                self.config.alpha, factor, self.config.l1)  # fmt: skip

    def update(self, lr: float) -> None:
        """One optimizer step at rate ``lr`` on the whole flat buffer (update :attr:`step`)."""
        c, w, g, s = self.config, self.params_.data, self.grads.data, self.scratch.data
        if c.optimizer == "adam":
            m, v = self.buffers["m"].data, self.buffers["v"].data
            rate = adam_rate(lr, self.step, c.beta1, c.beta2)
            adam_into(w, g, m, v, rate, c.beta1, c.beta2, c.epsilon, s, self.spare.data)
        elif c.optimizer == "gd":
            step_into(w, g, lr, s)
        else:
            ahead = self.spare.data if c.optimizer == "nesterov" else None
            step_into(w, g, lr, s, self.buffers["velocity"].data, c.momentum, ahead)

    def epoch(self, lr: float, guard: Guard) -> Epoch:
        if self.gather:  # Generator.permutation(n) is shuffle(arange(n)): the same order
            np.copyto(self.order, self.identity)
            self.shuffle.shuffle(self.order)
            self._rng_state = dict(self.shuffle.bit_generator.state)
        steps = 0
        for i in range(len(self.bounds)):
            steps += self.run_batch(i, steps, lr, guard)
        pairs = list(zip(self.losses[:steps].tolist(), self.counts[:steps].tolist(), strict=True))
        loss = combine(pairs, self.reduction)
        if not self.track:
            return Epoch(loss, steps)
        norms = {k: norm(v) for k, v in self.grads.views.named().items()}
        return Epoch(loss, steps, norms, self.alive.copy())

    def run_batch(self, i: int, k: int, lr: float, guard: Guard) -> bool:
        """Batch ``i``'s step, the epoch's ``k``-th: loss and gradients, ``guard(loss)``, the
        update.  False (and nothing done) for a batch whose weights sum to 0: it has no loss
        to step on (its mean is 0 / 0)."""
        buf, x, y, w = self.batch(i)
        count: float = x.shape[0]
        if w is not None:
            count = float(np.add.reduce(w, out=buf.weight_total))
            if count == 0:
                return False
        loss = float(self.objective_into(buf, x, y, w))
        guard(loss)
        self.losses[k], self.counts[k] = loss, count
        if self.track:
            self._observe(buf, k)
        self.step += 1
        self.update(lr)
        return True

    def _observe(self, buf: StepBuffers, i: int) -> None:
        """Fold batch ``i``'s units that are non-zero for some sample into :attr:`alive`."""
        a, mask = buf.hidden.a, buf.hidden.mask
        np.not_equal(a, 0, out=mask)  # the activation's scratch, free after the forward pass
        np.logical_or.reduce(mask, axis=0, out=buf.alive)
        if i == 0:
            np.copyto(self.alive, buf.alive)
        else:
            np.logical_or(self.alive, buf.alive, out=self.alive)

    def params(self) -> Params:
        return self.params_.views

    def opt_state(self) -> OptState:
        return {name: flat.views for name, flat in self.buffers.items()}

    def rng_state(self) -> dict[str, Any] | None:
        return self._rng_state

    @contextmanager
    def running(self) -> Iterator[None]:
        """BLAS's threads for the step's products (:func:`twolayer.engines.lanes.blas_threads`)
        and the ufuncs' buffer (:data:`UFUNC_BUFFER`) for the whole run."""
        with self.threads, np.errstate():  # errstate restores the buffer's size on exit
            np.setbufsize(UFUNC_BUFFER)
            yield

    def result(self, params: Params) -> Params:
        return params


__all__ = ["BufferedEngine", "Flat", "StepBuffers", "flat_params", "flat_size"]
