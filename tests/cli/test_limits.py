"""Inputs that would exhaust memory or never end: sizes that cannot fit, devices, pipes and
files larger than memory.  Each is one ``error:`` line (exit code 2), before any work, with
nothing created or changed on disk."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import assert_one_error, run_cli, snapshot
from twolayer.cli import main
from twolayer.io import memory

MACHINE = 16 * 2**30


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Path:
    """A folder holding d.csv and a model r.npz trained on the seed's draws (kind random),
    the current directory, on a machine of 16 GiB whatever this one has."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(memory, "available_bytes", lambda: MACHINE)
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n4,5,6\n7,8,9\n1,1,2\n")
    args = ["train", "--n", "8", "--d-in", "3", "--hidden", "4", "--d-out", "2", "--iterations"]
    assert main([*args, "2", "--quiet", "--out", "r.npz"]) == 0
    capsys.readouterr()
    return tmp_path


def asks_for_rows(path: Path) -> None:
    """Edit r.npz so that its source asks for 10**9 of the seed's rows."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays["metadata"]))
    meta["source"]["n"] = 10**9
    np.savez(path, **{**arrays, "metadata": np.asarray(json.dumps(meta))})


SIZES: list[tuple[str, list[str], str]] = [
    ("seed, hidden", ["seed", "--hidden", "1000000000"], "--hidden 1000000000"),
    ("seed, samples", ["seed", "--n", "100000000"], "--n 100000000, --d-in 1000"),
    ("train, samples", ["train", "--n", "1000000000000"], "--n 1000000000000"),
    ("train, features", ["train", "--d-in", "100000000", "--n", "100"], "--d-in 100000000"),
    ("gradcheck", ["gradcheck", "--n", "1000000000"], "--n 1000000000, --d-in 4"),
    ("gradcheck, hidden", ["gradcheck", "--hidden", "10000000000"], "--hidden 10000000000"),
    ("train on a file", ["train", "--data", "d.csv", "--task", "regress", "--hidden",
                         "1000000000"],
     "samples=4, inputs=2, --hidden 1000000000, outputs=1"),
    ("train on a dataset", ["train", "--dataset", "diabetes", "--hidden", "1000000000"],
     "--hidden 1000000000"),
    ("a resumed source", ["train", "--resume", "r.npz"],
     "r.npz: metadata field 'source': n=1000000000, d_in=3"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), [c[1:] for c in SIZES], ids=[c[0] for c in SIZES])
def test_sizes_that_cannot_fit_are_refused_naming_them(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    if "diabetes" in args:
        pytest.importorskip("sklearn")
    if "r.npz" in args:
        asks_for_rows(in_tmp / "r.npz")
    before = snapshot(in_tmp)
    code, out, err = run_cli(args, capsys)
    assert_one_error(code, out, err, message, "of memory, more than the 16.0 GiB this machine has")
    assert snapshot(in_tmp) == before


def test_memory_error_is_one_error_line(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def exhausted(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(importlib.import_module("twolayer.train"), "train", exhausted)
    code, out, err = run_cli(["seed", "--iterations", "1"], capsys)
    assert_one_error(code, out, err, "twolayer seed: error: out of memory")


# --- devices, pipes, endless and oversized files -----------------------------------------------


def device(name: str, target: str = "/dev/zero") -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        (folder / name).symlink_to(target)
        return name

    return make


def fifo(name: str) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        os.mkfifo(folder / name)
        return name

    return make


def oversized(name: str) -> Callable[[Path], str]:
    """A file larger than the memory of the (pretended) machine."""

    def make(folder: Path) -> str:
        (folder / name).write_text("a,y\n" + "1,2\n" * 300)
        return name

    return make


NOT_FILES: list[tuple[str, Callable[[Path], str], list[str], str]] = [
    ("/dev/zero as CSV data", device("zero.csv"), ["train", "--data", "{}"],
     "zero.csv: is not a regular file (a device, a pipe or a socket); only files are read"),
    ("/dev/zero as .npz data", device("zero.npz"), ["train", "--data", "{}"], "zero.npz: is not"),
    ("/dev/zero as .npy data", device("x.npy"), ["train", "--data", "{}", "{}"], "x.npy: is not"),
    ("/dev/zero as a model", device("m.npz"), ["predict", "--model", "{}", "--data", "d.csv"],
     "m.npz: is not a regular file"),
    ("/dev/urandom as inputs", device("p.csv", "/dev/urandom"),
     ["predict", "--model", "r.npz", "--data", "{}"], "p.csv: is not a regular file"),
    ("a pipe as data", fifo("pipe.csv"), ["train", "--data", "{}"], "pipe.csv: is not"),
    ("a pipe as a history", fifo("h.csv"), ["plot", "{}", "--out", "h.png"], "h.csv: is not"),
    ("a pipe as a model to evaluate", fifo("e.npz"),
     ["evaluate", "--model", "{}", "--data", "d.csv"], "e.npz: is not a regular file"),
    ("a file larger than memory", oversized("big.csv"), ["train", "--data", "{}"],
     "big.csv: the file is 1.2 KiB, more than the 1000 bytes that can be read"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "args", "message"), [c[1:] for c in NOT_FILES], ids=[c[0] for c in NOT_FILES]
)
def test_only_regular_files_that_fit_are_read(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], str],
    args: list[str],
    message: str,
) -> None:
    if args[0] == "plot":
        pytest.importorskip("matplotlib")
    name = make(in_tmp)
    if "1000 bytes" in message:
        monkeypatch.setattr(memory, "available_bytes", lambda: 1000)
    before = snapshot(in_tmp)
    code, out, err = run_cli([a.format(name) for a in args], capsys)
    assert_one_error(code, out, err, message)
    assert f"error: {message}" in err  # the message itself, not wrapped in another
    assert snapshot(in_tmp) == before
