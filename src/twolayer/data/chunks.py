"""Data on disk for Dask: directories of ``.npy`` chunk files and Zarr stores, opened lazily.

:func:`open_data` turns either into Dask arrays ``(x, y)`` chunked along samples while
reading nothing but headers; each chunk is read by the task that uses it, so a cluster whose
memory cannot hold the data reads its chunks from storage every iteration.
:func:`save_chunks` and :func:`save_zarr` write them.  Dask (and Zarr for the stores) is an
optional extra: ``pip install 'twolayer[dask]'``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import import_optional, require
from twolayer.errors import DataError
from twolayer.io.files import NUMERIC_KINDS


def open_data(path: str | Path) -> tuple[Any, Any]:
    """Open training data lazily as Dask arrays ``(x, y)`` chunked along samples.

    ``path`` is either

    * a directory of ``.npy`` chunk files ``x_<k>.npy`` (n_k, D_in) and ``y_<k>.npy``
      (n_k, D_out), taken in the sorted order of their names (:func:`save_chunks` writes one);
    * or a Zarr store (a local directory or an fsspec URL) whose root group holds arrays ``x``
      and ``y`` with the same number of rows, chunked along rows (:func:`save_zarr` writes one).

    Nothing is read but the files' headers; the chunks are read by the tasks that use them.
    """
    text = str(path)
    if "://" in text or _is_zarr(Path(text)):
        return _open_zarr(text)
    directory = Path(text)
    if not directory.is_dir():
        raise DataError(f"{text}: no such directory (expected .npy chunk files or a Zarr store)")
    return _open_npy_chunks(directory)


def _is_zarr(path: Path) -> bool:
    return (path / "zarr.json").is_file() or (path / ".zgroup").is_file()


def _open_npy_chunks(directory: Path) -> tuple[Any, Any]:
    dask, da = import_optional("dask", "Dask", "dask"), require("dask")
    files = {name: sorted(directory.glob(f"{name}_*.npy")) for name in ("x", "y")}
    if not files["x"] and not files["y"]:
        raise DataError(f"{directory}: holds neither x_*.npy chunk files nor a Zarr store")
    keys = {name: [p.name[2:] for p in paths] for name, paths in files.items()}
    if keys["x"] != keys["y"]:
        unpaired = sorted(set(keys["x"]) ^ set(keys["y"]))
        raise DataError(f"{directory}: x and y chunk files do not pair up (see *_{unpaired[0]})")
    pieces: dict[str, list[Any]] = {"x": [], "y": []}
    for px, py in zip(files["x"], files["y"], strict=True):
        (nx, dx), (ny, dy) = _npy_header(px), _npy_header(py)
        if nx != ny:
            raise DataError(f"{px.name} has {nx} rows but {py.name} has {ny}")
        for name, p, shape in (("x", px, (nx, dx[1])), ("y", py, (ny, dy[1]))):
            load = dask.delayed(_load_npy, pure=True)(str(p), p.stat().st_mtime_ns)
            pieces[name].append(da.from_delayed(load, shape, dtype=dx[0] if name == "x" else dy[0]))
    widths = {name: {piece.shape[1] for piece in pieces[name]} for name in pieces}
    for name, found in widths.items():
        if len(found) > 1:
            raise DataError(f"{directory}: the {name} chunks differ in width: {sorted(found)}")
    return da.concatenate(pieces["x"]), da.concatenate(pieces["y"])


def _npy_header(path: Path) -> tuple[int, tuple[np.dtype[Any], int]]:
    """Rows, dtype and columns of a 2-D numeric ``.npy`` file, read from its header only."""
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npy file ({exc})") from None
    if a.ndim != 2 or a.dtype.kind not in NUMERIC_KINDS:  # as the in-memory loader takes
        raise DataError(f"{path}: expected a 2-D numeric array, got {a.ndim}-D {a.dtype}")
    return int(a.shape[0]), (a.dtype, int(a.shape[1]))


def _load_npy(path: str, stamp: int) -> NDArray[Any]:
    """Read one chunk file (``stamp``, its modification time, keeps Dask's keys fresh)."""
    return np.asarray(np.load(path, allow_pickle=False))


def _open_zarr(url: str) -> tuple[Any, Any]:
    da = require("dask")
    zarr = import_optional("zarr", "Zarr", "dask")
    try:
        group = zarr.open_group(url, mode="r")
    except Exception as exc:  # zarr raises several kinds for a missing or broken store
        raise DataError(f"{url}: cannot open the Zarr store ({exc})") from None
    missing = [name for name in ("x", "y") if name not in group]
    if missing:
        raise DataError(f"{url}: the Zarr store has no array named {missing[0]!r}")
    return da.from_zarr(group["x"]), da.from_zarr(group["y"])


def save_chunks(directory: str | Path, blocks: Iterable[tuple[Any, Any]]) -> Path:
    """Write ``(x_block, y_block)`` pairs as ``x_00000.npy``, ``y_00000.npy``, ... in
    ``directory`` (created if needed; it must not hold chunk files yet).  Blocks are written one
    at a time, so a generator can produce a dataset larger than memory."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.glob("[xy]_*.npy")):
        raise DataError(f"{out}: already holds chunk files")
    for k, (xb, yb) in enumerate(blocks):
        np.save(out / f"x_{k:05d}.npy", np.asarray(xb))
        np.save(out / f"y_{k:05d}.npy", np.asarray(yb))
    return out


def save_zarr(path: str | Path, x: Any, y: Any, *, chunk_rows: int) -> Path:
    """Write ``x`` (N, D_in) and ``y`` (N, D_out), NumPy or Dask arrays, as a Zarr store whose
    arrays ``x`` and ``y`` are chunked every ``chunk_rows`` rows."""
    da = require("dask")
    zarr = import_optional("zarr", "Zarr", "dask")
    zarr.open_group(str(path), mode="w")
    for name, a in (("x", x), ("y", y)):
        chunked = da.asarray(a).rechunk((chunk_rows, -1))
        da.to_zarr(chunked, str(path), component=name, overwrite=True)
    return Path(path)


__all__ = ["open_data", "save_chunks", "save_zarr"]
