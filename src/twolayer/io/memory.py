"""How much memory a problem needs, checked before anything of it is allocated.

A size that cannot fit (``hidden=10**9``, ``n=10**12``) would otherwise make NumPy ask the
system for terabytes, and fail late with a ``MemoryError`` or get the process killed.  The
command line, the library's entry points and the data sources estimate the bytes first
(:func:`network_bytes`) and refuse what exceeds this machine's memory (:func:`check_fits`) with
one :class:`~twolayer.errors.ConfigError` that names the sizes.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Mapping

from twolayer.errors import ConfigError

CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
"""Where Linux states the memory limit of the process's control group (v2, then v1)."""


@functools.cache
def available_bytes() -> int | None:
    """The memory this process may use: the machine's physical memory, or its control group's
    limit when that is lower; None where neither can be found."""
    limits: list[int] = []
    with contextlib.suppress(AttributeError, OSError, ValueError):  # not a POSIX system
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    for path in CGROUP_LIMITS:
        try:
            with open(path, encoding="ascii") as f:
                text = f.read(64).strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit():  # "max" means no limit
            limits.append(int(text))
    positive = [n for n in limits if n > 0]
    return min(positive) if positive else None


def network_bytes(n: int, d_in: int, hidden: int, d_out: int, *, itemsize: int = 8) -> int:
    """About the bytes training a network of these sizes needs: the data ``x`` and ``y``; the
    weights and biases, their gradients and up to two optimizer buffers; the hidden layer's
    pre-activations, activations and their gradient, and the outputs and theirs."""
    weights = hidden * (d_in + d_out + 1) + d_out
    values = n * (d_in + d_out) + 4 * weights + 3 * n * hidden + 2 * n * d_out
    return itemsize * values


def check_fits(nbytes: int, sizes: Mapping[str, int]) -> None:
    """Raise a ConfigError naming ``sizes`` (what was asked for, each under the name the caller
    knows it by: an option such as ``--hidden``, named ``--hidden 100``, or a parameter such as
    ``hidden``, named ``hidden=100``) when ``nbytes`` exceed the memory this process may use."""
    limit = available_bytes()
    if limit is not None and nbytes > limit:
        what = ", ".join(f"{k} {v}" if k.startswith("-") else f"{k}={v}" for k, v in sizes.items())
        raise ConfigError(
            f"{what}: needs about {format_bytes(nbytes)} of memory, more than the "
            f"{format_bytes(limit)} this machine has"
        )


def check_network(sizes: Mapping[str, int], *, itemsize: int = 8) -> None:
    """:func:`check_fits` for training on ``sizes``: four entries, the sample count (or the
    batch's), D_in, H and D_out, in that order (:func:`network_bytes`)."""
    n, d_in, hidden, d_out = sizes.values()
    check_fits(network_bytes(n, d_in, hidden, d_out, itemsize=itemsize), sizes)


def format_bytes(nbytes: int) -> str:
    """``1.5 GiB``: a byte count in binary units, as people read them."""
    value = float(nbytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{nbytes} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["available_bytes", "check_fits", "check_network", "format_bytes", "network_bytes"]
