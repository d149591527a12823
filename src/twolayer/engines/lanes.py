"""Lanes: the blocks of samples of one full-batch epoch shared among threads, one BLAS thread
each.

On tall data (say 200,000 x 100 -> 100 -> 10) an epoch of the in-place engine walks ~100
blocks of samples, and most of each block's time goes to NumPy's element-wise lines (ReLU,
its mask, the loss) and to products with ``w2`` too skinny for BLAS's threads to help: they
run on one core while BLAS's own threads wait.  Lanes give each thread its own blocks instead
(lane ``k`` takes blocks ``k, k + L, ...``) with BLAS held to one thread for the epoch, so
every core computes every line.  Each lane sums its blocks in order and the lanes are added in
order, so a run is the same from one run to the next (with the same number of lanes); against
one lane it differs only by the order of the additions, ~1e-15 relative.

Lanes need ``threadpoolctl`` (installed with scikit-learn, ``twolayer[sklearn]``, or
``twolayer[bench]``) to hold BLAS to one thread; without it, or on one core, there is one lane.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

MAX_LANES = 8
"""At most this many lanes, whatever the number of cores."""

T = TypeVar("T")


class _Threads:
    """What every run in lanes shares, made on first use: one pool of lane threads (grown
    when a run needs more) and threadpoolctl's controller of the BLAS libraries loaded."""

    def __init__(self) -> None:
        self.pool: ThreadPoolExecutor | None = None
        self.pool_size = 0  # the threads of pool
        self.controller: Any = None  # None: not looked for yet; False: no threadpoolctl

    def lanes(self, count: int) -> ThreadPoolExecutor:
        """The pool, with ``count`` threads at least."""
        if self.pool is None or self.pool_size < count:
            if self.pool is not None:
                self.pool.shutdown(wait=False)
            self.pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="twolayer-lane")
            self.pool_size = count
        return self.pool

    def blas(self) -> Any:
        """threadpoolctl's controller, made once; None without threadpoolctl."""
        if self.controller is None:
            try:
                from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]
            except ImportError:
                self.controller = False
            else:
                self.controller = ThreadpoolController()
        return self.controller or None


_THREADS = _Threads()


def lane_count(blocks: int) -> int:
    """How many lanes an epoch of ``blocks`` sample blocks uses: one per core (at most
    :data:`MAX_LANES`, at most one per block), or 1 without threadpoolctl or a second core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2 or blocks < 2 or _blas_controller() is None:
        return 1
    return min(cores or 1, MAX_LANES, blocks)


def run_lanes(lane: Callable[[int], T], count: int) -> list[T]:
    """``[lane(0), ..., lane(count - 1)]``, run side by side with BLAS held to one thread."""
    if count == 1:
        return [lane(0)]
    pool = _THREADS.lanes(count)  # one pool for every run, grown when needed
    with one_blas_thread():
        return list(pool.map(lane, range(count)))


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Hold BLAS to one thread inside (nothing without threadpoolctl).

    The in-place engine holds it for a whole run in lanes, not only for each epoch: a product
    on BLAS's threads between two epochs (the validation loss, say) would leave them spinning
    for a while before they sleep, sharing the cores with the next epoch's lanes
    (``benchmarks/settle.py`` measures it).
    """
    controller = _blas_controller()
    if controller is None:
        yield
        return
    with controller.limit(limits=1, user_api="blas"):
        yield


SMALL_PRODUCT = 4_000_000
"""Multiply-adds below which one product of a step runs faster on one BLAS thread than on
several (measured with ``benchmarks/speed.py``'s practical workloads: the (200, 100) @ (100,
100) products of a minibatch step lose to the threads' wake-ups)."""


def blas_threads(rows: int, sizes: tuple[int, int, int]) -> AbstractContextManager[None]:
    """The BLAS threads of a run whose steps multiply ``rows`` samples by a network of
    ``sizes`` (D_in, H, D_out): one thread when its largest product, ``rows D_in H``
    multiply-adds, is small (:data:`SMALL_PRODUCT`), else BLAS's own choice."""
    d_in, hidden, d_out = sizes
    if rows * max(d_in, d_out) * hidden < SMALL_PRODUCT:
        return one_blas_thread()
    return nullcontext()


def _blas_controller() -> Any:
    """threadpoolctl's controller of the BLAS libraries loaded, made once; None without it."""
    return _THREADS.blas()


__all__ = [
    "MAX_LANES",
    "SMALL_PRODUCT",
    "blas_threads",
    "lane_count",
    "one_blas_thread",
    "run_lanes",
]
