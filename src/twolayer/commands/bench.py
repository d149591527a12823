"""``twolayer bench``: twolayer against the seed's loop and peer libraries, side by side."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from twolayer.cli import add_command, positive_int


def workload_names(text: str) -> list[str]:
    """argparse type: comma-separated names of workloads."""
    from twolayer.bench import WORKLOADS

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown workload {', '.join(unknown) or repr(text)}; "
            f"valid workloads are: {', '.join(WORKLOADS)}"
        )
    return names


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        subparsers,
        "bench",
        "Time the seed's loop, twolayer's solvers and PyTorch, JAX and scikit-learn (when "
        "installed) alternately on the same work; print a markdown table.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="seconds: the seed workload only, short runs"
    )
    size.add_argument(
        "--full",
        action="store_true",
        help="the issue's iteration counts (wide and tall 20): tens of minutes on 2 cores",
    )
    parser.add_argument(
        "--workloads",
        type=workload_names,
        default=None,
        help="comma-separated: seed, wide, tall (default all three; seed with --quick)",
    )
    parser.add_argument("--rounds", type=positive_int, default=None, help="default 3 (2 quick)")
    parser.add_argument(
        "--no-peers", action="store_true", help="only the seed's loop and twolayer's rows"
    )
    parser.add_argument(
        "--no-checks",
        action="store_true",
        help="skip the allocation, printing and whole-process checks",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help="also write the tables into FILE between its speed markers (docs/benchmarks.md)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every timing as JSON")
    parser.add_argument(
        "--keep-blas-env",
        action="store_true",
        help="run even where OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set (by default the "
        "benchmark reruns itself without them: they slow a current NumPy)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json

    from twolayer import bench
    from twolayer.errors import ConfigError

    for path in (args.markdown, args.json):
        if path is not None and not path.parent.is_dir():
            raise ConfigError(f"cannot write {path}: no directory {path.parent}")
    if not args.keep_blas_env and any(v in os.environ for v in bench.BLAS_ENV):
        return _rerun_without_blas_env(args)
    names = args.workloads or (["seed"] if args.quick else list(bench.WORKLOADS))
    counts = bench.QUICK_ITERATIONS if args.quick else bench.DEFAULT_ITERATIONS
    iterations = None if args.full else counts
    implementations = bench.IMPLEMENTATIONS
    if args.no_peers:
        implementations = [i for i in implementations if i.name.startswith(("seed", "twolayer"))]
    result = bench.run_bench(
        [bench.WORKLOADS[name] for name in names],
        iterations=iterations,
        rounds=args.rounds or (2 if args.quick else 3),
        peak_size=512 if args.quick else 2048,
        implementations=implementations,
        checks=not args.no_checks,
        process_iterations=500 if args.quick else 10_000,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    text = bench.markdown(result)
    print(text, end="")
    if args.markdown is not None:
        bench.write_section(args.markdown, text)
    if args.json is not None:
        temporary = args.json.with_name(args.json.name + ".tmp")
        temporary.write_text(json.dumps(bench.to_json(result), indent=1) + "\n")
        temporary.replace(args.json)
    return 0


def _rerun_without_blas_env(args: argparse.Namespace) -> int:
    """Run the same benchmark in a child process whose environment lacks the BLAS variables."""
    from twolayer.bench import BLAS_ENV

    print(
        f"twolayer bench: rerunning without {', '.join(v for v in BLAS_ENV if v in os.environ)}",
        file=sys.stderr,
    )
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    argv = [sys.executable, "-m", "twolayer", "bench", "--keep-blas-env", *_options(args)]
    return subprocess.run(argv, env=env, check=False).returncode


def _options(args: argparse.Namespace) -> list[str]:
    """The command-line options that ``args`` came from."""
    argv = [
        f"--{flag}" for flag in ("quick", "full", "no_peers", "no_checks") if getattr(args, flag)
    ]
    argv = [a.replace("_", "-") for a in argv]
    if args.workloads:
        argv += ["--workloads", ",".join(args.workloads)]
    for flag in ("rounds", "markdown", "json"):
        if getattr(args, flag) is not None:
            argv += [f"--{flag}", str(getattr(args, flag))]
    return argv
