"""`benchmarks/ceiling.py` and `benchmarks/settle.py` at tiny sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ceiling
import settle
import workloads
from twolayer.engines.inplace import Workspace
from workloads import Workload

TINY = {
    "tall": Workload("tall", 3000, 10, 100, 2, 1, 1e-7),  # fused blocks, in lanes
    "wide": Workload("wide", 600, 600, 500, 2, 1, 1e-8),  # products with x whole
}


@pytest.fixture(autouse=True)
def _tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (ceiling, settle, workloads):
        monkeypatch.setattr(module, "WORKLOADS", TINY)
    monkeypatch.setattr(ceiling, "measure_peak", lambda dtype, size: 100.0)
    monkeypatch.setattr(settle, "SETTLE_S", 0.01)


@pytest.mark.parametrize("name", ["tall", "wide"])
def test_each_product_alone_runs_over_the_engines_own_buffers(name: str) -> None:
    problem = workloads.make_problem(TINY[name])
    ws = Workspace(problem.x, problem.y, problem.params)
    assert ws.hidden.fused == (name == "tall") and bool(ws.lanes) == (name == "tall")
    runs = ceiling.product_runs(ws)
    assert list(runs) == ceiling.PRODUCTS
    ws.forward_backward()
    buf, _, part = ws.hidden.blocks[-1]
    for buffer in (ws.grads.w1, buf.h, buf.y_pred):
        buffer[...] = np.nan
    for product in ceiling.PRODUCTS:
        runs[product]()
    assert np.isfinite(ws.grads.w1).all() and np.isfinite(buf.y_pred).all()
    np.testing.assert_allclose(buf.h, problem.x[part] @ ws.params.w1, rtol=1e-12)  # x @ w1


def test_the_ceiling_section(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    assert ceiling.main(["--rounds", "1", "--dtypes", "float64", "--markdown", str(path)]) == 0
    lines = path.read_text().splitlines()
    rows = [line for line in lines if line.startswith(("| tall |", "| wide |"))]
    assert [r.split(" | ")[0] for r in rows] == ["| tall", "| wide"]
    cells = rows[0].strip("| ").split(" | ")
    products, epoch = float(cells[7]), float(cells[8])
    assert sum(float(c) for c in cells[2:7]) == pytest.approx(products, abs=6e-4)
    assert min(float(c) for c in cells[2:9]) >= 0 and epoch > 0  # times, never compared
    assert cells[9] == "100.0"


def test_the_settle_section(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    assert settle.main(["--rounds", "2", "--markdown", str(path)]) == 0
    text = path.read_text()
    assert "<!-- settle:start -->" in text and "| after a pause |" in text
    assert "| after an epoch | " in text and " | 1.000 |" in text
