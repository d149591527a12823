"""``twolayer bench``: this machine's solvers against the seed's loop, side by side.

It times the seed's loop and twolayer's direct and dual solvers in float64 and float32
(:data:`twolayer.timing.SOLVERS`) and prints one markdown table per workload.  Peer libraries,
the memory and peak columns, the allocation, printing and whole-process checks, the targets
and the tables recorded in docs/benchmarks.md belong to the repository's benchmarks:
``python benchmarks/speed.py`` takes this command's options, shared from here, and adds those.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from twolayer.cli.options import add_command
from twolayer.cli.types import file_path, positive_int

if TYPE_CHECKING:
    from twolayer.timing.workloads import Workload

BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Set on some machines for older OpenBLAS builds; they slow a current NumPy (see the docs)."""

SPEED_SCRIPT = "python benchmarks/speed.py"
"""Where the full benchmark runs, from a checkout of the repository."""


def workload_names(text: str) -> list[str]:
    """argparse type: comma-separated names of workloads."""
    from twolayer.timing.workloads import WORKLOADS

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown workload {', '.join(unknown) or repr(text)}; "
            f"valid workloads are: {', '.join(WORKLOADS)}"
        )
    return names


def output_path(text: str) -> Path:
    """argparse type: an output file's name as a Path; it cannot be empty."""
    return Path(file_path(text))


def add_timing_arguments(parser: argparse.ArgumentParser) -> None:
    """The options this command shares with ``benchmarks/speed.py``."""
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


class _Moved(argparse.Action):
    """An option whose work moved to ``benchmarks/speed.py``: one error line, exit code 2."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        parser.exit(
            2,
            f"{parser.prog}: error: {self.option_strings[0]} moved to the repository's "
            f"benchmarks: run {SPEED_SCRIPT} {self.option_strings[0]} {self.metavar} from a "
            "checkout (docs/performance.md)\n",
        )


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "bench",
        "Time the seed's loop and twolayer's direct and dual solvers (float64, float32) "
        f"alternately on the same work; print a markdown table. Peer libraries, checks and "
        f"targets: {SPEED_SCRIPT}.",
    )
    add_timing_arguments(parser)
    for flag in ("--no-peers", "--no-checks"):
        parser.add_argument(
            flag, action="store_true", help="no effect: this command runs no peers or checks"
        )
    parser.add_argument(
        "--markdown",
        action=_Moved,
        metavar="FILE",
        help=f"moved: the tables of docs/benchmarks.md are written by {SPEED_SCRIPT}",
    )
    parser.set_defaults(handler=run)


def plan(args: argparse.Namespace) -> tuple[list[tuple[Workload, int]], int]:
    """The (workload, iterations) pairs and the rounds that the shared options ask for."""
    from twolayer.timing import workloads

    names = args.workloads or (["seed"] if args.quick else list(workloads.WORKLOADS))
    counts = workloads.QUICK_ITERATIONS if args.quick else workloads.DEFAULT_ITERATIONS
    chosen = [workloads.WORKLOADS[name] for name in names]
    pairs = [(w, w.iterations if args.full else counts[w.name]) for w in chosen]
    return pairs, args.rounds or (2 if args.quick else 3)


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
    import json

    from twolayer.io.writing import atomic_write

    atomic_write(path, lambda f: f.write((json.dumps(data, indent=1) + "\n").encode()))


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from twolayer.io.writing import check_writable
    from twolayer.timing import SETTLE_S, time_workload
    from twolayer.timing.table import table, to_json
    from twolayer.timing.workloads import make_problem

    if args.json is not None:
        check_writable(args.json, "JSON file")
    if not args.keep_blas_env:
        argv = [sys.executable, "-m", "twolayer", "bench", "--keep-blas-env", *_options(args)]
        code = rerun_without_blas_env("twolayer bench", argv)
        if code is not None:
            return code
    pairs, rounds = plan(args)
    log = _stderr
    log(f"twolayer bench: no peers, checks or targets here; for those run {SPEED_SCRIPT}")
    results = []
    for workload, iterations in pairs:
        log(f"{workload.name}: {workload.describe()}; timing {iterations} iterations")
        problem = make_problem(workload)
        settle = 0.0 if args.quick else SETTLE_S  # --quick: seconds, not a measurement to keep
        results.append(time_workload(problem, iterations, rounds, log=log, settle=settle))
    date = time.strftime("%Y-%m-%d")
    print(
        "## Speed: twolayer's solvers against the seed's loop\n\n"
        f"Measured {date} with `twolayer bench` ({rounds} rounds, medians), "
        f"NumPy {np.__version__}.\n"
    )
    print("\n".join(table(result) for result in results), end="")
    if args.json is not None:
        settings = {"rounds": rounds, "date": date}
        write_json(args.json, {"settings": settings, "workloads": [to_json(r) for r in results]})
    return 0


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _options(args: argparse.Namespace) -> list[str]:
    """The timing options that ``args`` came from."""
    argv = [f"--{flag}" for flag in ("quick", "full") if getattr(args, flag)]
    if args.workloads:
        argv += ["--workloads", ",".join(args.workloads)]
    for flag in ("rounds", "json"):
        if getattr(args, flag) is not None:
            argv += [f"--{flag}", str(getattr(args, flag))]
    return argv
