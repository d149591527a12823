"""Small helpers shared by several test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from twolayer.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``twolayer ARGS`` in process; return its exit code, stdout and stderr."""
    try:
        code = main(args)
    except SystemExit as exc:  # argparse exits for usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write ``text`` to the file ``name`` in ``tmp_path``; return its path."""
    path = tmp_path / name
    path.write_text(text)
    return path


def blocks(x: np.ndarray, y: np.ndarray, rows: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(x, y)`` in blocks of ``rows`` samples (the last one shorter), as chunk files hold them."""
    for start in range(0, x.shape[0], rows):
        yield x[start : start + rows], y[start : start + rows]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file and link under ``folder``, hidden ones included: its bytes and its mtime, so
    a test can tell that nothing was created, changed or removed."""
    found: dict[str, tuple[bytes, int]] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = (str(path.readlink()).encode(), path.lstat().st_mtime_ns)
        elif path.is_file():
            found[name] = (path.read_bytes(), path.stat().st_mtime_ns)
        else:
            found[name] = (b"<dir>", 0)
    return found


def assert_one_error(code: int, out: str, err: str, *parts: str) -> None:
    """Exit code 2, nothing on stdout, and on stderr one ``error:`` line, which holds every
    one of ``parts``, and no traceback (argparse's usage lines may come before it)."""
    assert code == 2, err
    assert out == ""
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    assert err.endswith(errors[0] + "\n") and "Traceback" not in err
    for part in parts:
        assert part in errors[0], (part, errors[0])
