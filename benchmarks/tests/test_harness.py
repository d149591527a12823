"""The benchmark harness at tiny sizes: every row, the peak, memory and the checks."""

from __future__ import annotations

import numpy as np

from harness import (
    BenchResult,
    allocation_check,
    machine_info,
    peak_memory,
    printing_check,
    process_check,
)
from runs import SOLVERS, Implementation


def test_every_row_is_timed_in_every_round(tiny_result: BenchResult) -> None:
    (w,) = tiny_result.workloads
    assert w.iterations == 5 and w.workload.name == "tiny"
    names = [(r.name, r.dtype) for r in w.rows]
    assert names == [(i.name, i.dtype) for i in SOLVERS] + [("FakeLib", "float64")]
    for row in w.rows[:-1]:
        assert len(row.times) == 2 and all(t > 0 for t in row.times), row.name
        assert len(row.losses) == 5 and row.memory is not None and row.memory >= 0
    assert w.rows[-1].times == [] and w.rows[-1].skipped == "skipped: FakeLib is not installed"
    assert w.rows[-1].memory is None
    assert set(tiny_result.peak) == {"float64", "float32"} and min(tiny_result.peak.values()) > 0
    assert tiny_result.settings["rounds"] == 2 and tiny_result.checks == {}


def test_machine_info_names_the_blas_and_the_peers() -> None:
    info = machine_info()
    assert info["numpy"] == np.__version__ and info["blas"]
    assert {"torch", "scikit-learn", "jax", "blas environment"} <= set(info)


def test_memory_is_traced_for_numpy_and_resident_for_others() -> None:
    numpy_row = Implementation("n", "float64", SOLVERS[0].prepare)
    traced = peak_memory(numpy_row, lambda: np.ones(2**17))
    assert traced is not None and traced >= 2**20  # one MiB of float64, seen by tracemalloc
    torch_row = Implementation("t", "float64", SOLVERS[0].prepare, library="torch")
    resident = peak_memory(torch_row, lambda: None)
    assert resident is None or resident >= 0


def test_allocation_check_finds_no_bytes() -> None:
    found = allocation_check(iterations=20)
    assert found["net_bytes"] == 0 and found["iterations"] == 20


def test_printing_and_process_checks_report_ratios() -> None:
    printing = printing_check(rounds=1, iterations=5)
    assert printing["ratio"] == printing["printing_s"] / printing["quiet_s"]
    process = process_check(rounds=1, iterations=3)
    assert process["ratio"] == process["ours_s"] / process["seed_s"] and process["iterations"] == 3
