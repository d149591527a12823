"""Files out, safely: destinations checked before any work, outputs written all or nothing.

* :func:`check_writable` refuses, before a run starts, a destination that cannot be written:
  an empty name, a directory, a device, a read-only file or directory, a missing directory, a
  name too long for the file system, a full disk.
* :func:`check_distinct` refuses an output that is the same file as an input (through symbolic
  or hard links too) or as another output.
* :func:`write_all` writes every output of a command into a temporary file beside it, flushed
  to disk, and renames them over their targets only when all were written: when one fails,
  every target keeps its old contents (or stays absent) and no temporary file is left.
  :func:`atomic_write` is the same for one file.  A SIGTERM during the writing is turned into
  ``KeyboardInterrupt`` (where nothing else handles it), so the temporary files are removed
  then too; temporary files a killed process left behind are removed by the next write of the
  same target.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from twolayer.errors import ConfigError, DataError, TwoLayerError

Writer = Callable[[IO[bytes]], object]
"""Writes one output's bytes into the open file it is given."""

TEMP_SUFFIX = ".tmp"
TEMP_NAME = re.compile(r"(?:(\d{1,10})-)?[a-z0-9_]{8}")
"""The middle of a temporary file's name: the writing process's id and the 8 random
characters :func:`tempfile.mkstemp` draws: ``.m.npz.<pid>-<8 characters>.tmp`` for ``m.npz``
(files of older versions have no process id)."""
STALE_SECONDS = 600
"""A temporary file with no process id (or whose process cannot be asked) older than this
belongs to a process that died while writing."""
TEMP_EXTRA = len(".") + len(".") + 11 + 8 + len(TEMP_SUFFIX)
"""How many characters a temporary file's name adds to its target's."""


# ---------------------------------------------------------------------------------------------
# Checks before any work


def check_writable(
    path: str | Path, what: str, suffixes: Sequence[str] = (), *, size: int = 1
) -> None:
    """Fail early, before any work, when ``path`` (the option ``what``) cannot be written or
    has the wrong suffix; ``size`` is how many bytes the file will take, when known."""
    text = str(path)
    if not text:
        raise ConfigError(f"{what}: the file name is empty")
    p = Path(path)
    if suffixes and p.suffix.lower() not in suffixes:
        raise ConfigError(f"{what} {text!r} must end in {' or '.join(suffixes)}")
    try:
        _check_destination(p, what, size)
    except ConfigError:
        raise
    except (OSError, ValueError) as exc:  # a name too long or holding NUL, a loop of links, ...
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigError(f"{what} {text!r} cannot be written: {reason}") from None


def _check_destination(p: Path, what: str, size: int) -> None:
    text = str(p)
    name_max = _pathconf(p.parent, "PC_NAME_MAX", 255)
    if len(os.fsencode(p.name)) + TEMP_EXTRA > name_max:
        raise ConfigError(f"{what} {text!r}: the file name is too long for the file system "
                          f"(at most {name_max - TEMP_EXTRA} bytes here)")  # fmt: skip
    try:
        info = os.stat(p)
    except FileNotFoundError:
        info = None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(f"{what} {text!r} is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{what} {text!r} is not a regular file (a device, a pipe or a "
                              "socket); only files are written")  # fmt: skip
        if not os.access(p, os.W_OK):
            raise ConfigError(f"{what} {text!r} is read-only")
    parent = p.parent
    if not parent.is_dir():
        raise ConfigError(f"{what} {text!r}: the directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {text!r}: the directory {str(parent)!r} is not writable")
    free = _free_bytes(parent)
    if free is not None and free < size:
        raise ConfigError(f"{what} {text!r}: no space left on the device of {str(parent)!r}")


def _pathconf(directory: Path, name: str, default: int) -> int:
    try:
        return int(os.pathconf(directory, name))
    except (AttributeError, OSError, ValueError):  # not POSIX, or the directory is missing
        return default


def _free_bytes(directory: Path) -> int | None:
    try:
        s = os.statvfs(directory)
    except (AttributeError, OSError):
        return None
    return s.f_bavail * s.f_frsize


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same device and inode when both exist
    (symbolic and hard links included), else the same path once links are resolved."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        try:
            return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))
        except (OSError, ValueError):  # a name holding NUL: no file, which the readers say
            return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def check_distinct(
    inputs: Sequence[tuple[str, str | Path]], outputs: Sequence[tuple[str, str | Path]]
) -> None:
    """Refuse an output that is the same file as an input, or as another output, before any
    file is touched; each is a pair (the option that names it, its path)."""
    for k, (flag, path) in enumerate(outputs):
        for in_flag, source in inputs:
            if same_file(path, source):
                raise ConfigError(
                    f"{flag} {str(path)!r} is the same file as {in_flag} {str(source)!r}: "
                    "refusing to overwrite an input; write it elsewhere"
                )
        for other_flag, other in outputs[:k]:
            if same_file(path, other):
                raise ConfigError(
                    f"{other_flag} and {flag} name the same file {str(path)!r}: give each its own"
                )


# ---------------------------------------------------------------------------------------------
# Writing all or nothing


def atomic_write(
    path: str | Path, write: Writer, *, error: type[TwoLayerError] = DataError
) -> None:
    """Write ``path`` all at once (see :func:`write_all`)."""
    write_all([(path, write)], error=error)


def write_all(
    outputs: Sequence[tuple[str | Path, Writer]], *, error: type[TwoLayerError] = DataError
) -> None:
    """Write every ``(path, write)`` into a temporary file beside its path, flushed to disk,
    then rename them all over their targets.

    If any ``write`` fails (or the process is interrupted or terminated), every target keeps
    its old contents (or stays absent) and every temporary file is removed; an ``OSError``
    becomes ``error`` naming the file.
    """
    temps: list[tuple[str, Path]] = []
    try:
        with _terminate_raises():
            for path, write in outputs:
                temps.append((_write_temp(Path(path), write, error), Path(path)))
            while temps:
                tmp, target = temps[0]
                try:
                    os.replace(tmp, target)
                except OSError as exc:
                    raise error(f"cannot write {target}: {exc.strerror or exc}") from None
                temps.pop(0)
    except BaseException:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    for directory in {Path(p).parent for p, _ in outputs}:
        _sync_directory(directory)


def _write_temp(target: Path, write: Writer, error: type[TwoLayerError]) -> str:
    """Write a temporary file beside ``target``; return its name (removed if this fails)."""
    if not str(target):
        raise error("cannot write a file without a name")
    remove_stale_temps(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}-", suffix=TEMP_SUFFIX,
                                   dir=target.parent)  # fmt: skip
    except OSError as exc:
        raise error(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target))
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise error(f"cannot write {target}: {exc.strerror or exc}") from None
        raise
    return tmp


def remove_stale_temps(target: Path, older_than: float = STALE_SECONDS) -> None:
    """Remove the temporary files of ``target`` (named as :data:`TEMP_NAME` says, in its
    directory) that a process which died while writing left: those whose process is gone
    (a SIGKILL mid-save), and those older than ``older_than`` seconds whose process cannot be
    told.  A process still running keeps its file."""
    prefix = f".{target.name}."
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(target.parent) as entries:
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
                continue
            found = TEMP_NAME.fullmatch(name[len(prefix) : -len(TEMP_SUFFIX)])
            if found is None:
                continue
            alive = _process_alive(int(found.group(1))) if found.group(1) else None
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                old = now - info.st_mtime > older_than
                if stat.S_ISREG(info.st_mode) and (alive is False or (alive is None and old)):
                    os.unlink(entry.path)


def _process_alive(pid: int) -> bool | None:
    """Whether process ``pid`` runs (this one does); None when that cannot be told."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except (OverflowError, OSError):
        return None  # a pid this system cannot hold
    return True


@contextlib.contextmanager
def _terminate_raises() -> Iterator[None]:
    """Inside, SIGTERM raises ``KeyboardInterrupt`` as Ctrl-C does, when its handler is the
    default one (which would kill the process at once and leave the temporary files)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield  # someone else handles it (a training run's StopOnInterrupt, an application)
        return
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new file gets rw-r--r--."""
    with contextlib.suppress(OSError):
        return target.stat().st_mode & 0o777
    return 0o644


def _sync_directory(directory: Path) -> None:
    """Make the renames themselves durable (POSIX); harmless to skip where unsupported."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = [
    "atomic_write",
    "check_distinct",
    "check_writable",
    "remove_stale_temps",
    "same_file",
    "write_all",
]
