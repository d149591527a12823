"""Small helpers shared by the command-line tests."""

from __future__ import annotations

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
