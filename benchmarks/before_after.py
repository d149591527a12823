"""Time one training run of each workload under two source trees, side by side.

Each timing is a fresh process (``PYTHONPATH=<tree>/src``) that trains in process three times
and prints the median seconds of the ``train`` calls; the trees take turns, round after round,
and the medians are compared, so a busy machine slows both alike.  Used to check that a change
of the code costs no speed:

    python benchmarks/before_after.py OLD_TREE NEW_TREE --rounds 7     # prints the table
    python benchmarks/before_after.py OLD_TREE . --markdown docs/benchmarks.md   # its section

It only prints unless ``--markdown FILE`` or ``--json FILE`` names a file to write.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# name -> (N, D_in, H, D_out, iterations, dtype, solver, validation fraction)
WORKLOADS: dict[str, tuple[int, int, int, int, int, str, str, float]] = {
    "seed": (64, 1000, 100, 10, 500, "float64", "direct", 0.0),
    "seed-dual": (64, 1000, 100, 10, 500, "float64", "dual", 0.0),
    "seed-float32": (64, 1000, 100, 10, 500, "float32", "direct", 0.0),
    "tall": (200_000, 100, 100, 10, 5, "float64", "direct", 0.0),
    "tall-float32": (200_000, 100, 100, 10, 5, "float32", "direct", 0.0),
    "tall-validation": (200_000, 100, 100, 10, 5, "float64", "direct", 0.1),
    "wide": (4096, 2048, 1024, 128, 3, "float64", "direct", 0.0),
    "wide-float32": (4096, 2048, 1024, 128, 3, "float32", "direct", 0.0),
}

CHILD = """
import sys, time
import numpy as np
from twolayer import TrainConfig, train
n, d_in, h, d_out, iterations, dtype, solver, held = {args}
rs = np.random.RandomState(0)
x, y = rs.randn(n, d_in).astype(dtype), rs.randn(n, d_out).astype(dtype)
config = TrainConfig(iterations=iterations, lr=1e-6 / max(1, n // 64), hidden=h, dtype=dtype,
                     solver=solver, track="loss", divergence_factor=float("inf"),
                     validation_fraction=held)
train(x, y, config.replace(iterations=1))  # warm-up: imports, first allocations
times = []
for _ in range(3):
    start = time.perf_counter()
    result = train(x, y, config)
    times.append(time.perf_counter() - start)
print(sorted(times)[1], result.history[-1].loss)
"""


def once(tree: Path, workload: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    code = CHILD.format(args=repr(WORKLOADS[workload]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1])


def _describe(tree: Path) -> str:
    """The tree's commit (with ``+`` when its files differ from it), or its path."""
    git = ["git", "-C", str(tree)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return str(tree)
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    return f"commit {head.stdout.strip()}{'+' if dirty else ''}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path, help="write the table into this file's section")
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
    lines = [
        "## Before and after: one training run under two source trees",
        "",
        f"Written by `python benchmarks/before_after.py` ({args.rounds} rounds, each timing a "
        f"fresh process, the trees taking turns; old: {_describe(args.old)}, new: "
        f"{_describe(args.new)}). Seconds of one `train` call (the median of three in each "
        "process, after a warm-up run), medians over the rounds.",
        "",
        "| workload | N, D_in, H, D_out | dtype | iterations | held out | old s | new s | new/old "
        "| same final loss |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    rows = {}
    for name in names:
        old, new = (statistics.median(times[name][s]) for s in ("old", "new"))
        same = losses[name]["old"] == losses[name]["new"]
        rows[name] = {"old": old, "new": new, "ratio": new / old, "same_loss": same}
        n, d_in, h, d_out, iterations, dtype, _, held = WORKLOADS[name]
        lines.append(
            f"| {name} | {n:,}, {d_in:,}, {h:,}, {d_out} | {dtype} | {iterations} | {held:g} | "
            f"{old:.4f} | {new:.4f} | {new / old:.3f} | {'yes' if same else 'no'} |"
        )
    lines.append(f"\nLoad average at the end: {os.getloadavg()[0]:.2f}.")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        import report

        report.write_section(args.markdown, text, "before-after")
    if args.json:
        args.json.write_text(json.dumps({"rounds": args.rounds, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
