"""The Dask engine: data-parallel full-batch training, for data that does not fit one machine.

The training data is a ``dask.array`` chunked along samples; the weights are small NumPy arrays
kept on the client.  One iteration is one graph computation:

1. the weights enter the graph once, as a single key that every task reads;
2. one task per chunk runs the usual forward pass, loss and backward pass on that chunk's NumPy
   block (:func:`twolayer.engines.portable.batch_objective`, hence :mod:`twolayer.nn.model`; or,
   for what it covers, the buffered twins in cache-sized blocks,
   :class:`twolayer.engines.inplace.Workspace`)
   and returns its loss and gradients, each a few kilobytes;
3. the client adds them up in chunk order and the optimizer of :mod:`twolayer.nn.optim` updates
   the weights.

Everything around the step (schedules, the divergence guard, history, early stopping,
callbacks and L-BFGS through :mod:`twolayer.engines.lbfgs`) is :func:`twolayer.train.train`'s
own loop: :class:`DaskEngine` is the portable engine with only the full batch's loss and
gradients computed differently.

The sum of the gradients over the whole batch is the sum of the chunks' sums (for the
mean-reduced losses each chunk's share is weighted by its number of samples), so the result is
NumPy's up to the order of the additions: equal to about 1e-15 relative, and bit for bit with a
single chunk.

Data comes from memory (``dask.array.from_array``), from a directory of ``.npy`` chunk files or
from a Zarr store (``twolayer.data.chunks.open_data``), read lazily: on a cluster whose memory
cannot hold it, each task reads its chunk from storage every iteration.  :func:`cluster` joins a
running ``dask.distributed`` scheduler or starts a ``LocalCluster`` for the duration of a run.
``docs/backends.md`` shows how to run on a real cluster.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import import_optional, require, to_numpy
from twolayer.config import TrainConfig
from twolayer.engines.base import Epoch, Guard
from twolayer.engines.choice import Facts, unmet
from twolayer.engines.inplace import Workspace
from twolayer.engines.portable import Batch, Evaluation, PortableEngine, batch_objective
from twolayer.errors import ConfigError, DataError
from twolayer.nn.losses import get_loss
from twolayer.nn.model import Grads, Params
from twolayer.nn.objective import add_penalty, penalty_factor
from twolayer.nn.optim import OptState
from twolayer.state import TrainState

CONNECT_TIMEOUT = "10s"  # how long to wait for a scheduler given by address
PERSIST_SHARE = 0.5  # keep the data in the workers' memory when it takes at most this share of it
Partial = tuple[float, Grads, NDArray[np.bool_] | None]
"""One chunk's (loss, gradients, mask of hidden units active for some sample)."""


def chunk_objective(
    params: Params, x: NDArray[Any], y: NDArray[Any], config: TrainConfig, weight: float
) -> Partial:
    """The task run on one chunk: its loss and gradients, times ``weight``.

    Parameters
    ----------
    params : Params of NumPy arrays, w1 (D_in, H), w2 (H, D_out) and the biases if any
    x : array, shape (n, D_in), this chunk's samples
    y : array, shape (n, D_out)
    config : TrainConfig, for the activation, the loss and the dtype
    weight : float
        1 for a loss that sums over samples; ``n / N`` for one that averages, so that adding
        the chunks' results gives the full batch's.

    Returns
    -------
    loss : float
    grads : Grads shaped like ``params``
    alive : bool array, shape (H,), units non-zero for some sample (None unless
        ``config.track == "full"``)
    """
    full = config.track == "full"
    with np.errstate(over="ignore", invalid="ignore"):  # the divergence guard reports these
        x = x.astype(config.dtype, copy=False)
        y = y.astype(config.dtype, copy=False)
        if _fast_pass_applies(params, x, config):
            workspace = Workspace(x, y, params, loss=config.loss, alive=full)
            loss, grads = workspace.forward_backward(), workspace.grads
            alive = workspace.alive() if full else None
        else:
            loss, grads, cache = batch_objective(params, x, y, config)
            alive = np.any(cache.a != 0, axis=0) if full else None
        if weight != 1.0:
            loss, grads = loss * weight, grads.map(lambda g: g * weight)
    return float(loss), grads, alive


def _fast_pass_applies(params: Params, x: NDArray[Any], config: TrainConfig) -> bool:
    """Whether the buffered twins (:class:`twolayer.engines.inplace.Workspace`: written into
    buffers, in cache-sized blocks of samples) cover this chunk's forward and backward pass:
    what the table (:mod:`twolayer.engines.choice`) lets the in-place engine run, by its
    "network" and "data" rows (one dtype; the optimizer runs on the client)."""
    same_dtype = params.w1.dtype == params.w2.dtype == x.dtype
    facts = Facts(config, numpy=bool(same_dtype), bias=params.has_bias)
    return unmet("inplace", facts, kinds=("network", "data")) is None


def add_partials(parts: Sequence[Partial]) -> Partial:
    """Add the chunks' results in order: the full batch's loss, gradients and alive units."""
    loss = sum(part[0] for part in parts)
    grads = functools.reduce(lambda a, b: a.map(np.add, b), (part[1] for part in parts))
    masks = [part[2] for part in parts if part[2] is not None]
    alive = functools.reduce(np.logical_or, masks) if masks else None
    return loss, grads, alive


def _dask() -> ModuleType:
    """The ``dask`` module, or a ConfigError naming the extra that installs it."""
    return import_optional("dask", "Dask", "dask")


def current_client() -> Any | None:
    """The ``dask.distributed`` client in use, or None (then Dask's local threads compute)."""
    if "distributed" not in sys.modules:
        return None
    distributed = sys.modules["distributed"]
    try:
        return distributed.default_client()
    except ValueError:  # no client has been started
        return None


class ChunkedData:
    """Training data as Dask arrays chunked along samples, and the full-batch computation.

    Parameters
    ----------
    x : dask array, shape (N, D_in)
    y : dask array, shape (N, D_out)
    persist : bool or None
        Keep the chunks in the workers' memory between iterations. None: when a
        ``dask.distributed`` client is in use and the data take at most half of its workers'
        memory limit; otherwise every iteration reads the chunks from their source.
    """

    def __init__(self, x: Any, y: Any, *, persist: bool | None = None) -> None:
        dask = _dask()
        x, y = align_chunks(x, y)
        client = current_client()
        if persist is None:
            persist = client is not None and _fits_in_memory(client, x.nbytes + y.nbytes)
        if persist:
            x, y = dask.persist(x, y)
        self.arrays = (x, y)  # holding the persisted arrays keeps their chunks on the workers
        self.n_samples = int(x.shape[0])
        self.rows: tuple[int, ...] = tuple(int(r) for r in x.chunks[0])
        self.blocks = list(zip(x.to_delayed().ravel(), y.to_delayed().ravel(), strict=True))

    def summed_over_chunks(self, params: Params, config: TrainConfig) -> Partial:
        """Loss and gradients of ``params`` over all the data: one task per chunk, one graph
        computation, the chunks' results added on the client."""
        dask = _dask()
        mean = get_loss(config.loss).reduction == "mean"
        weights = [rows / self.n_samples if mean else 1.0 for rows in self.rows]
        shared = dask.delayed(params, traverse=False)  # one key: the weights travel once
        task = functools.partial(chunk_objective, config=config)
        parts = [
            dask.delayed(task, pure=False)(shared, xb, yb, weight=w)
            for (xb, yb), w in zip(self.blocks, weights, strict=True)
        ]
        return add_partials(dask.compute(*parts))


def align_chunks(x: Any, y: Any) -> tuple[Any, Any]:
    """``x`` and ``y`` as 2-D Dask arrays chunked along samples only, with the same chunks."""
    if len(x.shape) != 2 or len(y.shape) != 2:
        raise DataError(
            "x and y must be 2-D (samples, features); "
            f"got shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if any(math.isnan(c) for c in (*x.chunks[0], *y.chunks[0])):
        raise DataError("the chunk sizes are unknown; call compute_chunk_sizes() on x and y first")
    if x.shape[0] != y.shape[0]:
        raise DataError(f"x has {x.shape[0]} samples but y has {y.shape[0]}")
    x = x.rechunk({1: -1})  # (chunk rows, D_in): whole samples in every chunk
    return x, y.rechunk((x.chunks[0], -1))


def _fits_in_memory(client: Any, nbytes: int) -> bool:
    try:
        info = client.scheduler_info(n_workers=-1)  # every worker, not only the first five
    except TypeError:  # distributed before 2025 lists them all and has no n_workers
        info = client.scheduler_info()
    workers = info["workers"].values()
    limits = [w.get("memory_limit") or 0 for w in workers]
    if not limits or any(limit == 0 for limit in limits):  # 0: no limit was set
        return True
    return bool(nbytes <= PERSIST_SHARE * sum(limits))


class DaskEngine:
    """The portable engine's steps with the full batch's loss and gradients computed by
    :class:`ChunkedData` on Dask; the weights and the optimizer's state are NumPy arrays.

    ``train`` returns its final weights as single-chunk Dask arrays (:meth:`result`); the
    state keeps NumPy arrays.
    """

    name = "dask"
    in_place = False  # every update makes new arrays

    def __init__(self, config: TrainConfig, x: Any, y: Any, state: TrainState) -> None:
        if config.batch_size is not None:
            raise ConfigError(
                "the dask backend trains on the full batch, split across chunks; "
                "leave batch_size unset"
            )
        self.config = config
        self.data = ChunkedData(x, y)
        self.steps = PortableEngine(config, x, y, state.map_arrays(to_numpy),
                                    evaluate=self.evaluate)  # fmt: skip
        self.objective = self.steps.objective

    def evaluate(self, params: Params, batch: Batch) -> Evaluation:
        """The full batch's loss, gradients and alive units (``batch`` is all the data)."""
        # The chunks sum the data's loss; the penalties are added once, for all N samples.
        unpenalised = self.config.replace(alpha=0.0, l1=0.0)
        loss, grads, alive = self.data.summed_over_chunks(params, unpenalised)
        factor = penalty_factor(self.config.loss, self.data.n_samples)
        loss, grads = add_penalty(params, loss, grads, self.config.alpha, factor, self.config.l1)
        return float(loss), grads, alive

    def epoch(self, lr: float, guard: Guard) -> Epoch:
        return self.steps.epoch(lr, guard)  # one full batch, spread over the chunks

    def params(self) -> Params:
        return self.steps.params()

    def opt_state(self) -> OptState:
        return self.steps.opt_state()

    def rng_state(self) -> dict[str, Any] | None:
        return self.steps.rng_state()

    def running(self) -> AbstractContextManager[None]:
        return nullcontext()

    def result(self, params: Params) -> Params:
        da = require("dask")
        return params.map(lambda p: da.from_array(p, chunks=p.shape))


# --- clusters --------------------------------------------------------------------------------


@contextlib.contextmanager
def cluster(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int | None = None,
    memory_limit: str | float | None = "auto",
    processes: bool = True,
) -> Iterator[Any]:
    """A ``dask.distributed`` client for the duration of a ``with`` block.

    With ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``) it joins that running
    cluster; otherwise it starts a ``LocalCluster`` on this machine (``n_workers``,
    ``threads_per_worker`` and ``memory_limit`` per worker are passed on; None lets Dask choose)
    and closes it at the end.  The client is the default scheduler inside the block.
    """
    distributed = import_optional("distributed", "dask.distributed", "dask")
    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            try:
                client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ConfigError(
                    f"cannot reach the Dask scheduler at {scheduler} ({exc})"
                ) from None
        else:
            local = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=threads_per_worker,
                    memory_limit=memory_limit,
                    processes=processes,
                    dashboard_address=":0",  # any free port: never clashes with another
                )
            )
            client = distributed.Client(local)
        stack.enter_context(client)
        yield client
