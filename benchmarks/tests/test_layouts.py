"""`python benchmarks/layouts.py` at tiny sizes: every layout timed, the chosen one marked."""

from __future__ import annotations

from pathlib import Path

import pytest

import layouts
from workloads import Workload

TINY = {
    "tall": Workload("tall", 3000, 10, 100, 2, 1, 1e-7),  # 2.4 MB of activations: fused blocks
    "wide": Workload("wide", 600, 600, 500, 2, 1, 1e-8),  # w1 2.4 MB: unfused blocks
}


@pytest.fixture(autouse=True)
def _tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layouts, "WORKLOADS", TINY)


def test_times_every_layout_and_marks_the_chosen_one(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\nkept\n")
    assert layouts.main(["--rounds", "2", "--markdown", str(path)]) == 0
    text = path.read_text()
    assert "kept" in text and "<!-- layouts:start -->" in text
    rows = [line for line in text.splitlines() if "| float64 |" in line or "| float32 |" in line]
    assert sum(r.startswith("| tall | float64 |") for r in rows) == 4  # fused: every layout
    assert sum(r.startswith("| wide | float64 |") for r in rows) == 2  # unfused: w1's two
    chosen = [r for r in rows if r.rstrip().endswith("| yes |")]
    assert len(chosen) == 4  # one per workload and dtype
    assert any("tall | float64 | w1 column-major, hidden column-major" in r for r in chosen)
    assert all(" 1.000 | 0.0e+00 " in r for r in rows if "w1 row-major, hidden row-major" in r)


def test_the_loss_of_every_layout_agrees_with_row_major() -> None:
    rows = layouts.time_layouts(TINY["tall"], "float64", rounds=1)
    assert len(rows) == 4
    assert all(isinstance(r["loss_diff"], float) and r["loss_diff"] < 1e-12 for r in rows)


def test_an_unknown_workload_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        layouts.main(["--workloads", "huge"])
    assert exit_info.value.code == 2
    assert "unknown workload: huge" in capsys.readouterr().err
