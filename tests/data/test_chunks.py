"""Chunked data on disk: ``.npy`` chunk directories and Zarr stores opened lazily, and every bad
directory's or store's message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dask", reason="the dask extra is not installed")
pytest.importorskip("zarr", reason="the dask extra is not installed")

from helpers import blocks
from twolayer.data.chunks import open_data, save_chunks
from twolayer.errors import DataError

# --- reading data -----------------------------------------------------------------------------


def test_open_data_reads_nothing_but_headers(tmp_path: Path) -> None:
    x = np.arange(12.0).reshape(6, 2)
    path = save_chunks(tmp_path / "d", blocks(x, x[:, :1], 4))
    xd, yd = open_data(path)
    (path / "x_00000.npy").write_bytes(b"")  # only a computation would notice now
    assert xd.shape == (6, 2) and yd.shape == (6, 1) and xd.chunks[0] == (4, 2)


def test_chunks_take_what_the_in_memory_loader_takes_booleans_included(tmp_path: Path) -> None:
    from twolayer.data.datasets import load_npy_pair

    x = np.array([[True, False], [False, True], [True, True]])
    y = np.array([[1.0], [2.0], [3.0]])
    folder = tmp_path / "d"
    folder.mkdir()
    np.save(folder / "x_0.npy", x)
    np.save(folder / "y_0.npy", y)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    xd, yd = open_data(folder)
    assert yd.shape == (3, 1)
    in_memory = load_npy_pair(tmp_path / "x.npy", tmp_path / "y.npy")
    np.testing.assert_array_equal(np.asarray(xd.compute(), dtype=np.float64), in_memory.x)
    np.save(folder / "x_0.npy", np.array([["a", "b"], ["c", "d"], ["e", "f"]]))
    with pytest.raises(DataError, match="expected a 2-D numeric array, got 2-D <U1"):
        open_data(folder)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds neither x_\\*.npy chunk files nor a Zarr store"),
        ({"x_0": (3, 2), "y_1": (3, 1)}, "do not pair up"),
        ({"x_0": (3, 2), "y_0": (4, 1)}, "x_0.npy has 3 rows but y_0.npy has 4"),
        ({"x_0": (3, 2), "y_0": (3, 1), "x_1": (2, 3), "y_1": (2, 1)}, "differ in width"),
        ({"x_0": (3,), "y_0": (3, 1)}, "expected a 2-D numeric array"),
    ],
)
def test_bad_chunk_directories(
    tmp_path: Path, files: dict[str, tuple[int, ...]], message: str
) -> None:
    for name, shape in files.items():
        np.save(tmp_path / f"{name}.npy", np.zeros(shape))
    with pytest.raises(DataError, match=message):
        open_data(tmp_path)


def test_bad_paths_and_stores(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such directory"):
        open_data(tmp_path / "missing")
    (tmp_path / "broken.npy").mkdir()
    np.save(tmp_path / "broken.npy" / "x_0.npy", np.zeros((2, 2)))
    (tmp_path / "broken.npy" / "y_0.npy").write_bytes(b"not an npy file")
    with pytest.raises(DataError, match=r"y_0\.npy: not a readable \.npy file"):
        open_data(tmp_path / "broken.npy")
    import zarr

    store = zarr.open_group(str(tmp_path / "only_x.zarr"), mode="w")
    store.create_array("x", shape=(4, 2), dtype="f8")
    with pytest.raises(DataError, match="the Zarr store has no array named 'y'"):
        open_data(tmp_path / "only_x.zarr")


def test_save_chunks_never_mixes_datasets(tmp_path: Path) -> None:
    x = np.ones((4, 2))
    save_chunks(tmp_path, blocks(x, x, 2))
    with pytest.raises(DataError, match="already holds chunk files"):
        save_chunks(tmp_path, blocks(x, x, 2))
