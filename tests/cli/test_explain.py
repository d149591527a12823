"""``twolayer explain``: inputs ranked by gradient times input, printed, drawn and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import assert_one_error, run_cli


@pytest.fixture
def trained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    y = 5 * x[:, 1] + 0.5 * x[:, 2]  # b matters most, c a little, a not at all
    rows = "\n".join(f"{a:.6f},{b:.6f},{c:.6f},{t:.6f}" for (a, b, c), t in zip(x, y, strict=True))
    Path("d.csv").write_text("a,b,c,y\n" + rows + "\n")
    code, _, err = run_cli(["train", "--data", "d.csv", "--iterations", "200", "--out", "m.npz",
                            "--quiet"], capsys)  # fmt: skip
    assert code == 0, err
    return tmp_path


def test_the_inputs_are_ranked_by_how_much_they_move_the_answers(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["explain", "--model", "m.npz", "--data", "d.csv", "--json"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["input", "importance", "mean", "gradient"]
    assert [line.split()[0] for line in lines[1:4]] == ["b", "c", "a"]
    result = json.loads(lines[-1])
    assert result["samples"] == 300
    ranked = {r["input"]: r for r in result["importance"]}
    assert ranked["b"]["mean_gradient"] == pytest.approx(5, rel=0.15)  # y's units per b's
    assert ranked["c"]["mean_gradient"] == pytest.approx(0.5, abs=0.3)
    assert ranked["b"]["importance"] > 5 * ranked["a"]["importance"]
    assert "'y'" in err  # the target column is not an input: ignored with a note


def test_top_and_the_plot(trained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["explain", "--model", "m.npz", "--data", "d.csv", "--top", "1",
                            "--plot", "imp.png"], capsys)  # fmt: skip
    assert code == 0
    assert out.splitlines()[1].startswith("b ")
    assert "... 2 more (--top 3 shows all)" in out and "wrote imp.png" in out
    assert Path("imp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_bad_plot_name_is_refused_before_any_work(
    trained: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["explain", "--model", "m.npz", "--data", "d.csv", "--plot",
                              "imp.gif"], capsys)  # fmt: skip
    assert_one_error(code, out, err, "must end in .png, .svg, .pdf")
    assert not Path("imp.gif").exists()
