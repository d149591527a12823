"""The direct solver's fast loop: the seed's full-batch step with every array allocated once.

:func:`solve` runs the same iterations as the portable loop in :mod:`twolayer.train` and hands
each one to the same bookkeeping (``_Run.check_loss`` before the update, ``_Run.finish_iteration``
after it), so it produces the same :class:`~twolayer.train.Record` objects and calls the same
callbacks.  What changes is only how the arithmetic is laid out in memory:

* every intermediate array of an iteration lives in a :class:`Workspace`, allocated when the
  run starts; each NumPy call writes into one of them through ``out=``, and the ReLU mask is
  applied in place with ``np.putmask``.  In steady state an iteration allocates no array.
* when the hidden activations (N, H) fit in cache (the seed's problem: 64 x 100), each call is
  exactly the call the seed's loop makes, in the same order, so float64 runs are **bit for bit**
  the seed's run.
* when they do not (for example N = 200,000 samples), the elementwise passes and the small
  products with ``w2`` walk the samples in blocks of about 2 MiB, so that ``h``, the mask and
  ``grad_h`` of a block are still in cache when the next pass reads them.  When ``w1`` is small
  the products with ``x`` are taken block by block too (``grad_w1`` sums the blocks' shares);
  otherwise they stay whole.  The loss and gradients are then sums of per-block sums, which
  round differently from one sum over all samples: results agree with the portable loop to
  about 1e-15 relative instead of bit for bit (``docs/performance.md``).

The weights are updated in place: ``state.params`` is the same :class:`~twolayer.model.Params`
object, holding the current weights, at every callback.  A callback that keeps parameters from
one iteration to compare with a later one must copy them.

The loop covers what the seed's experiment needs and its near relatives: full-batch NumPy
training of a network without biases, ReLU, a squared-error loss (``sse``, ``mse``,
``half_mse``) and ``gd``, ``momentum`` or ``nesterov``, without validation or early stopping.
:func:`unsupported` names what else it lacks; such runs take the portable loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from twolayer.model import Params

if TYPE_CHECKING:
    from twolayer.config import TrainConfig
    from twolayer.train import _Run

FloatArray = NDArray[Any]

OPTIMIZERS = ("gd", "momentum", "nesterov")
"""Optimizers whose update the fast loop reproduces exactly."""

LOSS_SCALES: dict[str, tuple[str, float]] = {
    "sse": ("none", 2.0),
    "mse": ("count", 2.0),
    "half_mse": ("twice_n", 1.0),
}
"""For each squared-error loss of :mod:`twolayer.losses`: what the sum of squares is divided by
(nothing, N * D_out or 2 N) and the numerator of the gradient's factor (``2 diff``,
``diff * (2 / (N D_out))``, ``diff * (1 / N)``), written as those functions write them."""

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


def unsupported(config: TrainConfig) -> str | None:
    """Why the fast loop cannot run ``config``, as a phrase; None when it can.

    Runtime conditions (NumPy arrays of one floating dtype, full batch, no validation data) are
    checked by :func:`applies`.
    """
    checks = [
        (config.optimizer in OPTIMIZERS, f"supports the optimizers {', '.join(OPTIMIZERS)}"),
        (config.activation == "relu", "needs the ReLU activation"),
        (config.loss in LOSS_SCALES, f"supports the losses {', '.join(LOSS_SCALES)}"),
        (not config.bias, "needs a network without biases"),
        (config.validation_fraction == 0, "cannot hold out validation data"),
        (not config.early_stopping, "cannot keep early stopping's best weights"),
    ]
    return next((why for ok, why in checks if not ok), None)


def applies(run: _Run) -> bool:
    """Whether ``run`` (its configuration, data and starting state) can take the fast loop."""
    c, x, y, params = run.config, run.x, run.y, run.state.params
    if unsupported(c) is not None or run.validation is not None or params.has_bias:
        return False
    arrays = [x, y, params.w1, params.w2, *_velocity(run.state.opt_state)]
    if not all(type(a) is np.ndarray for a in arrays):
        return False
    if len({a.dtype for a in arrays}) != 1 or x.dtype.kind != "f":
        return False
    return c.batch_size is None or c.batch_size >= x.shape[0]


def block_rows(n: int, hidden: int, itemsize: int) -> int | None:
    """Rows per sample block, or None when the (N, H) activations fit in cache whole."""
    if n * hidden * itemsize <= CACHE_BYTES:
        return None
    return max(MIN_BLOCK_ROWS, BLOCK_BYTES // (hidden * itemsize) // 8 * 8)


class HiddenPass:
    """Buffers and code for everything between the two products with ``x``.

    Given ``h = x @ w1`` in :attr:`h`, :meth:`run` computes the activations ``a``, the
    prediction, the loss, ``grad_w2`` (H, D_out) and ``grad_h``, writing only into arrays
    allocated here.  The dual solver shares it with the direct loop.

    Parameters
    ----------
    y : array, shape (N, D_out), the targets (read only)
    hidden : H
    loss : "sse", "mse" or "half_mse"
    rows : rows per sample block, or None to work on all samples at once (then every call is
        the one the seed makes, and ``h`` is kept; in blocks ``h`` is overwritten by ``a``).
    fused : with blocks, make ``h`` and ``grad_h`` one block tall and reused by every block:
        the caller then computes each block's ``h`` just before :meth:`block` and uses its
        ``grad_h`` just after, so that no (N, H) array exists at all.
    alive : also keep :attr:`active`, the (H,) mask of units active for some sample.
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
    ) -> None:
        n, d_out = y.shape
        dtype = y.dtype
        self.y, self.track_alive = y, alive
        self.divisor, self.grad_factor = _loss_constants(loss, n, d_out)
        self.total = np.empty((), dtype)  # the loss (of one block), 0-d
        self.blocked = rows is not None and rows < n
        size = rows if rows is not None and self.blocked else n
        self.fused = fused and self.blocked
        tall = size if self.fused else n
        self.h = np.empty((tall, hidden), dtype)  # (N, H), or (rows, H) when fused
        self.grad_h = np.empty((tall, hidden), dtype)
        self.grad_w2 = np.empty((hidden, d_out), dtype)  # (H, D_out)
        self.a = self.h if self.blocked else np.empty((n, hidden), dtype)  # relu(h)
        self.active = np.zeros(hidden, bool)  # (H,), with alive: units active somewhere
        self.block_active = np.empty(hidden, bool)
        mask = np.empty((size, hidden), bool)  # h < 0, then a != 0 when tracking
        y_pred, diff, square = (np.empty((size, d_out), dtype) for _ in range(3))
        self.partial_w2 = np.empty_like(self.grad_w2)  # one block's share of grad_w2
        self.blocks = []  # views made once, so that an iteration creates no array object
        for start in range(0, n, size):
            part = slice(start, min(start + size, n))
            rows_here = part.stop - start
            local = slice(0, rows_here) if self.fused else part
            h, a = self.h[local], self.a[local]
            row_views = (y_pred[:rows_here], diff[:rows_here], square[:rows_here])
            self.blocks.append(
                (h, a, a.T, self.grad_h[local], self.y[part], mask[:rows_here], *row_views)
            )

    def run(self, w2: FloatArray) -> float:
        """From :attr:`h` and ``w2`` (H, D_out) to the loss, ``grad_w2`` and ``grad_h``.

        With one block the lines are the seed's, each computed as the seed computes it; with
        several, the loss and ``grad_w2`` are summed block by block.
        """
        loss = 0.0
        for i in range(len(self.blocks)):
            loss += self.block(i, w2)
        return self.finish(loss)

    def block(self, i: int, w2: FloatArray) -> float:
        """Block ``i``'s lines; returns its share of the loss (before any division)."""
        h, a, a_t, grad_h, y, mask, y_pred, diff, square = self.blocks[i]
        total = self.total
        np.less(h, 0, out=mask)
        np.maximum(h, 0, out=a)  # relu
        np.matmul(a, w2, out=y_pred)  # (rows, H) @ (H, D_out) -> (rows, D_out)
        np.subtract(y_pred, y, out=diff)
        np.square(diff, out=square)
        np.add.reduce(square, axis=None, out=total)  # pairwise sum, as .sum() does
        if not self.blocked and self.divisor:
            np.divide(total, self.divisor, out=total)
        np.multiply(diff, self.grad_factor, out=diff)  # the seed's 2.0 * (y_pred - y)
        np.matmul(a_t, diff, out=self.partial_w2 if i else self.grad_w2)  # (H, rows) @ ...
        if i:
            np.add(self.grad_w2, self.partial_w2, out=self.grad_w2)
        np.matmul(diff, w2.T, out=grad_h)  # (rows, D_out) @ (D_out, H) -> (rows, H)
        np.putmask(grad_h, mask, 0.0)  # the seed's grad_h[h < 0] = 0
        if self.track_alive:
            np.not_equal(a, 0, out=mask)
            np.any(mask, axis=0, out=self.block_active)
            np.logical_or(self.active, self.block_active, out=self.active)
        return float(total)

    def finish(self, loss: float) -> float:
        """The loss from the sum of the blocks' shares."""
        return loss / self.divisor if self.blocked and self.divisor else loss

    def alive(self) -> FloatArray:
        """(H,) mask of the units active for some sample in the last run (needs ``alive``);
        resets it for the next run."""
        found = self.active.copy()
        self.active[...] = False
        return found


def optimizer_step(
    w: FloatArray,
    grad: FloatArray,
    lr: float,
    scratch: FloatArray,
    velocity: FloatArray | None = None,
    ahead: FloatArray | None = None,
    mu: float = 0.9,
) -> tuple[FloatArray, float]:
    """Update ``w`` in place by one step, computed as :mod:`twolayer.optim` computes it.

    gd: ``w - lr g`` (``velocity`` None); momentum: ``v <- mu v - lr g; w + v``; nesterov
    (``ahead`` given): the same ``v``, then ``w + (mu v - lr g)``.  ``scratch`` receives
    ``lr g``.  Returns the array added to ``w`` and its sign (-1.0 for gd's ``lr g``), which
    the dual solver applies to its own coordinates.
    """
    np.multiply(grad, lr, out=scratch)
    if velocity is None:
        np.subtract(w, scratch, out=w)
        return scratch, -1.0
    np.multiply(velocity, mu, out=velocity)
    np.subtract(velocity, scratch, out=velocity)
    step = velocity
    if ahead is not None:
        np.multiply(velocity, mu, out=ahead)
        np.subtract(ahead, scratch, out=ahead)
        step = ahead
    np.add(w, step, out=w)
    return step, 1.0


class Workspace:
    """Every array one full-batch iteration of the direct loop touches, allocated once.

    Parameters
    ----------
    x : array, shape (N, D_in); y : array, shape (N, D_out)
        The data, read and never written.
    params : Params with w1 (D_in, H) and w2 (H, D_out), copied: the caller's arrays are never
        modified.
    loss : "sse", "mse" or "half_mse"
    optimizer : "gd", "momentum" or "nesterov"; mu : momentum's mass
    velocity : momentum's starting velocity (Params like ``params``), copied; zeros when None
    blocks : rows per sample block; None chooses with :func:`block_rows`, 0 means no blocks.

    After :meth:`loss_and_grads`, :attr:`grads` holds the gradients of the current weights;
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
    ) -> None:
        n, d_in = x.shape
        hidden = params.w2.shape[0]
        rows = block_rows(n, hidden, x.dtype.itemsize) if blocks is None else (blocks or None)
        fused = d_in * hidden * x.dtype.itemsize <= FUSE_BYTES if fuse is None else fuse
        self.x, self.mu = x, mu
        self.hidden = HiddenPass(y, hidden, loss, rows, fused=fused, alive=alive)
        self.params = Params(params.w1.copy(), params.w2.copy())  # (D_in, H), (H, D_out)
        self.grads = Params(np.empty_like(self.params.w1), self.hidden.grad_w2)
        self.scratch = Params(np.empty_like(self.params.w1), np.empty_like(self.params.w2))
        self.velocity: Params | None = None
        if optimizer != "gd":
            start = velocity or self.params.map(np.zeros_like)
            self.velocity = start.map(np.copy)
        self.ahead = self.params.map(np.empty_like) if optimizer == "nesterov" else None
        self._steps = [
            (
                getattr(self.params, name),
                getattr(self.grads, name),
                getattr(self.scratch, name),
                None if self.velocity is None else getattr(self.velocity, name),
                None if self.ahead is None else getattr(self.ahead, name),
            )
            for name in ("w1", "w2")
        ]
        self.x_blocks: list[tuple[FloatArray, FloatArray]] = []  # fused: rows of x, x.T
        if self.hidden.fused:
            firsts = range(0, n, self.hidden.blocks[0][0].shape[0])
            for first, block in zip(firsts, self.hidden.blocks, strict=True):
                part = x[first : first + block[0].shape[0]]
                self.x_blocks.append((part, part.T))

    def loss_and_grads(self) -> float:
        """Forward pass, loss and backward pass for the current weights; return the loss."""
        w1, w2, grad_w1, hidden = self.params.w1, self.params.w2, self.grads.w1, self.hidden
        if hidden.fused:
            return self._fused_pass()
        np.matmul(self.x, w1, out=hidden.h)  # (N, D_in) @ (D_in, H) -> (N, H)
        loss = hidden.run(w2)
        np.matmul(self.x.T, hidden.grad_h, out=grad_w1)  # (D_in, N) @ (N, H) -> (D_in, H)
        return loss

    def _fused_pass(self) -> float:
        """Both products with x block by block too, so each block of x is read while cached
        and no (N, H) array is needed; ``grad_w1`` sums the blocks' shares."""
        w1, w2, grad_w1, hidden = self.params.w1, self.params.w2, self.grads.w1, self.hidden
        partial = self.scratch.w1  # a block's share of grad_w1; update() overwrites it later
        loss = 0.0
        for i, (x, x_t) in enumerate(self.x_blocks):
            h, grad_h = hidden.blocks[i][0], hidden.blocks[i][3]
            np.matmul(x, w1, out=h)  # (rows, D_in) @ (D_in, H) -> (rows, H)
            loss += hidden.block(i, w2)
            np.matmul(x_t, grad_h, out=partial if i else grad_w1)  # (D_in, rows) @ (rows, H)
            if i:
                np.add(grad_w1, partial, out=grad_w1)
        return hidden.finish(loss)

    def update(self, lr: float) -> None:
        """One optimizer step at rate ``lr`` for w1 and w2, in place."""
        for w, grad, scratch, velocity, ahead in self._steps:
            optimizer_step(w, grad, lr, scratch, velocity, ahead, self.mu)

    def alive(self) -> FloatArray:
        """(H,) mask of hidden units active for some sample at the last :meth:`loss_and_grads`."""
        return self.hidden.alive()


def _loss_constants(loss: str, n: int, d_out: int) -> tuple[int, float]:
    """What the sum of squares is divided by (0: nothing) and the gradient's factor."""
    divide, numerator = LOSS_SCALES[loss]
    divisor = {"none": 0, "count": n * d_out, "twice_n": 2 * n}[divide]
    factor = {"none": numerator, "count": numerator / (n * d_out), "twice_n": numerator / n}
    return divisor, factor[divide]


def _velocity(opt_state: dict[str, Params]) -> list[Any]:
    velocity = opt_state.get("velocity")
    return [] if velocity is None else list(velocity)


def solve(run: _Run) -> str:
    """Run the iterations left in ``run`` on a :class:`Workspace`; return the stop reason.

    ``run.state.params`` becomes the workspace's weights (updated in place) and, for momentum
    and Nesterov, ``run.state.opt_state["velocity"]`` its velocity.
    """
    c, state = run.config, run.state
    full = c.track == "full"
    ws = Workspace(
        run.x, run.y, state.params, loss=c.loss, optimizer=c.optimizer, mu=c.momentum,
        velocity=state.opt_state.get("velocity"), alive=full,
    )  # fmt: skip
    state.params = ws.params
    if ws.velocity is not None:
        state.opt_state = {"velocity": ws.velocity}
    for t in range(state.iteration, c.iterations):
        lr = run.schedule(t)
        loss = ws.loss_and_grads()
        run.check_loss(loss, t, lr)
        state.step += 1
        ws.update(lr)
        reason = run.finish_iteration(
            t, lr, loss, ws.params, ws.grads, ws.alive() if full else None
        )
        if reason:
            return reason
    return "completed"
