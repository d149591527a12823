"""Check the PyTorch and CuPy backends against NumPy on a GPU, then time them.

One script for a machine with an NVIDIA GPU (written for the H200; docs/backends.md says how to
run it there).  It runs from a checkout (``PYTHONPATH=src``) with the machine's own NumPy,
PyTorch and CuPy, and ``array-api-compat`` carried along as a wheel.  Sections:

``check``  the seed's experiment (``docs/seed/000_a9de79f32e810abc.txt``, 500 iterations,
           float64) on each backend through :func:`twolayer.train.train`, plus a short Adam
           run with biases: losses against NumPy's at every iteration (target 1e-9 relative).
``seed``   the seed's workload, 500 iterations, float64 and float32, in several forms:
           the library's loop eagerly (PyTorch, CuPy); the same forward/backward/update
           functions unrolled and replayed as one CUDA graph (direct form); the dual form
           (``w1 = w1_0 + x.T @ P``: with N = 64 < D_in = 1000 every product is small) as one
           CUDA graph; and the dual form as one fused CuPy kernel for all 500 iterations
           (cooperative launch, one grid-wide barrier per iteration).  Every form's losses
           are compared with NumPy's (float64: 1e-9).  Target: <= 10 ms in float64.
``peak``   the card's matrix-multiply rate for each type (8192^3 products, median of 10).
``wide``   N=16384, D_in=8192, H=4096, D_out=1024, 20 iterations of forward, backward and
           update in float64, float32, TF32 and bfloat16 (eager, CUDA graph, and
           ``torch.compile``), as a share of that peak.  Target: >= 90% in every type.

``--cpu-smoke`` runs every code path on PyTorch's CPU with tiny sizes (the CUDA graph is then
the plain function, the fused kernel its NumPy model): ``tests/test_backend.py`` runs it.

    PYTHONPATH=src python3 benchmarks/gpu_check.py --json gpu.json      # on the GPU machine
    PYTHONPATH=src python benchmarks/gpu_check.py --cpu-smoke           # anywhere with torch

Prints a Markdown table at the end; exits 1 when a check fails or a section breaks.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twolayer import Params, SeedProblem, TrainConfig, backward, forward, seed_draws, train
from twolayer.backend import get_backend, to_numpy
from twolayer.nn.activations import relu, relu_backward
from twolayer.nn.losses import sse
from twolayer.nn.optim import gd_step

SEED_TOL = {"float64": 1e-9, "float32": 1e-3}  # relative, on the losses (see seed_losses_ok)
FLOAT32_CHECKED = 50  # float32 losses are compared over the first iterations only


@dataclass(frozen=True)
class Sizes:
    """Problem sizes of one mode (the real ones, or the smoke test's tiny ones)."""

    seed: SeedProblem
    wide: tuple[int, int, int, int]  # N, D_in, H, D_out
    wide_iterations: int
    peak: int  # side of the square products that measure the peak
    repeats: int  # timed repetitions (median taken)
    units: tuple[int, ...]  # hidden units per block tried by the fused kernel


REAL = Sizes(SeedProblem(), (16384, 8192, 4096, 1024), 20, 8192, 10, (4, 10, 20))
SMOKE = Sizes(SeedProblem(8, 20, 6, 3, 1e-4, 5), (32, 64, 32, 8), 2, 64, 2, (2, 4))


class Report:
    """Rows of results and the failures met on the way."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.failures: list[str] = []

    def add(self, **row: Any) -> None:
        self.rows.append(row)
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in row.items())
        print(shown, flush=True)

    def guard(self, what: str, fn: Callable[[], None]) -> None:
        """Run one part; record an exception as a failure instead of stopping."""
        try:
            fn()
        except Exception as exc:
            traceback.print_exc()
            self.failures.append(f"{what}: {type(exc).__name__}: {exc}")


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


# --- devices and timing ----------------------------------------------------------------------


class Device:
    """Where the torch work runs, with a timer that synchronizes it properly."""

    def __init__(self, name: str) -> None:
        import torch

        self.torch = torch
        self.name = name
        self.cuda = name == "cuda"

    def sync(self) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()

    def time_ms(self, fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
        """Median milliseconds of ``fn()`` over ``repeats`` calls after ``warmup`` calls."""
        for _ in range(warmup):
            fn()
        self.sync()
        times = []
        for _ in range(repeats):
            if self.cuda:
                start = self.torch.cuda.Event(enable_timing=True)
                end = self.torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)

    def graphed(self, fn: Callable[..., Any], *inputs: Any) -> Callable[[], Any]:
        """``fn(*inputs)`` captured as one CUDA graph; each call replays it and returns its
        (static) outputs.  On the CPU the plain call stands in for the graph."""
        if not self.cuda:
            return lambda: fn(*inputs)
        torch = self.torch
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            fn(*inputs)  # warm up outside the capture (libraries create their handles here)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            out = fn(*inputs)

        def replay() -> Any:
            graph.replay()
            return out

        return replay


def max_rel_err(got: Sequence[float], want: Sequence[float]) -> float:
    """Largest relative difference between two loss sequences (inf if lengths differ or NaN)."""
    if len(got) != len(want):
        return math.inf
    errs = [abs(a - b) / abs(b) if b else abs(a) for a, b in zip(got, want, strict=True)]
    worst = max(errs, default=0.0)
    return worst if math.isfinite(worst) else math.inf


def seed_losses_ok(got: Sequence[float], want: Sequence[float], dtype: str) -> bool:
    """float64: every loss within 1e-9 of NumPy's float64 run.  float32: the first 50 within
    1e-3, and all finite; later ones are not compared, since the seed's loss falls from 2e7 to
    1e-5 and float32 cannot resolve the end of that descent."""
    if dtype == "float64":
        return max_rel_err(got, want) <= SEED_TOL[dtype]
    head = FLOAT32_CHECKED
    return bool(
        len(got) == len(want)
        and all(math.isfinite(v) for v in got)
        and max_rel_err(got[:head], want[:head]) <= SEED_TOL[dtype]
    )


# --- the seed's workload in several forms ----------------------------------------------------


def direct_step(x: Any, y: Any, w1: Any, w2: Any, lr: float) -> tuple[Any, Any, Any]:
    """One iteration of the seed's loop with the library's forward, loss, backward and update:
    ``(w1, w2, loss)`` after it (the loss is that of the weights before it)."""
    params = Params(w1, w2)
    y_pred, cache = forward(params, x)  # (N, D_out)
    loss, grad = sse(y_pred, y)
    grads = backward(params, cache, grad)
    new = params.map(lambda w, g: gd_step(w, g, lr), grads)
    return new.w1, new.w2, loss


def direct_steps(
    x: Any, y: Any, w1: Any, w2: Any, lr: float, iterations: int, step: Any = direct_step
) -> Any:
    """``iterations`` of :func:`direct_step` (or of a compiled ``step``), unrolled.

    Returns ``(losses (T,), w1, w2)``; no value leaves the device, so it can be captured.
    """
    losses = []
    for _ in range(iterations):
        w1, w2, loss = step(x, y, w1, w2, lr)
        losses.append(loss)
    return _stack(losses), w1, w2


def dual_steps(x: Any, y: Any, w1: Any, w2: Any, lr: float, iterations: int) -> Any:
    """The same iterations in dual form: ``w1 = w1_0 + x.T @ P`` with P (N, H) starting at 0.

    Since ``grad_w1 = x.T @ grad_h``, gradient descent on w1 is ``P <- P - lr grad_h`` and
    ``h = x @ w1 = h0 + K @ P`` with ``K = x @ x.T`` (N, N): for N < D_in every product is
    smaller than the direct form's.  Same activations, loss and update functions as the library.
    """
    k = x @ x.T  # (N, D_in) @ (D_in, N) -> (N, N)
    h0 = x @ w1  # (N, H)
    p = h0 * 0.0  # (N, H) dual variables
    losses = []
    for _ in range(iterations):
        h = h0 + k @ p  # (N, N) @ (N, H) -> (N, H)
        a = relu(h)
        y_pred = a @ w2  # (N, H) @ (H, D_out) -> (N, D_out)
        loss, grad = sse(y_pred, y)
        grad_w2 = a.T @ grad  # (H, D_out)
        grad_h = relu_backward(h, a, grad @ w2.T)  # (N, H)
        p, w2 = gd_step(p, grad_h, lr), gd_step(w2, grad_w2, lr)
        losses.append(loss)
    return _stack(losses), w1 + x.T @ p, w2


def _stack(losses: list[Any]) -> Any:
    first = losses[0] if losses else None
    if first is None or isinstance(first, np.ndarray | np.generic | float):
        return np.asarray(losses, dtype=np.float64)
    import torch

    return torch.stack(losses) if isinstance(first, torch.Tensor) else first.__class__(losses)


FUSED_SOURCE = r"""
#include <cooperative_groups.h>
namespace cg = cooperative_groups;
typedef REAL_T real_t;

// The seed's iterations in dual form, all T of them in one cooperative launch.  Block b owns
// hidden units j0 = b*U .. j0+u-1: their columns of P and h, their rows of w2.  Per iteration:
// h = h0 + K @ P and a = relu(h) for its units; its share a @ w2 of y_pred into `partial`;
// one grid-wide barrier; every block adds the shares in block order (so all agree exactly),
// forms the loss and grad = 2 (y_pred - y), then updates its P columns and w2 rows.
extern "C" __global__ void __launch_bounds__(256)
seed_dual(const real_t* __restrict__ kt,    // (N, N): K transposed, kt[k*N + n] = K[n, k]
          const real_t* __restrict__ h0,    // (N, H): x @ w1 at the start
          const real_t* __restrict__ y,     // (N, D)
          real_t* __restrict__ w2,          // (H, D), updated in place
          real_t* __restrict__ p,           // (N, H), updated in place
          real_t* __restrict__ partial,     // (2, B, N, D) shares of y_pred, by parity of t
          real_t* __restrict__ losses,      // (T,)
          const real_t lr, const int T, const int N, const int H, const int D, const int U)
{
    cg::grid_group grid = cg::this_grid();
    extern __shared__ __align__(16) unsigned char smem[];
    real_t* s_kt = reinterpret_cast<real_t*>(smem);  // N*N
    real_t* s_p = s_kt + N * N;                      // U*N, unit-major: s_p[j*N + n]
    real_t* s_h = s_p + U * N;                       // U*N
    real_t* s_a = s_h + U * N;                       // U*N
    real_t* s_w2 = s_a + U * N;                      // U*D
    real_t* s_g = s_w2 + U * D;                      // N*D: grad of the loss wrt y_pred
    real_t* s_red = s_g + N * D;                     // blockDim.x
    const int B = gridDim.x, b = blockIdx.x, tid = threadIdx.x, nt = blockDim.x;
    const int j0 = b * U;
    const int u = min(U, H - j0);
    for (int i = tid; i < N * N; i += nt) s_kt[i] = kt[i];
    for (int i = tid; i < u * N; i += nt) {
        const int j = i / N, n = i - j * N;
        s_p[i] = p[n * H + j0 + j];
    }
    for (int i = tid; i < u * D; i += nt) s_w2[i] = w2[j0 * D + i];
    __syncthreads();
    for (int t = 0; t < T; ++t) {
        real_t* mine = partial + ((size_t)(t & 1) * B + b) * N * D;
        const real_t* all = partial + (size_t)(t & 1) * B * N * D;
        for (int i = tid; i < u * N; i += nt) {  // h = h0 + K @ P; a = relu(h)
            const int j = i / N, n = i - j * N;
            real_t acc = 0;
            for (int k = 0; k < N; ++k) acc += s_kt[k * N + n] * s_p[j * N + k];
            const real_t h = h0[n * H + j0 + j] + acc;
            s_h[i] = h;
            s_a[i] = h < 0 ? (real_t)0 : h;
        }
        __syncthreads();
        for (int i = tid; i < N * D; i += nt) {  // this block's share of a @ w2
            const int n = i / D, o = i - n * D;
            real_t acc = 0;
            for (int j = 0; j < u; ++j) acc += s_a[j * N + n] * s_w2[j * D + o];
            __stcg(mine + i, acc);
        }
        grid.sync();
        real_t sq = 0;
        for (int i = tid; i < N * D; i += nt) {  // y_pred, the loss and its gradient
            real_t acc = 0;
            for (int c = 0; c < B; ++c) acc += __ldcg(all + (size_t)c * N * D + i);
            const real_t diff = acc - y[i];
            s_g[i] = 2 * diff;
            sq += diff * diff;
        }
        s_red[tid] = sq;
        __syncthreads();
        for (int s = nt / 2; s > 0; s >>= 1) {
            if (tid < s) s_red[tid] += s_red[tid + s];
            __syncthreads();
        }
        if (b == 0 && tid == 0) losses[t] = s_red[0];
        for (int i = tid; i < u * N; i += nt) {  // grad_h (with w2 before its update); P step
            const int j = i / N, n = i - j * N;
            real_t acc = 0;
            for (int o = 0; o < D; ++o) acc += s_g[n * D + o] * s_w2[j * D + o];
            s_p[i] -= lr * (s_h[i] < 0 ? (real_t)0 : acc);
        }
        __syncthreads();
        for (int i = tid; i < u * D; i += nt) {  // grad_w2 = a.T @ grad; w2 step
            const int j = i / D, o = i - j * D;
            real_t acc = 0;
            for (int n = 0; n < N; ++n) acc += s_a[j * N + n] * s_g[n * D + o];
            s_w2[i] -= lr * acc;
        }
        __syncthreads();
    }
    for (int i = tid; i < u * N; i += nt) {
        const int j = i / N, n = i - j * N;
        p[n * H + j0 + j] = s_p[i];
    }
    for (int i = tid; i < u * D; i += nt) w2[j0 * D + i] = s_w2[i];
}
"""
FUSED_THREADS = 256


def fused_shared_bytes(n: int, units: int, d_out: int, itemsize: int) -> int:
    """Dynamic shared memory of one block of the fused kernel."""
    return (n * n + 3 * units * n + units * d_out + n * d_out + FUSED_THREADS) * itemsize


def fused_model(x: Any, y: Any, w1: Any, w2: Any, lr: float, iterations: int, units: int) -> Any:
    """The fused kernel's arithmetic in NumPy, block by block in the kernel's order: checks the
    decomposition on machines without a GPU (the smoke mode)."""
    n, hidden = x.shape[0], w1.shape[1]
    k = x @ x.T
    h0 = x @ w1
    p = np.zeros_like(h0)
    w2 = w2.copy()
    starts = range(0, hidden, units)
    losses = []
    for _ in range(iterations):
        h = h0 + k @ p
        a = np.where(h < 0, 0.0, h)
        y_pred = np.zeros((n, y.shape[1]), dtype=x.dtype)
        for j0 in starts:  # the blocks' shares, added in block order
            y_pred = y_pred + a[:, j0 : j0 + units] @ w2[j0 : j0 + units]
        diff = y_pred - y
        losses.append(float(np.sum(diff * diff)))
        g = 2 * diff
        p = p - lr * np.where(h < 0, 0.0, g @ w2.T)
        w2 = w2 - lr * (a.T @ g)
    return np.asarray(losses), w1 + x.T @ p, w2


def fused_cupy(x: Any, y: Any, w1: Any, w2: Any, lr: float, iterations: int, units: int) -> Any:
    """Run the fused kernel on CuPy arrays; returns ``(losses, w1, w2)`` on the device."""
    import cupy as cp

    dtype = x.dtype
    kernel = _fused_kernel(str(dtype))
    n, hidden = x.shape[0], w1.shape[1]
    d_out = y.shape[1]
    blocks = math.ceil(hidden / units)
    shared = fused_shared_bytes(n, units, d_out, dtype.itemsize)
    if shared > 48 * 1024:
        kernel.max_dynamic_shared_size_bytes = shared
    kt = cp.ascontiguousarray((x @ x.T).T)
    h0 = cp.ascontiguousarray(x @ w1)
    p = cp.zeros_like(h0)
    w2 = w2.copy()
    partial = cp.empty((2, blocks, n, d_out), dtype=dtype)
    losses = cp.empty(iterations, dtype=dtype)
    scalar = np.float64 if dtype == np.float64 else np.float32
    kernel(
        (blocks,), (FUSED_THREADS,),
        (kt, h0, y, w2, p, partial, losses, scalar(lr), np.int32(iterations), np.int32(n),
         np.int32(hidden), np.int32(d_out), np.int32(units)),
        shared_mem=shared,
    )  # fmt: skip
    return losses, w1 + x.T @ p, w2


_KERNELS: dict[str, Any] = {}


def _fused_kernel(dtype: str) -> Any:
    if dtype not in _KERNELS:
        import cupy as cp

        real = {"float64": "double", "float32": "float"}[dtype]
        _KERNELS[dtype] = cp.RawKernel(
            FUSED_SOURCE, "seed_dual", options=("-std=c++17", f"-DREAL_T={real}"),
            enable_cooperative_groups=True,
        )  # fmt: skip
    return _KERNELS[dtype]


# --- sections --------------------------------------------------------------------------------


def numpy_seed(problem: SeedProblem) -> tuple[list[float], Params]:
    x, y, params = seed_draws(0, problem)
    result = train(x, y, problem.config(track="loss"), params)
    return [r.loss for r in result.history], result.params


def check_section(report: Report, dev: Device, sizes: Sizes, cupy_ok: bool) -> None:
    """The library on each backend against NumPy: the seed, and Adam with biases."""
    problem = sizes.seed
    want, _ = numpy_seed(problem)
    x, y, params = seed_draws(0, problem)
    rng = np.random.default_rng(5)
    xa, ya = rng.standard_normal((40, 30)), rng.standard_normal((40, 4))
    adam = TrainConfig(iterations=50, lr=1e-2, hidden=16, optimizer="adam", bias=True, init="he")
    adam_want = [r.loss for r in train(xa, ya, adam).history]
    backends = [("torch", dev.name)] + ([("cupy", "cuda")] if cupy_ok else [])
    for name, device in backends:
        on = get_backend(name, device)

        def run(on: Any = on) -> None:
            got = train(on.data(x), on.data(y), problem.config(track="loss"), on.params(params))
            err = max_rel_err([r.loss for r in got.history], want)
            ok = err <= SEED_TOL["float64"]
            report.add(section="check", backend=f"{on.name}-{on.device}", run="seed",
                       max_rel_loss_err=err, tol=SEED_TOL["float64"], ok=ok)  # fmt: skip
            if not ok:
                report.failures.append(f"check {on.name}: seed losses off by {err:.3g}")
            got = train(on.data(xa), on.data(ya), adam)
            err = max_rel_err([r.loss for r in got.history], adam_want)
            ok = err <= SEED_TOL["float64"]
            report.add(section="check", backend=f"{on.name}-{on.device}", run="adam+bias",
                       max_rel_loss_err=err, tol=SEED_TOL["float64"], ok=ok)  # fmt: skip
            if not ok:
                report.failures.append(f"check {on.name}: adam losses off by {err:.3g}")

        report.guard(f"check {name}", run)


def seed_section(report: Report, dev: Device, sizes: Sizes, cupy_ok: bool) -> None:
    """The seed's 500 iterations in each form, float64 and float32: time and loss error."""
    want, _ = numpy_seed(sizes.seed)
    for dtype in ("float64", "float32"):
        seed_forms(SeedRun(report, dev, sizes, dtype, want), cupy_ok)


@dataclass(frozen=True)
class SeedRun:
    """The seed's workload in one dtype, and where its results go."""

    report: Report
    dev: Device
    sizes: Sizes
    dtype: str
    want: list[float]  # NumPy's float64 losses

    def record(self, variant: str, ms: float, losses: Any) -> None:
        values = [float(v) for v in (losses if isinstance(losses, list) else to_numpy(losses))]
        ok = seed_losses_ok(values, self.want, self.dtype)
        self.report.add(section="seed", variant=variant, dtype=self.dtype, ms=ms,
                        max_rel_loss_err=max_rel_err(values, self.want), ok=ok)  # fmt: skip
        if not ok:
            self.report.failures.append(f"seed {variant} {self.dtype}: losses off")

    def draws(self) -> tuple[Any, Any, Params]:
        x, y, params = seed_draws(0, self.sizes.seed)
        return x.astype(self.dtype), y.astype(self.dtype), params.map(_as(self.dtype))


def seed_forms(run: SeedRun, cupy_ok: bool) -> None:
    """Every form of the seed's workload in ``run.dtype``."""
    for name, device in [("torch", run.dev.name)] + ([("cupy", "cuda")] if cupy_ok else []):
        run.report.guard(
            f"seed {name} eager {run.dtype}", lambda n=name, d=device: seed_eager(run, n, d)
        )
    for variant, fn in (("direct", direct_steps), ("dual", dual_steps)):
        run.report.guard(f"seed graph {variant} {run.dtype}",
                         lambda v=variant, f=fn: seed_graph(run, v, f))  # fmt: skip
    for units in run.sizes.units:
        run.report.guard(f"seed fused {units} {run.dtype}",
                         lambda u=units: seed_fused(run, u, cupy_ok))  # fmt: skip


def seed_eager(run: SeedRun, name: str, device: str) -> None:
    """The library's own loop (``train``), one backend, eagerly."""
    on = get_backend(name, device)
    x, y, params = run.draws()
    config = run.sizes.seed.config(track="loss", dtype=run.dtype)
    args = (on.data(x), on.data(y), config, on.params(params))
    results: list[Any] = []
    ms = dev_for(on, run.dev).time_ms(lambda: results.append(train(*args)), 1)
    run.record(f"{name} library loop, eager", ms, [r.loss for r in results[-1].history])


def seed_graph(run: SeedRun, variant: str, fn: Callable[..., Any]) -> None:
    """All iterations of ``fn`` (direct or dual form) replayed as one CUDA graph."""
    torch = run.dev.torch
    x, y, params = run.draws()
    tx, ty, tw1, tw2 = (torch.asarray(a, device=run.dev.name) for a in (x, y, *params))
    problem = run.sizes.seed
    replay = run.dev.graphed(fn, tx, ty, tw1, tw2, problem.lr, problem.iterations)
    ms = run.dev.time_ms(replay, run.sizes.repeats)
    run.record(f"torch {variant}, one CUDA graph", ms, replay()[0])


def seed_fused(run: SeedRun, units: int, cupy_ok: bool) -> None:
    """The dual form as one fused CuPy kernel (its NumPy model without a GPU)."""
    x, y, params = run.draws()
    problem = run.sizes.seed
    lr, T = problem.lr, problem.iterations
    if not cupy_ok:
        t0 = time.perf_counter()
        losses, _, _ = fused_model(x, y, params.w1, params.w2, lr, T, units)
        ms = (time.perf_counter() - t0) * 1e3
        run.record(f"NumPy model of the fused kernel, {units} units/block", ms, losses)
        return
    import cupy as cp

    cx, cy, c1, c2 = (cp.asarray(a) for a in (x, y, *params))
    out: list[Any] = []
    ms = _cupy_time_ms(lambda: out.append(fused_cupy(cx, cy, c1, c2, lr, T, units)),
                       run.sizes.repeats)  # fmt: skip
    run.record(f"cupy fused dual kernel, {units} units/block", ms, out[-1][0])


def dev_for(on: Any, dev: Device) -> Any:
    """A timer for a backend's work: torch's device, or CuPy's events."""
    if on.name == "cupy":
        return _CupyTimer()
    return dev


class _CupyTimer:
    def time_ms(self, fn: Callable[[], Any], repeats: int) -> float:
        return _cupy_time_ms(fn, repeats)


def _cupy_time_ms(fn: Callable[[], Any], repeats: int) -> float:
    import cupy as cp

    fn()
    cp.cuda.Device().synchronize()
    times = []
    for _ in range(repeats):
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, end))
    return statistics.median(times)


def _as(dtype: str) -> Callable[[Any], Any]:
    return lambda a: a.astype(dtype)


WIDE_TYPES = ("float64", "float32", "tf32", "bfloat16")


def _torch_dtype(torch: Any, kind: str) -> Any:
    return {"float64": torch.float64, "float32": torch.float32, "tf32": torch.float32,
            "bfloat16": torch.bfloat16}[kind]  # fmt: skip


class _Precision:
    """TF32 matrix products on for the ``tf32`` kind, off otherwise (restored after)."""

    def __init__(self, torch: Any, kind: str) -> None:
        self.torch, self.kind = torch, kind

    def __enter__(self) -> None:
        self.saved = self.torch.get_float32_matmul_precision()
        self.torch.set_float32_matmul_precision("high" if self.kind == "tf32" else "highest")

    def __exit__(self, *exc: object) -> None:
        self.torch.set_float32_matmul_precision(self.saved)


def peak_section(report: Report, dev: Device, sizes: Sizes) -> dict[str, float]:
    """The matrix-multiply rate of each type: TFLOP/s of a large square product."""
    torch = dev.torch
    peaks: dict[str, float] = {}
    m = sizes.peak
    for kind in WIDE_TYPES:

        def run(kind: str = kind) -> None:
            dt = _torch_dtype(torch, kind)
            gen = torch.Generator(device=dev.name).manual_seed(0)
            a = torch.randn(m, m, generator=gen, device=dev.name).to(dt)
            b = torch.randn(m, m, generator=gen, device=dev.name).to(dt)
            with _Precision(torch, kind):
                ms = dev.time_ms(lambda: a @ b, sizes.repeats, warmup=3)
            peaks[kind] = 2 * m**3 / (ms * 1e-3) / 1e12
            report.add(section="peak", dtype=kind, shape=f"{m}^3", ms=ms, tflops=peaks[kind])

        report.guard(f"peak {kind}", run)
    return peaks


def wide_flops(n: int, d_in: int, hidden: int, d_out: int) -> float:
    """Multiply-add FLOPs of one iteration: x @ w1, a @ w2, a.T @ g, g @ w2.T, x.T @ grad_h."""
    return 2.0 * n * (2 * d_in * hidden + 3 * hidden * d_out)


def wide_section(
    report: Report, dev: Device, sizes: Sizes, peaks: dict[str, float], compile_too: bool
) -> None:
    """The wide workload's iterations as a share of each type's peak."""
    for kind in WIDE_TYPES:
        wide_forms(report, dev, sizes, kind, peaks.get(kind, math.nan), compile_too)
        if dev.cuda:
            dev.torch.cuda.empty_cache()


def wide_forms(
    report: Report, dev: Device, sizes: Sizes, kind: str, peak: float, compile_too: bool
) -> None:
    """The wide workload in one type: eagerly, as one CUDA graph, and compiled."""
    torch = dev.torch
    n, d_in, hidden, d_out = sizes.wide
    iters, lr = sizes.wide_iterations, 1e-6
    dt = _torch_dtype(torch, kind)
    gen = torch.Generator(device=dev.name).manual_seed(1)

    def normal(rows: int, cols: int, scale: float = 1.0) -> Any:
        return (torch.randn(rows, cols, generator=gen, device=dev.name) * scale).to(dt)

    x, y = normal(n, d_in), normal(n, d_out)
    w1, w2 = normal(d_in, hidden, (2 / d_in) ** 0.5), normal(hidden, d_out, (2 / hidden) ** 0.5)
    forms: dict[str, Callable[[], Callable[[], Any]]] = {
        "library, eager": lambda: lambda: direct_steps(x, y, w1, w2, lr, iters),
        "library, one CUDA graph": lambda: dev.graphed(direct_steps, x, y, w1, w2, lr, iters),
    }
    if compile_too:  # one step compiled (and recompiled for each type), called in a loop
        step = torch.compile(direct_step)
        forms["library, torch.compile"] = lambda: (
            lambda: direct_steps(x, y, w1, w2, lr, iters, step)
        )
    flops = wide_flops(n, d_in, hidden, d_out) * iters
    for form, make in forms.items():

        def run(form: str = form, make: Callable[[], Callable[[], Any]] = make) -> None:
            with _Precision(torch, kind):
                fn = make()
                ms = dev.time_ms(fn, max(1, sizes.repeats // 5), warmup=1)
                losses = to_numpy(fn()[0].float())
            tflops = flops / (ms * 1e-3) / 1e12
            report.add(section="wide", variant=form, dtype=kind, ms_per_iter=ms / iters,
                       tflops=tflops, pct_of_peak=100 * tflops / peak,
                       finite=bool(np.all(np.isfinite(losses))))  # fmt: skip

        report.guard(f"wide {form} {kind}", run)


# --- entry point -----------------------------------------------------------------------------


def environment(dev: Device, cupy_ok: bool) -> dict[str, Any]:
    torch = dev.torch
    env: dict[str, Any] = {"python": platform.python_version(), "numpy": np.__version__,
                           "torch": torch.__version__, "device": dev.name}  # fmt: skip
    if dev.cuda:
        props = torch.cuda.get_device_properties(0)
        env.update(gpu=props.name, sms=props.multi_processor_count,
                   memory_gib=round(props.total_memory / 2**30, 1),
                   capability=f"{props.major}.{props.minor}", cuda=torch.version.cuda)  # fmt: skip
    if cupy_ok:
        import cupy as cp

        env["cupy"] = cp.__version__
    return env


def markdown(report: Report) -> str:
    """The rows as Markdown tables, one per section."""
    lines: list[str] = []
    for section in ("check", "seed", "peak", "wide"):
        rows = [r for r in report.rows if r["section"] == section]
        if not rows:
            continue
        keys = [k for k in rows[0] if k != "section"]
        lines += [f"**{section}**", "", "| " + " | ".join(keys) + " |",
                  "|" + "---|" * len(keys)]  # fmt: skip
        lines += ["| " + " | ".join(_fmt(r.get(k)) for k in keys) + " |" for r in rows]
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny sizes on torch's CPU")
    parser.add_argument("--json", metavar="FILE", help="write the report here")
    parser.add_argument("--markdown", metavar="FILE", help="write the tables here")
    parser.add_argument("--sections", nargs="+", default=["check", "seed", "peak", "wide"],
                        choices=["check", "seed", "peak", "wide"])  # fmt: skip
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (wide)")
    args = parser.parse_args(argv)

    import torch

    smoke = args.cpu_smoke
    if not smoke and not torch.cuda.is_available():
        parser.error("no CUDA GPU: run with --cpu-smoke to exercise the code paths on the CPU")
    dev = Device("cpu" if smoke else "cuda")
    sizes = SMOKE if smoke else REAL
    cupy_ok = False
    if not smoke:
        try:
            import cupy  # noqa: F401

            cupy_ok = True
        except ImportError:
            print("CuPy is not installed: its checks are skipped", file=sys.stderr)
    report = Report()
    env = environment(dev, cupy_ok)
    print(json.dumps(env), flush=True)
    start = time.perf_counter()

    def save() -> dict[str, Any]:
        """Write what is known so far (a run stopped at its time limit keeps its results)."""
        result = {"environment": env, "seconds": time.perf_counter() - start,
                  "rows": report.rows, "failures": report.failures}  # fmt: skip
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1, default=str), "utf-8")
        if args.markdown:
            Path(args.markdown).write_text(markdown(report), encoding="utf-8")
        return result

    peaks: dict[str, float] = {}
    if "check" in args.sections:
        check_section(report, dev, sizes, cupy_ok)
        save()
    if "seed" in args.sections:
        seed_section(report, dev, sizes, cupy_ok)
        save()
    if "peak" in args.sections or "wide" in args.sections:
        peaks = peak_section(report, dev, sizes)
        save()
    if "wide" in args.sections:
        wide_section(report, dev, sizes, peaks, compile_too=not (smoke or args.no_compile))
    result = save()
    print(markdown(report))
    print(f"{len(report.failures)} failures; {result['seconds']:.0f} s", flush=True)
    for failure in report.failures:
        print("FAILED:", failure)
    return result


if __name__ == "__main__":
    sys.exit(1 if main()["failures"] else 0)
