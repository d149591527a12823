"""Seconds per full-batch iteration: NumPy on one process against the Dask backend.

The data are a tall random regression problem, (N, D_in) -> (N, D_out), generated chunk by
chunk from a seed, so NumPy (all chunks concatenated in this process) and Dask (each chunk
generated and kept on a worker of a ``LocalCluster``) train on the same numbers.  For every
worker count the Dask run uses ``threads_per_worker=1``, so W workers use W cores (Dask gives
each worker one BLAS thread); NumPy runs with all its BLAS threads and with one, and the Dask
times are compared with the faster of the two.

Each measurement is the median of the per-iteration times after ``--warmup`` iterations, taken
from the history's ``elapsed`` column; the losses of both are compared at every iteration.

    python benchmarks/dask_scaling.py                     # 2,000,000 x 100 -> 100 -> 10
    python benchmarks/dask_scaling.py --n 200000 --hidden 64 --workers 1 2 --iterations 6

Prints a Markdown table (and, with ``--json FILE``, writes the numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from typing import Any

import numpy as np


def chunk(seed: int, k: int, rows: int, d_in: int, d_out: int) -> tuple[Any, Any]:
    """Chunk ``k`` of the dataset: standard-normal inputs and noisy linear targets."""
    rng = np.random.default_rng([seed, k])
    x = rng.standard_normal((rows, d_in))
    w = np.random.default_rng([seed, 10**6]).standard_normal((d_in, d_out)) / np.sqrt(d_in)
    return x, x @ w + 0.1 * rng.standard_normal((rows, d_out))


def chunk_rows(n: int, n_chunks: int) -> list[int]:
    """Rows of each of ``n_chunks`` chunks, as equal as possible."""
    return [n // n_chunks + (k < n % n_chunks) for k in range(n_chunks)]


def seconds_per_iteration(history: list[Any], warmup: int) -> float:
    """Median time of the iterations after the first ``warmup``."""
    ends = [r.elapsed for r in history]
    steps = [b - a for a, b in zip(ends[warmup:], ends[warmup + 1 :], strict=False)]
    return statistics.median(steps)


def run_numpy(
    args: argparse.Namespace, config: Any, blas_threads: int | None
) -> tuple[float, list[float]]:
    """NumPy on the whole dataset; ``blas_threads`` limits its BLAS (None: as configured)."""
    import contextlib

    from twolayer import train

    rows = chunk_rows(args.n, args.chunks)
    blocks = [chunk(args.seed, k, r, args.d_in, args.d_out) for k, r in enumerate(rows)]
    x = np.concatenate([b[0] for b in blocks])
    y = np.concatenate([b[1] for b in blocks])
    del blocks
    with contextlib.ExitStack() as stack:
        if blas_threads is not None:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=blas_threads, user_api="blas"))
        result = train(x, y, config)
    return seconds_per_iteration(result.history, args.warmup), [r.loss for r in result.history]


def run_dask(args: argparse.Namespace, config: Any, workers: int) -> tuple[float, list[float]]:
    import dask
    import dask.array as da

    from twolayer import train
    from twolayer.engines.dask import cluster

    rows = chunk_rows(args.n, args.chunks)
    with cluster(n_workers=workers, threads_per_worker=1, memory_limit=0):
        parts = [
            dask.delayed(chunk, pure=True)(args.seed, k, r, args.d_in, args.d_out)
            for k, r in enumerate(rows)
        ]
        xs = [
            da.from_delayed(p[0], (r, args.d_in), float) for p, r in zip(parts, rows, strict=True)
        ]
        ys = [
            da.from_delayed(p[1], (r, args.d_out), float) for p, r in zip(parts, rows, strict=True)
        ]
        x, y = dask.persist(da.concatenate(xs), da.concatenate(ys))  # generated on the workers
        result = train(x, y, config)
    return seconds_per_iteration(result.history, args.warmup), [r.loss for r in result.history]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2_000_000, help="samples N")
    parser.add_argument("--d-in", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--d-out", type=int, default=10)
    parser.add_argument("--chunks", type=int, default=8, help="chunks along samples")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=1, help="iterations left out of the timing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--numpy-blas-threads",
        type=int,
        nargs="+",
        default=[0, 1],
        help="NumPy runs with these BLAS thread limits (0: no limit); dask is compared to the "
        "fastest (on a busy machine OpenBLAS threads that spin-wait can slow NumPy tenfold)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results here")
    args = parser.parse_args()

    from twolayer import TrainConfig

    config = TrainConfig(
        iterations=args.iterations, lr=0.01, hidden=args.hidden, loss="half_mse", init="he",
        track="loss", seed=args.seed,
    )  # fmt: skip
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for threads in args.numpy_blas_threads:
        limit = None if threads == 0 else threads
        seconds, numpy_losses = run_numpy(args, config, limit)
        label = "all" if limit is None else str(limit)
        rows.append({"backend": f"numpy, BLAS threads: {label}", "workers": "-",
                     "s_per_iter": seconds})  # fmt: skip
    numpy_s = min(row["s_per_iter"] for row in rows)  # the dask runs are compared to the best
    for workers in args.workers:
        dask_s, losses = run_dask(args, config, workers)
        error = max(abs(a - b) / abs(b) for a, b in zip(losses, numpy_losses, strict=True))
        rows.append({"backend": "dask", "workers": workers, "s_per_iter": dask_s,
                     "ratio": dask_s / numpy_s, "max_rel_loss_diff": error})  # fmt: skip
    size = f"N={args.n:,}, {args.d_in} -> {args.hidden} -> {args.d_out}, {args.chunks} chunks"
    print(f"{size}; {os.cpu_count()} cores; {platform.processor() or platform.machine()}")
    print("| backend | workers | s / iteration | x best NumPy | max rel. loss diff |")
    print("|---|---|---|---|---|")
    for row in rows:
        ratio = f"{row['ratio']:.2f}" if "ratio" in row else f"{row['s_per_iter'] / numpy_s:.2f}"
        diff = f"{row['max_rel_loss_diff']:.1e}" if "max_rel_loss_diff" in row else "-"
        cells = [row["backend"], row["workers"], f"{row['s_per_iter']:.4f}", ratio, diff]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    print(f"total {time.perf_counter() - start:.0f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"size": size, "cores": os.cpu_count(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
