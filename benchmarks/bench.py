"""twolayer's solvers against the seed's loop, side by side (what ``twolayer bench`` did).

Usage, from the repository root (a few minutes on 2 cores; ``--quick``: seconds)::

    python benchmarks/bench.py [--quick | --full] [--workloads seed,wide,tall] [--rounds R]
        [--json FILE] [--keep-blas-env]

It times the seed's loop (``examples/classic.py``) and twolayer's direct and dual solvers in
float64 and float32 (:data:`runs.SOLVERS`) alternately on the same work and prints one markdown
table per workload; ``--json FILE`` keeps every timing.  It needs NumPy only.  Peer libraries,
the peak and memory columns, the allocation, printing and whole-process checks, the targets and
the tables recorded in docs/benchmarks.md are ``python benchmarks/speed.py``'s, which takes
these timing options too (:func:`add_timing_arguments`, :func:`plan`).  Where
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set the run restarts without them (see
docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import workloads
from runs import SETTLE_S, time_workload
from runs import table as workload_table
from runs import to_json as workload_json
from twolayer import TwoLayerError
from twolayer.io.writing import atomic_write, check_writable

BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Set on some machines for older OpenBLAS builds; they slow a current NumPy (see the docs)."""

SPEED_SCRIPT = "python benchmarks/speed.py"
"""The full benchmark: peers, checks, targets and the recorded tables."""


def workload_names(text: str) -> list[str]:
    """argparse type: comma-separated names of workloads."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in workloads.WORKLOADS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown workload {', '.join(unknown) or repr(text)}; "
            f"valid workloads are: {', '.join(workloads.WORKLOADS)}"
        )
    return names


def positive_int(text: str) -> int:
    """argparse type: an integer > 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be an integer > 0, got {text}")
    return value


def output_path(text: str) -> Path:
    """argparse type: an output file's name as a Path; it cannot be empty nor end in ``/``."""
    if not text:
        raise argparse.ArgumentTypeError("the file name is empty")
    if text.endswith("/"):
        raise argparse.ArgumentTypeError(f"{text!r} ends in '/', which names a directory")
    return Path(text)


def add_timing_arguments(parser: argparse.ArgumentParser) -> None:
    """The options this script shares with ``benchmarks/speed.py``."""
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="seconds: the seed workload only, short runs"
    )
    size.add_argument(
        "--full",
        action="store_true",
        help="the workloads' full iteration counts (wide and tall 20): tens of minutes on 2 cores",
    )
    parser.add_argument(
        "--workloads",
        type=workload_names,
        default=None,
        help="comma-separated: seed, wide, tall (default all three; seed with --quick)",
    )
    parser.add_argument("--rounds", type=positive_int, default=None, help="default 3 (2 quick)")
    parser.add_argument(
        "--json", type=output_path, metavar="FILE", help="write every timing as JSON"
    )
    parser.add_argument(
        "--keep-blas-env",
        action="store_true",
        help="run even where OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set (by default the "
        "benchmark reruns itself without them: they slow a current NumPy)",
    )


def plan(args: argparse.Namespace) -> tuple[list[tuple[workloads.Workload, int]], int]:
    """The (workload, iterations) pairs and the rounds that the shared options ask for."""
    names = args.workloads or (["seed"] if args.quick else list(workloads.WORKLOADS))
    counts = workloads.QUICK_ITERATIONS if args.quick else workloads.DEFAULT_ITERATIONS
    chosen = [workloads.WORKLOADS[name] for name in names]
    pairs = [(w, w.iterations if args.full else counts[w.name]) for w in chosen]
    return pairs, args.rounds or (2 if args.quick else 3)


def rerun_script_without_blas_env(
    prog: str, script: str, argv: Sequence[str], keep: bool
) -> int | None:
    """Unless ``keep`` (``--keep-blas-env`` given), :func:`rerun_without_blas_env` the script
    at ``script`` with ``argv`` plus ``--keep-blas-env``: its exit code, or None to go on."""
    if keep:
        return None
    command = [sys.executable, str(Path(script).resolve()), "--keep-blas-env", *argv]
    return rerun_without_blas_env(prog, command)


def rerun_without_blas_env(prog: str, command: Sequence[str]) -> int | None:
    """Where a BLAS variable is set, run ``command`` (which must pass ``--keep-blas-env``) in a
    child process whose environment lacks them and return its exit code; else None."""
    found = [v for v in BLAS_ENV if v in os.environ]
    if not found:
        return None
    print(f"{prog}: rerunning without {', '.join(found)}", file=sys.stderr)
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    return subprocess.run(list(command), env=env, check=False).returncode


def write_json(path: Path, data: object) -> None:
    """Write ``data`` to ``path`` as indented JSON, all at once."""
    atomic_write(path, lambda f: f.write((json.dumps(data, indent=1) + "\n").encode()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchmarks/bench.py",
        description="Time the seed's loop and twolayer's direct and dual solvers (float64, "
        "float32) alternately on the same work; print a markdown table. Peer libraries, "
        f"checks and targets: {SPEED_SCRIPT}.",
    )
    add_timing_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.json is not None:
        try:
            check_writable(args.json, "JSON file")
        except TwoLayerError as exc:
            parser.error(str(exc))
    code = rerun_script_without_blas_env(parser.prog, __file__, argv, args.keep_blas_env)
    if code is not None:
        return code
    pairs, rounds = plan(args)
    log(f"{parser.prog}: no peers, checks or targets here; for those run {SPEED_SCRIPT}")
    results = []
    for workload, iterations in pairs:
        log(f"{workload.name}: {workload.describe()}; timing {iterations} iterations")
        problem = workloads.make_problem(workload)
        settle = 0.0 if args.quick else SETTLE_S  # --quick: seconds, not a measurement to keep
        results.append(time_workload(problem, iterations, rounds, log=log, settle=settle))
    date = time.strftime("%Y-%m-%d")
    print(
        "## Speed: twolayer's solvers against the seed's loop\n\n"
        f"Measured {date} with `{parser.prog}` ({rounds} rounds, medians), "
        f"NumPy {np.__version__}.\n"
    )
    print("\n".join(workload_table(result) for result in results), end="")
    if args.json is not None:
        settings = {"rounds": rounds, "date": date}
        data = {"settings": settings, "workloads": [workload_json(r) for r in results]}
        try:
            write_json(args.json, data)
        except TwoLayerError as exc:  # the disk filled up or the file changed during the run
            parser.exit(2, f"{parser.prog}: error: {exc}\n")
    return 0


def log(line: str) -> None:
    """A line of progress on stderr."""
    print(line, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
