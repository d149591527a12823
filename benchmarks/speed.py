"""Run the default speed benchmark and record it: docs/benchmarks.md and a raw JSON file.

Usage, from the repository root (a few minutes on 2 cores; pass ``--full`` for the issue's
iteration counts, ``--quick`` for a smoke run):

    python benchmarks/speed.py [twolayer bench options]

The tables replace the text between the speed markers of ``docs/benchmarks.md``; every timing
goes to ``benchmarks/results/speed-YYYY-MM-DD.json``.  ``twolayer bench`` reruns itself without
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when they are set (see docs/performance.md).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from twolayer.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(extra: list[str]) -> int:
    raw = ROOT / "benchmarks" / "results" / f"speed-{time.strftime('%Y-%m-%d')}.json"
    markdown = ROOT / "docs" / "benchmarks.md"
    return main(["bench", *extra, "--markdown", str(markdown), "--json", str(raw)])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
