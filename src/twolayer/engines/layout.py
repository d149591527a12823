"""Memory layouts of the in-place engine's arrays: row-major ("C") or column-major ("F").

Only the speed depends on them, never a line of the math: NumPy hands BLAS the transposed
problem when an array is column-major, and element-wise lines do not care.  Which layout a run
takes is :func:`choose_layout`'s rule; ``benchmarks/layouts.py`` times the layouts side by side
on the benchmark's workloads and writes its table into ``docs/benchmarks.md``.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[Any]
Order = Literal["C", "F"]
"""A memory order: row-major ("C") or column-major ("F")."""


class Layout(NamedTuple):
    """The memory orders of a workspace's arrays."""

    weights: Order
    """w1 (D_in, H), and with it its gradient, velocity and scratch."""
    hidden: Order
    """The (n, H) buffers: ``h``, ``keep``, ``mask``, ``grad_h``."""


ROW_MAJOR = Layout("C", "C")


def choose_layout(dtype: np.dtype[Any], rows: int | None, fused: bool) -> Layout:
    """The layout of a run: row-major without blocks (the seed's arrays, so that its run stays
    bit for bit the seed's); else column-major w1 (``x.T @ grad_h`` is then taken as
    ``grad_h.T @ x``, the faster product) and, for fused float64 blocks, column-major hidden
    buffers (``x @ w1`` into them is faster on a core; float32 gains nothing from them, and
    unfused blocks, rows of one (N, H) array, would be strided)."""
    if rows is None:
        return ROW_MAJOR
    return Layout("F", "F" if fused and dtype == np.float64 else "C")


def first_rows(a: NDArray[Any], rows: int) -> NDArray[Any]:
    """The first ``rows`` rows' worth of the contiguous (n, k) buffer ``a``: a contiguous
    (rows, k) view in ``a``'s memory order (``a[:rows]`` when ``a`` is row-major; a column-major
    ``a[:rows]`` would be strided, which costs NumPy a temporary copy in element-wise lines)."""
    order = order_of(a)
    k = a.shape[1]
    return a.reshape(-1, order=order)[: rows * k].reshape((rows, k), order=order)


def order_of(a: NDArray[Any]) -> Order:
    """The memory order of the contiguous array ``a`` ("C" when it is both, as 1-D arrays are)."""
    return "C" if a.flags.c_contiguous else "F"


def copy_in_order(a: FloatArray, order: Order, band: int = 64) -> FloatArray:
    """A copy of the 2-D ``a`` in memory order ``order``.  From one order into the other it
    copies ``band`` rows at a time, several times faster than one copy striding through the
    whole array (``benchmarks/layouts.py`` times both)."""
    out = np.empty_like(a, order=order)
    for start in range(0, len(a), band):
        out[start : start + band] = a[start : start + band]
    return out


__all__ = [
    "ROW_MAJOR",
    "Layout",
    "Order",
    "choose_layout",
    "copy_in_order",
    "first_rows",
    "order_of",
]
