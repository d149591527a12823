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
