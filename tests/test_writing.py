"""Writing: several outputs all or nothing, SIGTERM-safe temporary files, early checks."""

from __future__ import annotations

import errno
import os
import signal
import time
from pathlib import Path
from typing import IO

import pytest

from helpers import snapshot
from twolayer.errors import ConfigError, DataError
from twolayer.io.writing import check_distinct, check_writable, same_file, write_all


def test_one_failed_output_leaves_every_target_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("old a")
    (tmp_path / "c.csv").write_text("old c")

    def full(f: IO[bytes]) -> None:
        f.write(b"half of c")
        raise OSError(errno.ENOSPC, "No space left on device")

    before = snapshot(tmp_path)
    with pytest.raises(DataError, match=r"cannot write .*c\.csv: No space left on device"):
        write_all([(tmp_path / "a.csv", lambda f: f.write(b"new a")),
                   (tmp_path / "b.csv", lambda f: f.write(b"new b")), (tmp_path / "c.csv", full)])  # fmt: skip
    assert snapshot(tmp_path) == before
    write_all([(tmp_path / "a.csv", lambda f: f.write(b"new a")),
               (tmp_path / "b.csv", lambda f: f.write(b"new b"))])  # fmt: skip
    assert (tmp_path / "a.csv").read_text() == "new a" and (
        tmp_path / "b.csv"
    ).read_text() == "new b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv", "c.csv"]


def test_a_write_is_complete_or_absent_after_an_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twolayer.io.writing import write_all

    (tmp_path / "a.csv").write_text("old a")

    def killed(f: IO[bytes]) -> None:
        f.write(b"half")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends

    before = snapshot(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        write_all([(tmp_path / "b.csv", lambda f: f.write(b"b")), (tmp_path / "a.csv", killed)])
    assert snapshot(tmp_path) == before
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_same_file_sees_through_links_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    (tmp_path / "sym").symlink_to("a")
    os.link(tmp_path / "a", tmp_path / "hard")
    (tmp_path / "dangling").symlink_to("new")
    assert same_file(tmp_path / "a", tmp_path / "sym") and same_file(
        tmp_path / "a", tmp_path / "hard"
    )
    assert same_file(tmp_path / "dangling", tmp_path / "new")
    assert same_file(tmp_path / "x" / ".." / "a", tmp_path / "a")
    assert not same_file(tmp_path / "a", tmp_path / "b")
    with pytest.raises(ConfigError, match="--o and --p name the same file"):
        check_distinct([], [("--o", tmp_path / "new"), ("--p", tmp_path / "dangling")])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "--o: the file name is empty"),
        ("d", "is a directory"),
        ("nope/f.json", "the directory"),
        ("x" * 300 + "/f.json", "cannot be written: File name too long"),
        ("x" * 250, "the file name is too long for the file system"),
        ("f.txt", "must end in .json"),
    ],
)
def test_check_writable_names_what_is_wrong(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "d").mkdir()
    path = str(tmp_path / name) if name else ""
    suffixes = (".json",) if name == "f.txt" else ()
    with pytest.raises(ConfigError, match=message) as caught:
        check_writable(path, "--o", suffixes)
    assert str(caught.value).count("--o") == 1  # one message, not one wrapped in another
