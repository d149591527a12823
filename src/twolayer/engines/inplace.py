"""The in-place engine: the seed's full-batch step through the buffered twins of the math.

Every line it runs is a line of :mod:`twolayer.nn.model`, :mod:`twolayer.nn.losses`,
:mod:`twolayer.nn.activations` and :mod:`twolayer.nn.optim`, in their ``*_into`` form, which writes
into arrays allocated once when the run starts (:class:`Workspace`); in steady state an epoch
allocates no array.  Line by line, for the seed's network::

    model.forward       h = x @ w1; a = relu(h); y_pred = a @ w2   -> model.forward_into
    losses.sse          loss = sum((y_pred - y)^2); 2 (y_pred - y)  -> losses.squared_error_into
    model.backward      grad_w2, grad_h, grad_w1                    -> model.backward_into
    optim.gd_step       w - lr g                                    -> optim.step_into

* When the hidden activations (N, H) fit in cache (the seed's 64 x 100), each call is the call
  the seed's loop makes, in its order: float64 runs are **bit for bit** the seed's run.
* When they do not (say N = 200,000), the samples are walked in blocks of about 2 MiB of
  activations, so that ``h``, the mask and ``grad_h`` of a block are still in cache when the
  next line reads them.  When ``w1`` is small the products with ``x`` are taken block by block
  too (``grad_w1`` sums the blocks' shares); otherwise they stay whole.  The loss and gradients
  are then sums of per-block sums, which agree with the portable engine to about 1e-15
  relative instead of bit for bit (``docs/performance.md``).

The weights are updated in place: ``state.params`` is the same :class:`~twolayer.nn.model.Params`
object at every callback, holding the current weights; a callback that keeps them must copy.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.config import TrainConfig
from twolayer.engines.base import Epoch, Guard, Objective
from twolayer.engines.lanes import lane_count, one_blas_thread, run_lanes
from twolayer.engines.layout import (
    Layout,
    Order,
    choose_layout,
    copy_in_order,
    first_rows,
    order_of,
)
from twolayer.engines.portable import norm
from twolayer.nn.losses import squared_error_into, squared_scale
from twolayer.nn.model import Buffers, Grads, Params, backward_into, forward_into
from twolayer.nn.optim import OptState, step_into
from twolayer.state import TrainState

FloatArray = NDArray[Any]

CACHE_BYTES = 2 * 2**20
"""Hidden activations (N, H) larger than this are processed in sample blocks."""

BLOCK_BYTES = 2 * 2**20
"""Target size of one block of hidden activations (rows * H * itemsize): with the block's rows of
x it stays in the last-level cache, and blocks are few enough that NumPy's per-call cost stays
small (2,616 rows of the tall workload: 77 blocks; measured against 648 and 256 rows)."""

FUSE_BYTES = 2**20
"""With blocks, when w1 (D_in, H) is at most this big the products with x are blocked too
(summing a block's share of grad_w1 is then cheap): the tall workload, not the wide one."""

MIN_BLOCK_ROWS = 512
"""Fewest rows in a block: thinner blocks make the products with w2 slow (measured on the
wide workload, H = 1024)."""


def block_rows(n: int, hidden: int, itemsize: int) -> int | None:
    """Rows per sample block, or None when the (N, H) activations fit in cache whole."""
    if n * hidden * itemsize <= CACHE_BYTES:
        return None
    return max(MIN_BLOCK_ROWS, BLOCK_BYTES // (hidden * itemsize) // 8 * 8)


class HiddenPass:
    """The buffers of everything from ``h`` to ``grad_h``, per block of samples.

    Given ``h`` (or each block's rows of ``x``), :meth:`block` runs the activation, the output
    layer, the loss and their backward lines for one block, writing only into arrays allocated
    here.  The dual engine shares it with the in-place one.

    Parameters
    ----------
    y : array, shape (N, D_out), the targets (read only)
    hidden : H
    loss : "sse", "mse" or "half_mse"
    rows : rows per sample block, or None to work on all samples at once (then every call is the
        seed's, and ``h`` is kept apart from ``a``; in blocks ``a`` overwrites ``h``).
    fused : with blocks, make ``h`` and ``grad_h`` one block tall and reused by every block,
        whose products with x are then taken inside :meth:`block`: no (N, H) array exists.
    alive : also keep the (H,) mask of units active for some sample (:meth:`alive`).
    lane, lanes : keep only blocks ``lane, lane + lanes, ...`` (:mod:`twolayer.engines.lanes`:
        each lane has buffers of its own).
    order : memory order of the (n, H) buffers (:attr:`Layout.hidden`).
    """

    def __init__(
        self,
        y: FloatArray,
        hidden: int,
        loss: str,
        rows: int | None,
        *,
        fused: bool = False,
        alive: bool = False,
        lane: int = 0,
        lanes: int = 1,
        order: Order = "C",
    ) -> None:
        n, d_out = y.shape
        dtype = y.dtype
        self.track_alive = alive
        self.scale = squared_scale(loss, n, d_out)
        self.total = np.empty((), dtype)  # the loss (of one block), 0-d
        self.blocked = rows is not None and rows < n
        size = rows if rows is not None and self.blocked else n
        self.fused = fused and self.blocked
        if order != "C" and not self.fused:  # unfused blocks are rows of one (N, H) array
            raise ValueError("column-major hidden buffers need fused blocks")
        tall = size if self.fused else n
        self.h = np.empty((tall, hidden), dtype, order=order)  # (N, H), or (rows, H) fused
        self.grad_h = np.empty((tall, hidden), dtype, order=order)
        self.grad_w2 = np.empty((hidden, d_out), dtype)  # (H, D_out)
        a = self.h if self.blocked else np.empty((n, hidden), dtype, order=order)  # relu(h)
        self.active = np.zeros(hidden, bool)  # (H,), with alive: units active somewhere
        self.block_active = np.empty(hidden, bool)
        self.block_max = np.empty(hidden, dtype)  # (H,): each unit's largest activation
        keep = np.empty((size, hidden), dtype, order=order)  # 1 where h >= 0, 0 where h < 0
        mask = np.empty((size, hidden), bool, order=order)  # the ReLU's scratch
        y_pred, diff, square = (np.empty((size, d_out), dtype) for _ in range(3))
        self.partial_w2 = np.empty_like(self.grad_w2)  # one block's share of grad_w2
        self.blocks: list[tuple[Buffers, FloatArray, slice]] = []  # views made once
        for start in range(0, n, size):
            part = slice(start, min(start + size, n))
            r = part.stop - start
            if self.fused:  # one block's buffers, reused: every view contiguous (first_rows)
                h, a_, grad_h = (first_rows(b, r) for b in (self.h, a, self.grad_h))
            else:
                h, a_, grad_h = self.h[part], a[part], self.grad_h[part]
            buf = Buffers(h, a_, first_rows(keep, r), first_rows(mask, r), y_pred[:r],
                          diff[:r], square[:r], grad_h)  # fmt: skip
            self.blocks.append((buf, y[part], part))
        self.blocks = self.blocks[lane::lanes]

    def block(
        self,
        i: int,
        w1: FloatArray | None,
        w2: FloatArray,
        x: FloatArray | None = None,
        grad_w1: FloatArray | None = None,
    ) -> float:
        """Block ``i``'s forward, loss and backward lines; returns its sum of squares.

        With ``x`` (the block's rows, (rows, D_in)) the products with ``w1`` are taken here and
        ``x.T @ grad_h`` goes to ``grad_w1``; without, ``h`` must hold ``x @ w1`` already.
        """
        buf, y, _ = self.blocks[i]
        forward_into(w1, w2, x, buf)  # type: ignore[arg-type]  # w1 is read only with x
        sse = squared_error_into(buf.y_pred, y, self.scale.grad_factor, buf.diff, buf.square,
                                 self.total)  # fmt: skip
        backward_into(w2, x, buf, self.partial_w2 if i else self.grad_w2, grad_w1)
        if i:
            np.add(self.grad_w2, self.partial_w2, out=self.grad_w2)
        if self.track_alive:
            np.maximum.reduce(buf.a, axis=0, out=self.block_max)  # a >= 0: active where > 0
            np.greater(self.block_max, 0, out=self.block_active)
            np.logical_or(self.active, self.block_active, out=self.active)
        return sse

    def loss_from_h(self, w2: FloatArray) -> float:
        """With ``h`` holding ``x @ w1`` for every sample: the loss, ``grad_w2`` and ``grad_h``."""
        if len(self.blocks) == 1:
            return self.finish(self.block(0, None, w2))
        return self.finish(sum(self.block(i, None, w2) for i in range(len(self.blocks))))

    def finish(self, sse: float) -> float:
        """The loss from the blocks' sum of squares ``sse``: divided in the data's dtype when
        there is one block, as the portable engine divides, and in float64 across blocks."""
        if self.scale.divisor == 1:
            return sse
        if self.blocked:
            return sse / self.scale.divisor
        np.divide(self.total, self.scale.divisor, out=self.total)
        return float(self.total)

    def alive(self) -> FloatArray:
        """(H,) mask of the units active for some sample in the last pass (needs ``alive``);
        resets it for the next pass."""
        found = self.active.copy()
        self.active[...] = False
        return found


Lane = tuple["HiddenPass", list[FloatArray | None], FloatArray, FloatArray]
"""A lane's blocks (a :class:`HiddenPass`), their rows of x, and its shares of grad_w1 (the
lane's sum, one block's)."""


class Workspace:
    """Every array one full-batch epoch of the in-place engine touches, allocated once.

    Parameters
    ----------
    x : array, shape (N, D_in); y : array, shape (N, D_out): read, never written.
    params : Params with w1 (D_in, H) and w2 (H, D_out), copied: the caller's arrays are never
        modified.
    loss : "sse", "mse" or "half_mse"
    optimizer : "gd", "momentum" or "nesterov"; mu : momentum's mass
    velocity : momentum's starting velocity (Params like ``params``), copied; zeros when None
    blocks : rows per sample block; None chooses with :func:`block_rows`, 0 means no blocks.
    fuse : take the products with x block by block (None: when w1 is small, ``FUSE_BYTES``).
    layout : memory orders of the arrays (None: :func:`choose_layout`).

    After :meth:`forward_backward`, :attr:`grads` holds the gradients of the current weights;
    :meth:`update` then applies one optimizer step to :attr:`params` in place.
    """

    def __init__(
        self,
        x: FloatArray,
        y: FloatArray,
        params: Params,
        *,
        loss: str = "sse",
        optimizer: str = "gd",
        mu: float = 0.9,
        velocity: Params | None = None,
        blocks: int | None = None,
        fuse: bool | None = None,
        alive: bool = False,
        layout: Layout | None = None,
        keep_grads: bool = True,
    ) -> None:
        n, d_in = x.shape
        hidden = params.w2.shape[0]
        rows = block_rows(n, hidden, x.dtype.itemsize) if blocks is None else (blocks or None)
        fused = d_in * hidden * x.dtype.itemsize <= FUSE_BYTES if fuse is None else fuse
        self.x, self.mu = x, mu
        self.layout = layout or choose_layout(x.dtype, rows, fused)
        order = self.layout.hidden
        self.hidden = HiddenPass(y, hidden, loss, rows, fused=fused, alive=alive, order=order)
        # Fused blocks may be shared among lanes, each with its own buffers (engines/lanes.py).
        count = lane_count(len(self.hidden.blocks)) if self.hidden.fused else 1
        if count > 1:
            self.hidden = HiddenPass(y, hidden, loss, rows, fused=True, alive=alive, lanes=count,
                                     order=order)  # fmt: skip
        w1 = copy_in_order(params.w1, self.layout.weights)  # (D_in, H)
        self.params = Params(w1, params.w2.copy())  # and w2 (H, D_out)
        self.grads = Grads(np.empty_like(self.params.w1), self.hidden.grad_w2)
        self.scratch = Params(np.empty_like(self.params.w1), np.empty_like(self.params.w2))
        self.velocity: Params | None = None
        if optimizer != "gd":
            start = velocity or self.params.map(np.zeros_like)
            self.velocity = start.map(lambda v, w: copy_in_order(v, order_of(w)), self.params)
        self.ahead = self.params.map(np.empty_like) if optimizer == "nesterov" else None
        # gd's step lr g may overwrite g itself when nothing reads g after the update (no
        # gradient norms, no blocks summing into scratch): two arrays in the cache, not three
        # (30 of the seed's 400 us an iteration), and the same numbers.
        spare = self.scratch
        if not keep_grads and optimizer == "gd" and count == 1 and not self.hidden.blocked:
            spare = Params(self.grads.w1, self.grads.w2)
        self._steps = [
            tuple(None if p is None else getattr(p, name)
                  for p in (self.params, self.grads, spare, self.velocity, self.ahead))
            for name in ("w1", "w2")
        ]  # fmt: skip
        # The rows of x each block multiplies: all of x in one block, each block's rows when
        # fused, and None when the products with x are taken whole around the blocks.
        self.whole_products = self.hidden.blocked and not self.hidden.fused
        self.x_blocks: list[FloatArray | None] = [None] * len(self.hidden.blocks)
        if not self.hidden.blocked:
            self.x_blocks = [x]
        elif self.hidden.fused:
            self.x_blocks = [x[part] for _, _, part in self.hidden.blocks]
        # Lanes 1, 2, ...: their blocks, buffers, and shares of grad_w1 (full and per block).
        self.lanes: list[Lane] = [
            (lane, [x[part] for _, _, part in lane.blocks], np.empty_like(self.params.w1),
             np.empty_like(self.params.w1))
            for lane in (HiddenPass(y, hidden, loss, rows, fused=True, alive=alive, lane=k,
                                    lanes=count, order=order) for k in range(1, count))
        ]  # fmt: skip

    def parts(self) -> list[slice]:
        """The rows of every block of every lane, in the order of the samples."""
        passes = [self.hidden, *(lane for lane, _, _, _ in self.lanes)]
        return sorted((part for p in passes for _, _, part in p.blocks), key=lambda s: s.start)

    def forward_backward(self) -> float:
        """Forward pass, loss and backward pass for the current weights; return the loss."""
        w1, grad_w1, hidden = self.params.w1, self.grads.w1, self.hidden
        if self.whole_products:
            np.matmul(self.x, w1, out=hidden.h)  # h = x @ w1 for all samples
        # a block's share of grad_w1 goes to scratch (update() overwrites it later)
        lane_zero: Lane = (hidden, self.x_blocks, grad_w1, self.scratch.w1)
        lanes = [lane_zero, *self.lanes]
        sums = run_lanes(lambda k: self._blocks(*lanes[k]), len(lanes))
        for lane, _, lane_grad_w1, _ in self.lanes:  # the lanes' shares, added in order
            np.add(grad_w1, lane_grad_w1, out=grad_w1)
            np.add(hidden.grad_w2, lane.grad_w2, out=hidden.grad_w2)
            if lane.track_alive:
                np.logical_or(hidden.active, lane.active, out=hidden.active)
                lane.active[...] = False
        if self.whole_products:
            np.matmul(self.x.T, hidden.grad_h, out=grad_w1)  # grad_w1 = x.T @ grad_h
        return hidden.finish(sum(sums))

    def _blocks(
        self, hidden: HiddenPass, x_blocks: list[FloatArray | None], grad_w1: FloatArray,
        partial: FloatArray,
    ) -> float:  # fmt: skip
        """One lane's blocks, in order: their sum of squares; their shares of grad_w1 summed
        into ``grad_w1`` (``partial`` holds each block's) and of grad_w2 into the lane's."""
        w1, w2 = self.params.w1, self.params.w2
        sse = 0.0
        for i, x in enumerate(x_blocks):
            target = None if x is None else (partial if i else grad_w1)
            sse += hidden.block(i, w1, w2, x, target)
            if i and x is not None:
                np.add(grad_w1, partial, out=grad_w1)
        return sse

    def update(self, lr: float) -> None:
        """One optimizer step at rate ``lr`` for w1 and w2, in place (``optim.step_into``)."""
        for w, grad, scratch, velocity, ahead in self._steps:
            step_into(w, grad, lr, scratch, velocity, self.mu, ahead)  # type: ignore[arg-type]

    def alive(self) -> FloatArray:
        """(H,) mask of hidden units active for some sample at the last :meth:`forward_backward`."""
        return self.hidden.alive()


class InplaceEngine:
    """The engine over a :class:`Workspace`: one buffered full-batch step per epoch."""

    name = "inplace"
    in_place = True  # params() is the workspace's own, updated by every epoch
    objective: Objective | None = None  # steps only: L-BFGS runs on the portable engine

    def __init__(self, config: TrainConfig, x: FloatArray, y: FloatArray, state: TrainState):
        self.track = config.track == "full"
        self._rng_state = state.rng_state
        self.ws = Workspace(x, y, state.params, loss=config.loss, optimizer=config.optimizer,
                            mu=config.momentum, velocity=state.opt_state.get("velocity"),
                            alive=self.track, keep_grads=self.track)  # fmt: skip

    def epoch(self, lr: float, guard: Guard) -> Epoch:
        loss = self.ws.forward_backward()
        guard(loss)
        self.ws.update(lr)
        if not self.track:
            return Epoch(loss, 1)
        norms = {name: norm(g) for name, g in self.ws.grads.named().items()}
        return Epoch(loss, 1, norms, self.ws.alive())

    def params(self) -> Params:
        return self.ws.params

    def running(self) -> AbstractContextManager[None]:
        """BLAS held to one thread for the whole run when its epochs run in lanes."""
        return one_blas_thread() if self.ws.lanes else nullcontext()

    def opt_state(self) -> OptState:
        return {} if self.ws.velocity is None else {"velocity": self.ws.velocity}

    def rng_state(self) -> dict[str, Any] | None:
        return self._rng_state

    def result(self, params: Params) -> Params:
        return params
