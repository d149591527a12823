"""Files in, safely: whole-file reads of regular files only, and ``.npy``/``.npz`` decoding that
never unpickles and checks every array's header before reading its data.

Every reader of the package goes through these helpers, so each rule is written once: a
missing, empty or non-regular file (a device such as ``/dev/zero``, a pipe) is one clear error;
a file larger than memory is refused before it is read; an object array is refused before
anything of it is read; an ``.npz`` member's shape, dtype and size are checked against what its
caller allows before it is inflated, so a small archive cannot expand into gigabytes.  Writing
is :mod:`twolayer.io.writing`.
"""

from __future__ import annotations

import io
import math
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from twolayer.errors import DataError, TwoLayerError
from twolayer.io import memory
from twolayer.io.memory import format_bytes

NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats: what can become float64


@dataclass(frozen=True)
class Header:
    """An array's shape, dtype and memory order, as its ``.npy`` header states them."""

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    fortran: bool = False


HeaderCheck = Callable[[tuple[int, ...], np.dtype[Any]], None]
"""Called with an ``.npz`` member's header before its data are read; raises to refuse it."""


def read_bytes(
    path: str | Path, error: type[TwoLayerError] = DataError, limit: int | None = None
) -> bytes:
    """The contents of the regular file ``path``.

    A missing file, a directory, anything but a regular file (a device, a pipe, a socket), an
    empty file, or one larger than ``limit`` bytes (default: the memory this process may use)
    raise ``error``, before anything is read.
    """
    p = Path(path)
    if not str(path):
        raise error("the file name is empty")
    try:
        _check_regular(p, os.stat(p), error)
        # O_NONBLOCK: should the path become a pipe after the check, opening it cannot hang.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except TwoLayerError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: a name holding a NUL character
        raise error(f"{p}: cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        _check_regular(p, info, error)
        most = memory.available_bytes() if limit is None else limit
        if most is not None and info.st_size > most:
            raise error(f"{p}: the file is {format_bytes(info.st_size)}, more than the "
                        f"{format_bytes(most)} that can be read")  # fmt: skip
        parts: list[bytes] = []
        total = 0
        try:  # in pieces: a file may grow while it is read, or state no size (/proc)
            while piece := f.read(max(info.st_size + 1 - total, 1 << 20)):
                parts.append(piece)
                total += len(piece)
                if most is not None and total > most:
                    raise error(f"{p}: the file is larger than the {format_bytes(most)} that "
                                "can be read")  # fmt: skip
        except OSError as exc:
            raise error(f"{p}: cannot be read: {exc.strerror or exc}") from None
    data = b"".join(parts)
    if not data:
        raise error(f"{p}: the file is empty")
    return data


def _check_regular(p: Path, info: os.stat_result, error: type[TwoLayerError]) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{p}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{p}: is not a regular file (a device, a pipe or a socket); only files "
                    "are read")  # fmt: skip


MAX_HEADER_BYTES = 65536
"""The largest ``.npy`` header read: NumPy writes a few hundred bytes, and reads a declared
header whole before it checks its size, so a tiny file declaring a huge one would cost that
much memory before it is refused."""


def _bounded_header(fp: IO[bytes], where: str, error: type[TwoLayerError]) -> io.BytesIO:
    """The magic string, version, length and header text of an ``.npy`` array read from ``fp``
    (left at the first data byte), refused when the header it declares is larger than
    :data:`MAX_HEADER_BYTES`: a copy NumPy's header parser then reads."""
    start = fp.read(8)  # \x93NUMPY, then the major and minor version
    if len(start) < 8 or start[:6] != b"\x93NUMPY":
        raise error(f"{where}: not a valid .npy array (no .npy magic string)")
    length_bytes = fp.read(2 if start[6] == 1 else 4)
    length = int.from_bytes(length_bytes, "little")
    if length > MAX_HEADER_BYTES:
        raise error(f"{where}: not a valid .npy array (its header claims {format_bytes(length)}; "
                    f"a header holds at most {format_bytes(MAX_HEADER_BYTES)})")  # fmt: skip
    return io.BytesIO(start + length_bytes + fp.read(length))


def _read_header(fp: IO[bytes], where: str, error: type[TwoLayerError], kinds: str) -> Header:
    """Parse an ``.npy`` header from ``fp`` (left at the first data byte) and check its dtype
    kind (``"biuf"`` numbers, ``"U"`` text) and shape; object arrays are refused here."""
    head = _bounded_header(fp, where, error)
    try:
        version = np.lib.format.read_magic(head)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(head)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(head)
        else:
            raise error(f"{where}: unsupported .npy format version {version[0]}.{version[1]}")
    except (TwoLayerError, zipfile.BadZipFile, zlib.error):
        raise  # a damaged archive, which its reader reports (Npz)
    except Exception as exc:
        # NumPy parses the header with tokenize and ast, whose errors on damaged text are
        # many (ValueError, SyntaxError, tokenize.TokenError, RecursionError, ...) and not
        # part of its contract: whatever they are, the file is not a valid .npy array.
        raise error(f"{where}: not a valid .npy array ({_first_line(exc)})") from None
    if dtype.hasobject:
        raise error(f"{where}: holds Python objects (a pickle); refusing to load it")
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype is not None:
        raise error(f"{where}: has data type {dtype}, not {_kinds_text(kinds)}")
    if any(d < 0 for d in shape):
        raise error(f"{where}: has a negative dimension in its shape {shape}")
    return Header(tuple(shape), dtype, bool(fortran))


def _array_from(
    fp: IO[bytes], header: Header, body_size: int, where: str, error: type[TwoLayerError]
) -> NDArray[Any]:
    """Read the data of ``header`` from ``fp``, whose remaining size is ``body_size`` bytes,
    into one array allocated once (never more memory than the array itself)."""
    shape, dtype = header.shape, header.dtype
    count = math.prod(shape)
    expected = count * dtype.itemsize
    if body_size != expected:
        what = "truncated" if body_size < expected else "followed by unexpected bytes"
        raise error(f"{where}: {what}: shape {shape} of {dtype} needs {expected} bytes, "
                    f"found {body_size}")  # fmt: skip
    most = memory.available_bytes()
    if most is not None and max(expected, count) > most:
        raise error(f"{where}: shape {shape} of {dtype} needs {format_bytes(expected)}, more "
                    f"than the {format_bytes(most)} this machine has")  # fmt: skip
    try:
        buffer = bytearray(expected)
    except MemoryError:
        raise error(
            f"{where}: shape {shape} of {dtype} needs {format_bytes(expected)}, more "
            "memory than this machine could give"
        ) from None
    view, done = memoryview(buffer), 0
    while done < expected:
        got = fp.readinto(view[done:])  # type: ignore[attr-defined]
        if not got:
            raise error(f"{where}: truncated: shape {shape} of {dtype} needs {expected} bytes")
        done += got
    if fp.read(1):  # also where zipfile checks the member's CRC
        raise error(f"{where}: followed by unexpected bytes")
    flat = np.frombuffer(buffer, dtype=dtype, count=count) if expected else np.empty(0, dtype)
    return flat.reshape(shape, order="F" if header.fortran else "C")


def _read_npy_bytes(
    data: bytes, where: str, error: type[TwoLayerError], kinds: str = NUMERIC_KINDS
) -> NDArray[Any]:
    """Parse one ``.npy`` image without unpickling, checking its header against its bytes."""
    fp = io.BytesIO(data)
    header = _read_header(fp, where, error, kinds)
    return _array_from(fp, header, len(data) - fp.tell(), where, error)


def _kinds_text(kinds: str) -> str:
    return "text" if kinds == "U" else "numbers"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_npy(
    path: str | Path, error: type[TwoLayerError] = DataError, kinds: str = NUMERIC_KINDS
) -> NDArray[Any]:
    """Load one ``.npy`` file safely (see :func:`_read_npy_bytes`)."""
    return _read_npy_bytes(read_bytes(path, error), str(path), error, kinds)


class Npz:
    """An open ``.npz`` archive whose arrays are read one at a time, each header first.

    Use :func:`open_npz`.  :meth:`read` checks the member's header (dtype kind, shape; then
    ``check``, the caller's own rule) and its declared size before inflating any data; a
    member that is never read is never inflated.
    """

    def __init__(self, path: str, archive: zipfile.ZipFile, error: type[TwoLayerError]) -> None:
        self.path, self.archive, self.error = path, archive, error
        self.members = {
            info.filename.removesuffix(".npy"): info
            for info in archive.infolist()
            if not info.is_dir()
        }

    def __contains__(self, name: str) -> bool:
        return name in self.members

    def names(self) -> list[str]:
        return list(self.members)

    def read(
        self,
        name: str,
        kinds: str = NUMERIC_KINDS,
        check: HeaderCheck | None = None,
        limit: int | None = None,
    ) -> NDArray[Any]:
        """The array ``name``; ``check(shape, dtype)`` runs on its header before any data are
        read, and a member inflating to more than ``limit`` bytes is refused unread."""
        where = f"{self.path}: array '{name}'"
        info = self.members[name]
        if limit is not None and info.file_size > limit:
            raise self.error(f"{where}: is {format_bytes(info.file_size)}, more than the "
                             f"{format_bytes(limit)} it may hold")  # fmt: skip
        with self._damage(), self.archive.open(info) as fp:
            header = _read_header(fp, where, self.error, kinds)
            if check is not None:
                check(header.shape, header.dtype)
            return _array_from(fp, header, info.file_size - fp.tell(), where, self.error)

    @contextmanager
    def _damage(self) -> Iterator[None]:
        try:
            yield
        except TwoLayerError:
            raise
        except Exception as exc:
            # zipfile and its decompressors fail on damaged archives in many ways (BadZipFile,
            # zlib.error, EOFError, IndexError on a mangled zip64 field, RuntimeError for an
            # encrypted member, NotImplementedError for an unknown compression, ...).
            message = f"{self.path}: not a valid .npz archive ({_first_line(exc)})"
            raise self.error(message) from None


@contextmanager
def open_npz(path: str | Path, error: type[TwoLayerError] = DataError) -> Iterator[Npz]:
    """Open the ``.npz`` archive ``path`` (a regular file, read whole: its size is bounded)."""
    data = read_bytes(path, error)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # as in Npz._damage: the archive's directory is damaged
        raise error(f"{path}: not a valid .npz archive ({_first_line(exc)})") from None
    with archive:
        yield Npz(str(path), archive, error)


def read_npz(
    path: str | Path,
    error: type[TwoLayerError] = DataError,
    kinds: dict[str, str] | None = None,
) -> dict[str, NDArray[Any]]:
    """Load every array of a ``.npz`` archive, never unpickling (see :class:`Npz`).

    The zip's CRC checks catch corrupted bytes.  ``kinds`` maps array names to accepted dtype
    kinds (default numbers).
    """
    with open_npz(path, error) as npz:
        chosen = kinds or {}
        return {name: npz.read(name, chosen.get(name, NUMERIC_KINDS)) for name in npz.names()}
