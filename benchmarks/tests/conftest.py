"""A benchmark run at a tiny size, shared by the tests of the harness and of the report."""

from __future__ import annotations

import pytest

from harness import BenchResult, run_bench
from runs import SOLVERS, Implementation
from workloads import Problem, Workload

TINY = Workload("tiny", 8, 20, 6, 2, 5, 1e-4)


def _missing(problem: Problem, dtype: str) -> str:
    return "skipped: FakeLib is not installed"


FAKE = Implementation("FakeLib", "float64", _missing)


@pytest.fixture(scope="session")
def tiny_result() -> BenchResult:
    """Every twolayer row and a peer that is not installed, 2 rounds, no checks."""
    implementations = [*SOLVERS, FAKE]
    return run_bench(
        [TINY], rounds=2, peak_size=64, implementations=implementations, checks=False, settle=0
    )
