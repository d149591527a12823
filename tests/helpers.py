"""Small helpers shared by several test modules."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from twolayer.cli import main

RAW_TABLE = """\
name,age,colour,member,score,label
ann,34,red,yes,1.5,good
bob,,blue,no,2.5,bad
cy,45,red,yes,,good
dee,23,green,no,0.5,bad
eve,51,blue,yes,3.1,good
fay,38,red,no,2.2,bad
gus,29,green,yes,1.1,good
hal,62,blue,no,2.9,bad
ivy,41,red,yes,1.9,good
jon,36,green,no,2.4,bad
kim,57,blue,yes,0.9,good
lou,44,red,no,2.7,bad
"""
"""Twelve rows of a raw table: a name (an identifier), a missing age and a missing score, text
colours, yes/no, and class labels (the playground's tests of a user's file)."""


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


@dataclass
class Served:
    """A playground run as a process: its page's address, and once it stopped, its exit code
    and what it printed."""

    url: str  # as printed: http://127.0.0.1:PORT/?token=...
    returncode: int | None = None
    output: str = ""
    errors: str = ""

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``: the address without the path and the token."""
        return self.url.split("/?")[0]

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    @property
    def token(self) -> str:
        return self.url.split("token=")[1]


@contextlib.contextmanager
def playground_server(*args: str) -> Iterator[Served]:
    """``python -m twolayer playground --port 0 --no-browser ARGS`` as a real process, run with
    the twolayer these tests import, stopped with Ctrl-C (SIGINT) at the end."""
    import twolayer

    source = str(Path(twolayer.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "twolayer", "playground", "--port", "0", "--no-browser", *args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as process:  # fmt: skip
        assert process.stdout is not None
        line = process.stdout.readline()  # "twolayer playground: serving http://... (Ctrl-C ...)"
        if "serving " not in line:  # it stopped: say why
            raise AssertionError(f"the playground did not start: {line!r} {process.communicate()}")
        served = Served(line.split("serving ")[1].split()[0])
        try:
            yield served
        finally:
            process.send_signal(signal.SIGINT)
            try:
                out, served.errors = process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                out, served.errors = process.communicate()
            served.output, served.returncode = line + out, process.returncode


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


def printed_lines(out: str) -> list[str]:
    """The lines ``twolayer train`` printed on stdout, without the header line (``# ...``) that
    says what its loss columns are."""
    return [line for line in out.splitlines() if not line.startswith("# ")]


def error_lines(err: str) -> str:
    """stderr without the line that says what a run on real data trains and how (``twolayer
    train: regression of 'y' from ...``) and the notes on how its columns were read."""
    said = ("regression of ", "classification of ", "multilabel of ")
    kept = [line for line in err.splitlines(keepends=True)
            if not line.split(": ", 1)[-1].startswith(said)]  # fmt: skip
    return "".join(kept)
