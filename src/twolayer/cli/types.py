"""The argparse types of the command line's values: numbers in range, file and folder names,
lists of columns, seeds; each refuses a bad value with a message argparse prints."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """argparse type: an integer > 0."""
    value = int(_number(text, int, "an integer"))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be an integer > 0, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(_number(text, int, "an integer"))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = _number(text, float, "a number")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def finite_float(text: str) -> float:
    """argparse type: a finite number (ranges are checked by the configuration)."""
    value = _number(text, float, "a number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 to 65535 (0: any free port)."""
    value = int(_number(text, int, "an integer"))
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {text}")
    return value


def file_path(text: str) -> str:
    """argparse type: a file's name, which cannot be empty (an empty one would be ignored) nor
    end in ``/`` (which names a directory: ``m.npz/`` is not the file ``m.npz``)."""
    if not text:
        raise argparse.ArgumentTypeError("the file name is empty")
    if text.endswith("/"):
        raise argparse.ArgumentTypeError(f"{text!r} ends in '/', which names a directory; "
                                         "give a file's name")  # fmt: skip
    return text


def folder_path(text: str) -> str:
    """argparse type: a folder's name, which cannot be empty."""
    if not text:
        raise argparse.ArgumentTypeError("the folder name is empty")
    return text


def data_path(text: str) -> str:
    """argparse type: data to read, a file or a folder (Dask chunks), named by a non-empty
    text."""
    if not text:
        raise argparse.ArgumentTypeError("the file name is empty")
    return text


def column_list(text: str) -> str:
    """argparse type: comma-separated column names or numbers, none of them empty (``''`` or
    ``a,,b`` would otherwise quietly mean the default columns, or fewer)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the column list is empty")
    if any(not item.strip() for item in text.split(",")):
        raise argparse.ArgumentTypeError(f"an empty column name in {text!r}")
    return text


def nonempty(text: str) -> str:
    """argparse type: text that cannot be empty (an empty one would be ignored)."""
    if not text:
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _number(text: str, kind: type[int] | type[float], what: str) -> int | float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None


MAX_SEED = 2**32 - 1  # the range np.random.seed / RandomState accept


def seed_value(text: str) -> int:
    """argparse type: a NumPy legacy seed, 0 <= S < 2**32."""
    value = non_negative_int(text)
    if value > MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SEED}, got {text}")
    return value
