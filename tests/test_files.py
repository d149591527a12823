"""File helpers: atomic writes keep the old file when they fail and name what went wrong; reads
take regular files only and check every .npz member's header before inflating it."""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from twolayer.data.datasets import load_npz
from twolayer.errors import DataError, ModelFileError, TwoLayerError
from twolayer.io import memory
from twolayer.io.files import NUMERIC_KINDS, open_npz, read_bytes, read_npz
from twolayer.io.writing import atomic_write


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "m.npz"
    target.write_bytes(b"old model")

    def half_then_crash(f: Any) -> None:
        f.write(b"half a new mo")
        raise RuntimeError("disk died")

    with pytest.raises(RuntimeError, match="disk died"):
        atomic_write(target, half_then_crash)
    assert target.read_bytes() == b"old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_write_into_a_missing_directory_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match=r"cannot write .*: No such file or directory"):
        atomic_write(tmp_path / "nope" / "m.npz", lambda f: None, error=ModelFileError)


# --- only regular files are read, each .npz member header first ---------------------------------


def _bomb(path: Path, shape: tuple[int, ...], name: str = "x", **others: np.ndarray) -> None:
    """An .npz whose member ``name`` inflates to an array of zeros of ``shape`` (written in
    pieces: the whole array is never in memory), deflated to a small file."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(f"{name}.npy", "w", force_zip64=True) as f:
            header = {"descr": "<f8", "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_1_0(f, header)
            rows, piece = shape[0], bytes(8 * math.prod(shape[1:]) * 64)
            for _ in range(rows // 64):
                f.write(piece)
        for key, value in others.items():
            buffer = io.BytesIO()
            np.save(buffer, value)
            archive.writestr(f"{key}.npy", buffer.getvalue())


def _peak_while(call: Callable[[], object]) -> int:
    """The most bytes Python allocated while ``call`` ran (it is expected to raise)."""
    tracemalloc.start()
    try:
        with contextlib.suppress(TwoLayerError):
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


BOMB = (4096, 4096)  # 128 MiB of zeros, about 130 KB deflated


def test_an_npz_member_is_refused_by_its_header_before_it_inflates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bomb(tmp_path / "b.npz", BOMB, y=np.zeros(3))
    assert (tmp_path / "b.npz").stat().st_size < 2**20

    def only_three_rows(shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        if shape[0] != 3:
            raise DataError(f"shape {shape}, expected 3 rows")

    with open_npz(tmp_path / "b.npz") as npz:
        assert _peak_while(lambda: npz.read("x", check=only_three_rows)) < 4 * 2**20
        with pytest.raises(DataError, match=r"shape \(4096, 4096\), expected 3 rows"):
            npz.read("x", check=only_three_rows)
        with pytest.raises(DataError, match=r"b\.npz: array 'x': is 128\.0 MiB, more than the "
                           r"1\.0 MiB it may hold"):  # fmt: skip
            npz.read("x", limit=2**20)
        assert np.array_equal(npz.read("y"), np.zeros(3))
    monkeypatch.setattr(memory, "available_bytes", lambda: 64 * 2**20)  # a small machine
    assert _peak_while(lambda: load_npz(tmp_path / "b.npz")) < 4 * 2**20
    with pytest.raises(DataError, match=r"array 'x': shape \(4096, 4096\) of float64 needs "
                       r"128\.0 MiB, more than the 64\.0 MiB this machine has"):  # fmt: skip
        load_npz(tmp_path / "b.npz")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12.0).reshape(3, 4),
        np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        np.arange(6, dtype=">i4"),
        np.zeros((0, 5)),
        np.asarray(True),
        np.asarray("text: ünïcode"),
    ],
    ids=["C order", "Fortran order", "big-endian", "empty", "0-d", "text"],
)
def test_arrays_read_back_exactly(tmp_path: Path, array: np.ndarray) -> None:
    np.savez(tmp_path / "a.npz", a=array)
    np.savez_compressed(tmp_path / "c.npz", a=array)
    for name in ("a.npz", "c.npz"):
        kinds = {"a": "U" if array.dtype.kind == "U" else NUMERIC_KINDS}
        got = read_npz(tmp_path / name, kinds=kinds)["a"]
        assert got.dtype == array.dtype and got.shape == array.shape
        assert np.array_equal(got, array)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.symlink_to("/dev/zero"), "is not a regular file"),
        (lambda p: p.symlink_to("/dev/null"), "is not a regular file"),
        (lambda p: os.mkfifo(p), "is not a regular file (a device, a pipe or a socket)"),
        (lambda p: p.mkdir(), "is a directory, not a file"),
        (lambda p: p.write_bytes(b""), "the file is empty"),
        (lambda p: p.write_bytes(b"x" * 100), "the file is 100 bytes, more than the 99 bytes"),
        (lambda p: None, "no such file"),
    ],
    ids=["/dev/zero", "/dev/null", "a pipe", "a directory", "empty", "too large", "missing"],
)
def test_only_regular_files_are_read(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "f.csv"
    make(path)
    with pytest.raises(DataError, match="^" + re.escape(f"{path}: {message}")):
        read_bytes(path, limit=99)
    with pytest.raises(DataError, match="the file name is empty"):
        read_bytes("")


def test_a_temporary_file_of_a_killed_process_goes_at_the_next_save(tmp_path: Path) -> None:
    import subprocess
    import sys

    from twolayer.io.writing import atomic_write

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    gone = tmp_path / f".m.npz.{dead.stdout.strip()}-abcd1234.tmp"  # its process has ended
    mine = tmp_path / f".m.npz.{os.getpid()}-zz_9zz_9.tmp"  # a save of a process that runs
    for path in (gone, mine):
        path.write_text("half a model")  # brand new: no age rule would remove them
    atomic_write(tmp_path / "m.npz", lambda f: f.write(b"model"))
    assert not gone.exists() and mine.exists()
    assert (tmp_path / "m.npz").read_bytes() == b"model"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.npz", mine.name])


def test_an_array_declaring_a_huge_header_is_refused_before_it_is_read(tmp_path: Path) -> None:
    import tracemalloc
    import zipfile

    from twolayer.io.files import MAX_HEADER_BYTES, read_npy, read_npz

    declared = 512 * 2**20
    member = b"\x93NUMPY\x02\x00" + declared.to_bytes(4, "little") + b"{'descr': '<f8'" * 1000
    with zipfile.ZipFile(tmp_path / "m.npz", "w") as z:
        z.writestr("x.npy", member)
    (tmp_path / "x.npy").write_bytes(member)
    tracemalloc.start()
    try:
        for read, path in ((read_npz, "m.npz"), (read_npy, "x.npy")):
            with pytest.raises(DataError, match=r"its header claims 512.0 MiB; a header holds at "
                                                 r"most 64.0 KiB"):  # fmt: skip
                read(tmp_path / path)
        assert tracemalloc.get_traced_memory()[1] < 4 * MAX_HEADER_BYTES + 2**20
    finally:
        tracemalloc.stop()
