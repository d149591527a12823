"""Time one training run of each workload under two source trees, side by side.

Each timing is a fresh process (``PYTHONPATH=<tree>/src``) that trains in process and prints the
seconds the ``train`` call took; the trees take turns, round after round, and the medians are
compared, so a busy machine slows both alike.  Used to check that a change of the code's layout
costs no speed:

    python benchmarks/before_after.py OLD_TREE NEW_TREE --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# name -> (N, D_in, H, D_out, iterations, dtype, solver)
WORKLOADS: dict[str, tuple[int, int, int, int, int, str, str]] = {
    "seed": (64, 1000, 100, 10, 500, "float64", "direct"),
    "seed-dual": (64, 1000, 100, 10, 500, "float64", "dual"),
    "seed-float32": (64, 1000, 100, 10, 500, "float32", "direct"),
    "tall": (200_000, 100, 100, 10, 5, "float64", "direct"),
    "wide": (4096, 2048, 1024, 128, 3, "float64", "direct"),
}

CHILD = """
import sys, time
import numpy as np
from twolayer import TrainConfig, train
n, d_in, h, d_out, iterations, dtype, solver = {args}
rs = np.random.RandomState(0)
x, y = rs.randn(n, d_in).astype(dtype), rs.randn(n, d_out).astype(dtype)
config = TrainConfig(iterations=iterations, lr=1e-6 / max(1, n // 64), hidden=h, dtype=dtype,
                     solver=solver, track="loss", divergence_factor=float("inf"))
train(x, y, config.replace(iterations=1))  # warm-up: imports, first allocations
start = time.perf_counter()
result = train(x, y, config)
print(time.perf_counter() - start, result.history[-1].loss)
"""


def once(tree: Path, workload: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    code = CHILD.format(args=repr(WORKLOADS[workload]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    names = args.workloads.split(",")
    times: dict[str, dict[str, list[float]]] = {n: {"old": [], "new": []} for n in names}
    losses: dict[str, dict[str, float]] = {n: {} for n in names}
    for _ in range(args.rounds):
        for name in names:
            for side in ("old", "new"):
                seconds, loss = once(getattr(args, side), name)
                times[name][side].append(seconds)
                losses[name][side] = loss
    print("| workload | old s (median) | new s (median) | new/old | same final loss |")
    print("|---|---|---|---|---|")
    rows = {}
    for name in names:
        old, new = (statistics.median(times[name][s]) for s in ("old", "new"))
        same = losses[name]["old"] == losses[name]["new"]
        rows[name] = {"old": old, "new": new, "ratio": new / old, "same_loss": same}
        print(f"| {name} | {old:.4f} | {new:.4f} | {new / old:.3f} | {same} |")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"rounds": args.rounds, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
