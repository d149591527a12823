"""The speed benchmark: the seed's loop, twolayer's solvers and peer libraries, side by side.

Usage, from the repository root (a few minutes on 2 cores; ``--full`` for the workloads' full
iteration counts, ``--quick`` for a smoke run of seconds)::

    python benchmarks/speed.py [--quick | --full] [--workloads seed,wide,tall] [--rounds R]
        [--no-peers] [--no-checks] [--write] [--markdown FILE] [--json FILE]
        [--keep-blas-env]

It prints the tables, then the practical section (:mod:`practical`: the estimators against
scikit-learn's MLP and PyTorch eager; ``--practical only`` or ``no``), and only prints them
unless told to write: ``--write`` replaces the text between the speed and practical markers
of ``docs/benchmarks.md`` and keeps every timing in
``benchmarks/results/speed-YYYY-MM-DD.json``; ``--markdown FILE`` and ``--json FILE`` write
those to the files named.  ``python benchmarks/bench.py`` takes the same timing options
(shared from there) and times twolayer's rows only.  Where OPENBLAS_CORETYPE /
OPENBLAS_L2_SIZE are set the run restarts without them (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import harness
import report
from bench import (
    add_timing_arguments,
    output_path,
    plan,
    rerun_script_without_blas_env,
    write_json,
)
from twolayer import TwoLayerError
from twolayer.io.writing import check_distinct, check_writable

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "benchmarks" / "results"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmarks/speed.py", description=__doc__.split("\n")[0])
    add_timing_arguments(parser)
    parser.add_argument(
        "--no-peers", action="store_true", help="only the seed's loop and twolayer's rows"
    )
    parser.add_argument(
        "--practical",
        choices=("with", "only", "no"),
        default="with",
        help="the practical section (the estimators against scikit-learn's MLP and PyTorch "
        "eager, benchmarks/practical.py): after the speed tables (with), alone (only) or not",
    )
    parser.add_argument(
        "--no-checks",
        action="store_true",
        help="skip the allocation, printing and whole-process checks",
    )
    parser.add_argument(
        "--markdown",
        type=output_path,
        metavar="FILE",
        help=f"write the tables into FILE between its speed markers (--write: {DOCS.name})",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help=f"write the section of docs/{DOCS.name} and a dated JSON in benchmarks/results "
        "(without it, and without --markdown or --json, the tables are only printed)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    today = time.strftime("%Y-%m-%d")
    markdown = args.markdown or (DOCS if args.write else None)
    raw = args.json or (RESULTS / f"speed-{today}.json" if args.write else None)
    try:
        for path, what in ((markdown, "markdown file"), (raw, "JSON file")):
            if path is not None:
                check_writable(path, what)
        if markdown is not None and raw is not None:
            check_distinct([], [("--markdown", markdown), ("--json", raw)])
        if markdown is not None:
            report.section_file_text(markdown)  # its other sections must be readable text
    except TwoLayerError as exc:
        parser.error(str(exc))
    code = rerun_script_without_blas_env(parser.prog, __file__, argv, args.keep_blas_env)
    if code is not None:
        return code
    pairs, rounds = plan(args)
    result = None if args.practical == "only" else speed_section(args, pairs, rounds)
    text = "" if result is None else report.markdown(result)
    extra = None if args.practical == "no" else practical_section(rounds, args.quick)
    try:
        if markdown is not None:
            if text:
                report.write_section(markdown, text)
            if extra is not None:
                report.write_section(markdown, extra, "practical")
        if raw is not None and result is not None:
            write_json(raw, report.to_json(result))
    except TwoLayerError as exc:  # the disk filled up or the file changed during the run
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    return 0


def speed_section(args: argparse.Namespace, pairs: Any, rounds: int) -> harness.BenchResult:
    """The speed benchmark's result (its tables printed), from :func:`harness.run_bench`."""
    implementations = None
    if args.no_peers:
        from runs import SOLVERS

        implementations = SOLVERS
    result = harness.run_bench(
        [w for w, _ in pairs],
        iterations={w.name: n for w, n in pairs},
        rounds=rounds,
        peak_size=512 if args.quick else 2048,
        implementations=implementations,
        checks=not args.no_checks,
        process_iterations=500 if args.quick else 10_000,
        log=lambda line: print(line, file=sys.stderr, flush=True),
        settle=0.0 if args.quick else harness.SETTLE_S,
    )
    print(report.markdown(result), end="")
    return result


def practical_section(rounds: int, quick: bool) -> str:
    """The practical section (printed): :mod:`practical`'s workloads, at least 3 rounds (1
    round of digits alone with ``--quick``)."""
    import practical

    print("practical: the estimators against scikit-learn and PyTorch ...", file=sys.stderr)
    found = practical.measure(1 if quick else max(rounds, 3), ["digits"] if quick else None)
    load = f"load average {os.getloadavg()[0]:.2f} at the end"
    text = practical.markdown(found, load)
    print(text, end="")
    return text


if __name__ == "__main__":
    sys.exit(main())
