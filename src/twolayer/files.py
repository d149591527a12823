"""Files in and out, safely: whole-file reads, ``.npy``/``.npz`` decoding that never unpickles,
atomic writes and early checks that a destination can be written.

Every reader and writer of the package goes through these helpers, so each rule (a missing or
empty file is one clear error; an object array is refused before it is read; a crash never
leaves a half-written file) is written once.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from twolayer.errors import ConfigError, DataError, TwoLayerError

NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats: what can become float64


def read_bytes(path: str | Path, error: type[TwoLayerError] = DataError) -> bytes:
    """The contents of ``path``; a missing file, a directory or an empty file raise ``error``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise error(f"{p}: no such file") from None
    except IsADirectoryError:
        raise error(f"{p}: is a directory, not a file") from None
    except OSError as exc:
        raise error(f"{p}: cannot be read: {exc.strerror or exc}") from None
    if not data:
        raise error(f"{p}: the file is empty")
    return data


def _read_npy_bytes(
    data: bytes, where: str, error: type[TwoLayerError], kinds: str = NUMERIC_KINDS
) -> NDArray[Any]:
    """Parse one ``.npy`` image without unpickling, checking its header against its bytes.

    ``kinds`` are the dtype kinds accepted (``"biuf"`` numbers, ``"U"`` text); object arrays are
    refused before anything of them is read.
    """
    fp = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise error(f"{where}: unsupported .npy format version {version[0]}.{version[1]}")
    except TwoLayerError:
        raise
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
    body = memoryview(data)[fp.tell() :]
    expected = math.prod(shape) * dtype.itemsize
    if len(body) != expected:
        what = "truncated" if len(body) < expected else "followed by unexpected bytes"
        raise error(
            f"{where}: {what}: shape {shape} of {dtype} needs {expected} bytes, found {len(body)}"
        )
    flat = np.frombuffer(body, dtype=dtype, count=math.prod(shape))
    return flat.reshape(shape, order="F" if fortran else "C").copy()


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


def read_npz(
    path: str | Path,
    error: type[TwoLayerError] = DataError,
    kinds: dict[str, str] | None = None,
) -> dict[str, NDArray[Any]]:
    """Load every array of a ``.npz`` archive, never unpickling.

    The zip's CRC checks catch corrupted bytes; every member is read with
    :func:`_read_npy_bytes`.  ``kinds`` maps array names to accepted dtype kinds (default
    numbers).
    """
    data = read_bytes(path, error)
    arrays: dict[str, NDArray[Any]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                name = info.filename.removesuffix(".npy")
                raw = archive.read(info)
                accepted = (kinds or {}).get(name, NUMERIC_KINDS)
                arrays[name] = _read_npy_bytes(raw, f"{path}: array '{name}'", error, accepted)
    except TwoLayerError:
        raise
    except Exception as exc:
        # zipfile and its decompressors fail on damaged archives in many ways (BadZipFile,
        # zlib.error, EOFError, IndexError on a mangled zip64 field, RuntimeError for an
        # encrypted member, NotImplementedError for an unknown compression, ...).
        raise error(f"{path}: not a valid .npz archive ({_first_line(exc)})") from None
    return arrays


def atomic_write(
    path: str | Path,
    write: Callable[[IO[bytes]], object],
    *,
    error: type[TwoLayerError] = DataError,
) -> None:
    """Write ``path`` all at once: into a temporary file beside it, flushed to disk, renamed.

    If ``write`` fails (or the process dies), ``path`` keeps its old contents (or stays
    absent) and the temporary file is removed.
    """
    target = Path(path)
    directory = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise error(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise error(f"cannot write {target}: {exc.strerror or exc}") from None
        raise
    _sync_directory(directory)


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets rw-r--r-- less the umask's bits."""
    with contextlib.suppress(OSError):
        return target.stat().st_mode & 0o777
    return 0o644


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless to skip where unsupported."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_writable(path: str | Path, what: str, suffixes: Sequence[str] = ()) -> None:
    """Fail early, before any work, when ``path`` cannot be written or has the wrong suffix."""
    p = Path(path)
    if suffixes and p.suffix.lower() not in suffixes:
        raise ConfigError(f"{what} {str(p)!r} must end in {' or '.join(suffixes)}")
    if p.is_dir():
        raise ConfigError(f"{what} {str(p)!r} is a directory")
    if not p.parent.is_dir():
        raise ConfigError(f"{what} {str(p)!r}: the directory {str(p.parent)!r} does not exist")
