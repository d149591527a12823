"""`python benchmarks/speed.py` at tiny sizes: the docs section, the JSON and its options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import harness
import report
import speed
import workloads

FAST = [
    "--quick",
    "--rounds",
    "1",
    "--keep-blas-env",
    "--no-peers",
    "--no-checks",
    "--practical",
    "no",
]


@pytest.fixture(autouse=True)
def _tiny(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Two iterations of the seed workload, and defaults that write into ``tmp_path``."""
    monkeypatch.setattr(workloads, "QUICK_ITERATIONS", {"seed": 2})
    monkeypatch.setattr(speed, "DOCS", tmp_path / "docs.md")
    monkeypatch.setattr(speed, "RESULTS", tmp_path)


def test_writes_the_section_and_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, raw = tmp_path / "benchmarks.md", tmp_path / "speed.json"
    assert speed.main([*FAST, "--markdown", str(path), "--json", str(raw)]) == 0
    out = capsys.readouterr().out
    assert "### seed:" in out and "2 iterations timed" in out and "### Targets" in out
    assert report.START_MARKER in path.read_text() and "| twolayer dual |" in path.read_text()
    assert "PyTorch" not in out  # --no-peers
    assert '"workloads"' in raw.read_text() and '"targets"' in raw.read_text()


def test_write_writes_the_docs_and_a_dated_json(tmp_path: Path) -> None:
    assert speed.main([*FAST, "--write"]) == 0
    assert report.START_MARKER in (tmp_path / "docs.md").read_text()
    assert len(list(tmp_path.glob("speed-*.json"))) == 1


def test_by_default_it_only_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert speed.main(FAST) == 0
    assert "### seed:" in capsys.readouterr().out and list(tmp_path.iterdir()) == []


def test_refuses_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "b.md"
    with pytest.raises(SystemExit) as exit_info:
        speed.main(["--quick", "--markdown", str(missing)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(
        f"error: markdown file {str(missing)!r}: the directory {str(missing.parent)!r} "
        "does not exist"
    )
    assert not missing.parent.exists()
    with pytest.raises(SystemExit) as exit_info:
        speed.main(["--workloads", "seed,huge"])
    assert exit_info.value.code == 2
    assert "unknown workload huge; valid workloads are: seed, wide, tall" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        speed.main(["--quick", "--full"])


def _not_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("the benchmark ran before its files were checked")


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (
            "b.md",
            lambda p: p.write_bytes(b"# Benchmarks\n\xff\xfe"),
            "b.md: not UTF-8 text (byte 13); refusing to rewrite it",
        ),
        ("b.md", lambda p: p.mkdir(), "markdown file '{}' is a directory"),
        ("x" * 300 + ".md", lambda p: None, "the file name is too long for the file system"),
        ("b.md", lambda p: p.symlink_to("/dev/null"), "is not a regular file"),
    ],
    ids=["undecodable", "a directory", "name too long", "a device"],
)
def test_refuses_a_markdown_file_it_cannot_rewrite_before_running(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    make: Any,
    message: str,
) -> None:
    monkeypatch.setattr(harness, "run_bench", _not_run)
    path = tmp_path / name
    make(path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    with pytest.raises(SystemExit) as exit_info:
        speed.main([*FAST, "--markdown", str(path), "--json", str(tmp_path / "s.json")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "Traceback" not in err
    assert message.format(path) in errors[0]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_the_practical_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("sklearn")
    import practical

    rng = np.random.default_rng(0)
    tiny = practical.Data("digits", rng.standard_normal((60, 5)), rng.integers(0, 3, 60), True,
                          2, "60 x 5 -> 100 -> 3")  # fmt: skip
    monkeypatch.setattr(practical, "workloads", lambda names=None: [tiny])
    monkeypatch.setattr(practical, "GOALS", {"digits": 0.0})
    path = tmp_path / "b.md"
    args = ["--quick", "--keep-blas-env", "--practical", "only", "--markdown", str(path)]
    assert speed.main(args) == 0
    text = path.read_text()
    assert "### digits: 60 x 5 -> 100 -> 3, 2 epochs" in text and "| twolayer | " in text
    assert "Time to a validation accuracy of 0.0 on digits" in text
    assert "<!-- speed:start -->" not in text and "| worst of classify, regress" in text
