"""No command loses data: an output is never an input, outputs are written all or nothing,
destinations are checked before any work, empty file names are refused, and SIGTERM leaves
no half-written file.

Every refusal is exit code 2, one ``error:`` line, no traceback, and nothing created, changed or
removed on disk (bytes and mtimes compared).
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pytest

import twolayer
from helpers import assert_one_error, printed_lines, run_cli, snapshot
from twolayer.cli import main
from twolayer.outputs.modelfile_reader import load_model_file

SRC = str(Path(twolayer.__file__).resolve().parents[1])  # this tree's package, for children
QUICK = ["--iterations", "3", "--quiet", "--optimizer", "adam", "--lr", "1e-2"]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Path:
    """A folder holding d.csv, xy.npz, x.npy + y.npy, a model m.npz trained on d.csv (whose
    source is d.csv) and its history h.csv; the current directory."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((20, 3))
    (tmp_path / "d.csv").write_text(
        "a,b,y\n" + "".join(",".join(repr(float(v)) for v in r) + "\n" for r in rows)
    )
    np.savez(tmp_path / "xy.npz", x=rows[:, :2], y=rows[:, 2])
    np.save(tmp_path / "x.npy", rows[:, :2])
    np.save(tmp_path / "y.npy", rows[:, 2])
    assert main(["train", "--data", "d.csv", *QUICK, "--out", "m.npz", "--history", "h.csv"]) == 0
    capsys.readouterr()
    return tmp_path


def link(target: str, name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).symlink_to(target)


def hard_link(target: str, name: str) -> Callable[[Path], None]:
    return lambda folder: os.link(folder / target, folder / name)


def nothing(folder: Path) -> None:
    pass


SAME_FILE: list[tuple[str, Callable[[Path], None], list[str], list[str]]] = [
    ("history is the data", nothing, ["train", "--data", "d.csv", "--history", "d.csv"],
     ["--history 'd.csv' is the same file as --data 'd.csv'"]),
    ("model is the data", nothing, ["train", "--data", "xy.npz", "--out", "xy.npz"],
     ["--out 'xy.npz' is the same file as --data 'xy.npz'"]),
    ("predictions are the data", nothing,
     ["predict", "--model", "m.npz", "--data", "d.csv", "--out", "d.csv"],
     ["--out 'd.csv' is the same file as --data 'd.csv'"]),
    ("history through a symbolic link", link("d.csv", "l.csv"),
     ["train", "--data", "d.csv", "--history", "l.csv"], ["--history 'l.csv'", "--data 'd.csv'"]),
    ("history through a hard link", hard_link("d.csv", "hard.csv"),
     ["train", "--data", "d.csv", "--history", "hard.csv"], ["--history 'hard.csv'", "--data"]),
    ("history is the .npy targets", link("y.npy", "t.csv"),
     ["train", "--data", "x.npy", "y.npy", "--history", "t.csv"], ["--data 'y.npy'"]),
    ("plot through a link to the data", link("d.csv", "p.png"),
     ["train", "--data", "d.csv", "--plot", "p.png"], ["--plot 'p.png'", "--data 'd.csv'"]),
    ("predictions through a link to the model", link("m.npz", "p.csv"),
     ["predict", "--model", "m.npz", "--data", "d.csv", "--out", "p.csv"],
     ["--out 'p.csv' is the same file as --model 'm.npz'"]),
    ("history is the resumed run's data", nothing,
     ["train", "--resume", "m.npz", "--history", "d.csv"],
     ["--history 'd.csv' is the same file as --resume m.npz's training data"]),
    ("plot through a link to the resumed model", link("m.npz", "r.png"),
     ["train", "--resume", "m.npz", "--plot", "r.png"], ["--plot 'r.png'", "--resume 'm.npz'"]),
    ("plot image is the history it draws", link("h.csv", "h.png"),
     ["plot", "h.csv", "--out", "h.png"], ["--out 'h.png' is the same file as FILE 'h.csv'"]),
    ("two outputs, one file", link("new.csv", "new.png"),
     ["train", "--data", "d.csv", "--history", "new.csv", "--plot", "new.png"],
     ["--history and --plot name the same file 'new.png'"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "args", "parts"), [c[1:] for c in SAME_FILE], ids=[c[0] for c in SAME_FILE]
)
def test_an_output_that_is_an_input_or_another_output_is_refused(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    setup: Callable[[Path], None],
    args: list[str],
    parts: list[str],
) -> None:
    setup(in_tmp)
    before = snapshot(in_tmp)
    code, out, err = run_cli(args, capsys)
    assert_one_error(code, out, err, *parts)
    if "name the same file" not in err:
        assert err.rstrip().endswith("refusing to overwrite an input; write it elsewhere")
    assert snapshot(in_tmp) == before


def test_resume_may_continue_in_its_own_file(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--resume", "m.npz", "--iterations", "5", "--quiet"]) == 0
    assert main(["train", "--resume", "m.npz", "--out", "m.npz", "--iterations", "6"]) == 0
    saved = load_model_file("m.npz")
    assert saved.state is not None and saved.state.iteration == 6


# --- all or nothing ----------------------------------------------------------------------------


def full_disk(f: IO[bytes]) -> None:
    f.write(b"the first bytes")
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    ("target", "fails"),
    [
        ("twolayer.run.files.history_writer", "h.csv"),
        ("twolayer.run.files.plot_writer", "p.png"),
        ("twolayer.outputs.modelfile.model_writer", "m.npz"),
    ],
    ids=["history", "plot", "model"],
)
def test_a_failed_write_leaves_every_old_output_untouched(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    fails: str,
) -> None:
    (in_tmp / "p.png").write_bytes(b"an old plot")
    module, name = target.rsplit(".", 1)
    monkeypatch.setattr(module + "." + name, lambda *a, **k: full_disk)
    before = snapshot(in_tmp)
    args = ["train", "--data", "d.csv", *QUICK, "--out", "m.npz", "--history", "h.csv",
            "--plot", "p.png"]  # fmt: skip
    code, out, err = run_cli(args, capsys)
    assert "Traceback" not in err and len(printed_lines(out)) == 1  # trained: the final loss line
    assert_one_error(code, "", err, f"cannot write {fails}: No space left")
    assert snapshot(in_tmp) == before  # no output replaced, no temporary file left


# --- destinations checked before any work ------------------------------------------------------


def deny_writes(to: str) -> Callable[[pytest.MonkeyPatch, Path], None]:
    """As a read-only file or directory looks to a user that is not root."""

    def apply(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        real = os.access
        denied = (folder / to).resolve()
        monkeypatch.setattr(os, "access", lambda p, mode, **k: (
            False if Path(p).resolve() == denied and mode & os.W_OK else real(p, mode, **k)))  # fmt: skip

    return apply


def no_space(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setattr("twolayer.io.writing._free_bytes", lambda directory: 0)


def make(name: str, kind: str) -> Callable[[pytest.MonkeyPatch, Path], None]:
    def apply(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        if kind == "dir":
            (folder / name).mkdir()
        elif kind == "device":
            (folder / name).symlink_to(os.devnull)
        else:
            (folder / name).write_text("old")

    return apply


def no_change(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    pass


LONG = "x" * 250
DESTINATIONS: list[tuple[str, Callable[[pytest.MonkeyPatch, Path], None], list[str], str]] = [
    ("read-only directory", deny_writes("ro"), ["--out", "ro/m2.npz"],
     "--out 'ro/m2.npz': the directory 'ro' is not writable"),
    ("read-only file", deny_writes("h.csv"), ["--history", "h.csv"], "--history 'h.csv' is read-only"),
    ("a directory", make("out.npz", "dir"), ["--out", "out.npz"], "--out 'out.npz' is a directory"),
    ("a device", make("null.csv", "device"), ["--history", "null.csv"],
     "--history 'null.csv' is not a regular file"),
    ("missing directory", no_change, ["--plot", "no/p.png"], "the directory 'no' does not exist"),
    ("name too long", no_change, ["--history", f"{LONG}.csv"], "the file name is too long"),
    ("name too long for a temporary", no_change, ["--out", f"{LONG[:244]}.npz"],
     "the file name is too long for the file system (at most 230 bytes here)"),
    ("full disk", no_space, ["--out", "m2.npz"], "--out 'm2.npz': no space left on the device"),
    ("a resumed file that cannot be written back", deny_writes("m.npz"), ["--resume", "m.npz"],
     "--resume 'm.npz' is read-only"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "args", "message"), [c[1:] for c in DESTINATIONS], ids=[c[0] for c in DESTINATIONS]
)
def test_a_destination_that_cannot_be_written_is_refused_before_training(
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setup: Callable[[pytest.MonkeyPatch, Path], None],
    args: list[str],
    message: str,
) -> None:
    (in_tmp / "ro").mkdir()
    setup(monkeypatch, in_tmp)
    before = snapshot(in_tmp)
    data = [] if "--resume" in args else ["--data", "d.csv"]
    code, out, err = run_cli(["train", *data, "--iterations", "3", *args], capsys)
    assert_one_error(code, out, err, message)  # out == "": no iteration ran
    assert "cannot be written" not in err  # the message itself, not wrapped in another
    assert snapshot(in_tmp) == before


# --- empty file names --------------------------------------------------------------------------

EMPTY: list[list[str]] = [
    ["train", "--out", ""],
    ["train", "--resume", ""],
    ["train", "--history", ""],
    ["train", "--plot", ""],
    ["train", "--data", ""],
    ["train", "--data", "d.csv", "--sample-weight", ""],
    ["train", "--backend", "dask", "--scheduler", ""],
    ["predict", "--model", "", "--data", "d.csv"],
    ["predict", "--model", "m.npz", "--data", ""],
    ["predict", "--model", "m.npz", "--data", "d.csv", "--out", ""],
    ["evaluate", "--model", "", "--data", "d.csv"],
    ["plot", ""],
    ["plot", "h.csv", "--out", ""],
]


@pytest.mark.parametrize("args", EMPTY, ids=[" ".join(a) for a in EMPTY])
def test_an_empty_file_name_is_refused_naming_its_option(
    in_tmp: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    before = snapshot(in_tmp)
    code, out, err = run_cli(args, capsys)
    flag = args[args.index("") - 1]
    flag = flag if flag.startswith("--") else "FILE"
    assert_one_error(code, out, err, f"argument {flag}: ")
    assert "empty" in err
    assert snapshot(in_tmp) == before


# --- SIGTERM -----------------------------------------------------------------------------------


def test_sigterm_stops_training_like_ctrl_c_and_saves_a_checkpoint(in_tmp: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": SRC}
    child = subprocess.Popen(
        [sys.executable, "-m", "twolayer", "train", "--data", "d.csv", "--batch-size", "2",
         "--iterations", "1000000", "--out", "c.npz"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().startswith("# iteration")  # what the columns are
    assert [child.stdout.readline().split()[0] for _ in range(3)] == ["0", "1", "2"]
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "checkpoint saved to c.npz" in err and "Traceback" not in err
    saved = load_model_file("c.npz")
    assert saved.state is not None and saved.model.summary["stop_reason"] == "interrupted"
    assert not [p for p in in_tmp.iterdir() if p.name.endswith(".tmp")]


def test_stale_temporary_files_of_a_target_are_removed_by_its_next_save(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = time.time() - 3600
    stale = [".m.npz.abcd1234.tmp", ".m.npz.zz_9zz_9.tmp"]
    kept = [".m.npz.recent12.tmp", ".m.npz.toolong123.tmp", ".other.npz.abcd1234.tmp", "m.npz.tmp"]
    for name in stale + kept:
        (in_tmp / name).write_text("left by a killed run")
        if name != ".m.npz.recent12.tmp":
            os.utime(in_tmp / name, (old, old))
    assert main(["train", "--resume", "m.npz", "--iterations", "4", "--quiet"]) == 0
    left = {p.name for p in in_tmp.iterdir()}
    assert not left & set(stale) and set(kept) <= left


def test_a_second_interrupted_run_without_out_keeps_the_first_ones_checkpoint(
    in_tmp: Path,
) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": SRC}
    saved = []
    for _ in range(2):
        child = subprocess.Popen(
            [sys.executable, "-m", "twolayer", "train", "--data", "d.csv", "--batch-size", "2",
             "--iterations", "1000000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert child.stdout is not None
        assert child.stdout.readline().startswith("# iteration")
        assert child.stdout.readline().split()[0] == "0"
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
        assert child.returncode == 130, err
        saved.append(err.split("checkpoint saved to ")[1].split(";")[0])
        if len(saved) == 1:
            first = (in_tmp / saved[0]).read_bytes()
    assert saved == ["twolayer-checkpoint.npz", "twolayer-checkpoint-2.npz"]
    assert (in_tmp / saved[0]).read_bytes() == first  # the first run's checkpoint, untouched
    assert "continue with: twolayer train --resume twolayer-checkpoint-2.npz" in err
