"""Where the time of one step goes: the estimators' minibatch step and the seed's iteration.

Two tables, each timed in the engine's own loop (never a line alone out of its sequence, where
the caches and BLAS's threads would be in another state):

* **A minibatch step** of the estimators' recipe on the practical section's *classify* workload
  (``benchmarks/practical.py``: 50,000 x 100 -> 100 -> 10, 100 ReLU units with biases, Adam,
  softmax cross-entropy, alpha 1e-4, batches of 200, shuffled).  The buffered engine runs its
  epochs; each twin it calls (the gather, ``forward_into``, ``loss_into``, ``backward_into``,
  ``add_penalty_into``, ``adam_into``) is wrapped in a timer, and what is left of the step is
  the loop's own Python.  Then the five matrix products of a step alone, over the engine's own
  buffers.  Once with BLAS held to one thread (the engine's choice for these shapes,
  ``engines.lanes.blas_threads``) and once with BLAS's own threads.
* **An iteration of the seed's run** (the in-place engine, bit for bit the seed's loop): its
  forward and backward pass and its update, and the seed's loop itself
  (``examples/classic.py``), with BLAS's own threads and with one.

    python benchmarks/step_costs.py                  # prints its tables
    python benchmarks/step_costs.py --write          # and writes its section of docs/benchmarks.md
    python benchmarks/step_costs.py --rounds 3 --markdown FILE
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

import report
from runs import example_seed_loop
from twolayer.config import TrainConfig
from twolayer.engines import buffered
from twolayer.engines.inplace import Workspace
from twolayer.engines.lanes import blas_threads
from twolayer.nn.model import init_params
from twolayer.nn.optim import make_optimizer
from twolayer.state import TrainState
from workloads import WORKLOADS, make_problem

SECTION = "step-costs"
TWINS = {
    "gather the batch": None,  # BufferedEngine.batch
    "forward: two products, bias, ReLU": "forward_into",
    "loss: softmax cross-entropy": "loss_into",
    "backward: three products, ReLU, bias sums": "backward_into",
    "L2 penalty": "add_penalty_into",
    "Adam's update": "adam_into",
}
"""The parts of a minibatch step: a name, and the twin of ``engines.buffered`` it times."""
SETTINGS = ("one BLAS thread", "BLAS's own threads")
APART = "the same two passes over arrays of w1's size that no product reads"
ROWS = 50_000
"""Samples of the classify data (the practical section's)."""
SEED_ITERATIONS = 300
"""Iterations of the seed's run timed per round and setting."""


@contextmanager
def blas(setting: str) -> Iterator[None]:
    """BLAS held to one thread, or left to its own threads (threadpoolctl: ``twolayer[bench]``)."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    if setting == SETTINGS[0]:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    else:
        yield


def classify_engine(seed: int = 0) -> buffered.BufferedEngine:
    """The buffered engine on the practical *classify* data, with the estimators' recipe."""
    rng = np.random.default_rng(21)  # the data of benchmarks/practical.py
    x = rng.standard_normal((ROWS, 100))
    y = np.eye(10)[(x @ rng.standard_normal((100, 10))).argmax(axis=1)]
    config = TrainConfig(hidden=100, bias=True, init="uniform", loss="cross_entropy", alpha=1e-4,
                         optimizer="adam", lr=1e-3, batch_size=200, shuffle=True, track="loss",
                         seed=seed)  # fmt: skip
    params = init_params(np.random.default_rng(seed), 100, 100, 10, init="uniform", bias=True)
    state = TrainState(params, make_optimizer("adam").init(params))
    return buffered.BufferedEngine(config, x, y, state)


class Timers:
    """Seconds spent in each wrapped function, summed."""

    def __init__(self) -> None:
        self.spent: Counter[str] = Counter()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[name] += time.perf_counter() - start

        return timed


@contextmanager
def timed_twins(timers: Timers) -> Iterator[None]:
    """The buffered engine's twins (and its gather) wrapped in ``timers`` inside."""
    saved = {attr: getattr(buffered, attr) for attr in TWINS.values() if attr}
    batch = buffered.BufferedEngine.batch
    try:
        for name, attr in TWINS.items():
            if attr:
                setattr(buffered, attr, timers.wrap(name, saved[attr]))
        buffered.BufferedEngine.batch = timers.wrap("gather the batch", batch)  # type: ignore[method-assign]
        yield
    finally:
        for attr, fn in saved.items():
            setattr(buffered, attr, fn)
        buffered.BufferedEngine.batch = batch  # type: ignore[method-assign]


def products(engine: buffered.BufferedEngine, steps: int) -> float:
    """Seconds per step of the five products of a step alone, over the engine's buffers."""
    buf, p, g = engine.full, engine.params_.views, engine.grads.views
    x, hidden = buf.x if buf.x is not None else engine.x[: buf.hidden.h.shape[0]], buf.hidden
    start = time.perf_counter()
    for _ in range(steps):
        np.matmul(x, p.w1, out=hidden.h)
        np.matmul(hidden.a, p.w2, out=hidden.y_pred)
        np.matmul(hidden.a.T, hidden.diff, out=g.w2)
        np.matmul(hidden.diff, p.w2.T, out=hidden.grad_h)
        np.matmul(x.T, hidden.grad_h, out=g.w1)
    return (time.perf_counter() - start) / steps


def minibatch_step(rounds: int, epochs: int = 2) -> dict[str, dict[str, float]]:
    """Microseconds per step of each part, per BLAS setting (medians over ``rounds``)."""
    engine = classify_engine()
    steps = epochs * len(engine.bounds)
    found: dict[str, dict[str, list[float]]] = {s: {} for s in SETTINGS}
    with np.errstate():  # the ufuncs' buffer as in a run (engine.running() would also hold
        np.setbufsize(buffered.UFUNC_BUFFER)  # BLAS to one thread: set below instead)
        engine.epoch(1e-3, lambda loss: None)  # warm-up
        for r in range(rounds):
            for setting in SETTINGS if r % 2 == 0 else SETTINGS[::-1]:
                timers = Timers()
                with blas(setting), timed_twins(timers):
                    start = time.perf_counter()
                    for _ in range(epochs):
                        engine.epoch(1e-3, lambda loss: None)
                    whole = time.perf_counter() - start
                with blas(setting):
                    alone = products(engine, steps)
                parts = {name: timers.spent[name] / steps for name in TWINS}
                parts["the loop's own Python"] = whole / steps - sum(parts.values())
                parts["whole step"] = whole / steps
                parts["the five products alone"] = alone
                for name, seconds in parts.items():
                    found[setting].setdefault(name, []).append(seconds * 1e6)
    return {s: {k: statistics.median(v) for k, v in found[s].items()} for s in SETTINGS}


def seed_iteration(rounds: int) -> dict[str, dict[str, float]]:
    """Microseconds per iteration of the seed's run and loop, per BLAS setting, and whether
    the run's losses equal the loop's (under the same setting)."""
    iterations = SEED_ITERATIONS
    workload = WORKLOADS["seed"]
    problem = make_problem(workload)
    seed_loop = example_seed_loop()
    found: dict[str, dict[str, list[float]]] = {s: {} for s in SETTINGS}
    same: dict[str, bool] = {}
    for r in range(rounds):
        for setting in SETTINGS if r % 2 == 0 else SETTINGS[::-1]:
            with blas(setting):
                ws = Workspace(problem.x, problem.y, problem.params, keep_grads=False)
                spent, losses = Counter[str](), []
                # Arrays of w1's size that no product reads: the update's two passes over them
                # tell the cost of writing memory another core has read from the rest.
                apart, step = problem.params.w1.copy(), np.empty_like(problem.params.w1)
                for _ in range(iterations):
                    start = time.perf_counter()
                    losses.append(ws.forward_backward())
                    middle = time.perf_counter()
                    ws.update(workload.lr)
                    spent["forward and backward"] += middle - start
                    spent["update of w1 and w2"] += time.perf_counter() - middle
                for _ in range(iterations):  # then as many with those passes before the update
                    ws.forward_backward()
                    start = time.perf_counter()
                    np.multiply(ws.grads.w1, workload.lr, out=step)
                    np.subtract(apart, step, out=apart)
                    spent[APART] += time.perf_counter() - start
                    ws.update(workload.lr)
                w1, w2 = problem.params.w1.copy(), problem.params.w2.copy()
                start = time.perf_counter()
                reference = seed_loop(problem.x, problem.y, w1, w2, workload.lr, iterations, None)
                spent["the seed's loop, whole iteration"] = time.perf_counter() - start
            spent["twolayer direct, whole iteration"] = (
                spent["forward and backward"] + spent["update of w1 and w2"]
            )  # (the passes over the arrays apart are not the run's)
            same[setting] = losses == reference
            for name, seconds in spent.items():
                found[setting].setdefault(name, []).append(seconds / iterations * 1e6)
    medians = {s: {k: statistics.median(v) for k, v in found[s].items()} for s in SETTINGS}
    for s in SETTINGS:
        medians[s]["bit-identical"] = float(same[s])
    return medians


def thread_count_changes_x_w1() -> float:
    """The largest relative difference between the seed's ``x @ w1`` on one BLAS thread and
    on BLAS's own threads (0: the same bits)."""
    problem = make_problem(WORKLOADS["seed"])
    results = []
    for setting in SETTINGS:
        with blas(setting):
            results.append(problem.x @ problem.params.w1)
    return float(np.max(np.abs(results[0] - results[1])) / np.max(np.abs(results[1])))


def engine_threads() -> str:
    """What the buffered engine chooses for the classify step (``blas_threads``)."""
    chosen = blas_threads(200, (100, 100, 10))
    return "one thread" if type(chosen).__name__ != "nullcontext" else "BLAS's own threads"


def markdown(step: dict[str, dict[str, float]], seed: dict[str, dict[str, float]],
             rounds: int, x_w1_change: float) -> str:  # fmt: skip
    threads = os.cpu_count()
    lines = [
        "## Where a step's time goes",
        "",
        f"Written by `python benchmarks/step_costs.py` ({rounds} rounds, the BLAS settings "
        f"taking turns; {threads} cores, load average {os.getloadavg()[0]:.2f} at the end). "
        "Each part is timed inside the engine's own loop; microseconds, medians.",
        "",
        "### A minibatch step of the estimators' recipe (classify: batches of 200 rows of "
        "50,000 x 100 -> 100 -> 10, Adam, biases, alpha 1e-4)",
        "",
        f"The buffered engine holds BLAS to {engine_threads()} for this step.",
        "",
        f"| part | {SETTINGS[0]} | {SETTINGS[1]} |",
        "|---|---|---|",
    ]
    for name in step[SETTINGS[0]]:
        a, b = (step[s][name] for s in SETTINGS)
        bold = "**" if name == "whole step" else ""
        lines.append(f"| {bold}{name}{bold} | {bold}{a:.1f}{bold} | {bold}{b:.1f}{bold} |")
    lines += [
        "",
        "### An iteration of the seed's run (64 x 1,000 -> 100 -> 10, the in-place engine)",
        "",
        f"| part | {SETTINGS[1]} | {SETTINGS[0]} |",
        "|---|---|---|",
    ]
    for name in seed[SETTINGS[0]]:
        a, b = (seed[s][name] for s in SETTINGS[::-1])
        if name == "bit-identical":
            lines.append(f"| losses equal the seed's loop's, bit for bit | {'yes' if a else 'no'} "
                         f"| {'yes' if b else 'no'} |")  # fmt: skip
        else:
            lines.append(f"| {name} | {a:.1f} | {b:.1f} |")
    change = "the same bits" if x_w1_change == 0 else f"{x_w1_change:.1e} relative apart"
    lines += [
        "",
        f"The seed's `x @ w1` on one thread and on BLAS's own threads: {change}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = report.section_parser(__doc__.splitlines()[0], rounds=5).parse_args(argv)
    step = minibatch_step(args.rounds)
    seed = seed_iteration(args.rounds)
    report.publish(markdown(step, seed, args.rounds, thread_count_changes_x_w1()), args, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
