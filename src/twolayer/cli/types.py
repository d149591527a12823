"""The argparse types of the command line's values: numbers in range, file and folder names,
lists of columns, and each training field's value (`field_type`, by its declaration); each refuses
a bad value with a message argparse prints, in the words the library uses."""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
from collections.abc import Callable
from typing import Any

from twolayer.config import TrainConfig, spec
from twolayer.errors import (
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    Range,
    choice_error,
    must_be,
)


def in_range(text: str, within: Range) -> int | float:
    """``text`` as a number (an integer where ``within`` takes only integers) in ``within``,
    else an argparse error in the words of :class:`~twolayer.errors.Range`."""
    value = _number(text, int, "an integer") if within.integer else _number(text, float, "a number")
    if not within.contains(value):
        raise argparse.ArgumentTypeError(must_be(within.text, text))
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer > 0."""
    return int(in_range(text, POSITIVE_INT))


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    return int(in_range(text, NON_NEGATIVE_INT))


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    return float(in_range(text, POSITIVE))


def finite_float(text: str) -> float:
    """argparse type: a finite number (ranges are checked by the configuration)."""
    value = _number(text, float, "a number")
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(must_be("a finite number", text))
    return value


def field_type(name: str) -> Callable[[str], Any]:
    """argparse type of :class:`~twolayer.config.TrainConfig`'s field ``name``: its value read
    from text and checked against the field's declared choices or range, in the words the
    configuration uses (with the field named as its flag: ``--tol-mode``)."""
    rule = spec(TrainConfig, name)
    kind = {f.name: str(f.type) for f in dataclasses.fields(TrainConfig)}[name]

    def read(text: str) -> Any:
        if rule.choices is not None:
            if text not in rule.choices:
                message = str(choice_error(name, text, rule.choices))
                raise argparse.ArgumentTypeError(as_flags(message, [name]))
            return text
        if rule.range is not None:
            return in_range(text, rule.range)
        if kind.startswith("int"):
            return int(_number(text, int, "an integer"))
        return finite_float(text)

    read.__name__ = name
    return read


def as_flags(message: str, fields: list[str]) -> str:
    """``message`` with the configuration's field names written as their command-line flags
    (``batch_size`` -> ``--batch-size``; a one-word name only where it starts the message)."""
    for name in sorted(fields, key=len, reverse=True):
        flag = "--" + name.replace("_", "-")
        if "_" in name:
            message = re.sub(rf"valid {name}e?s are", f"valid {flag} values are", message)
            message = re.sub(rf"(?<![\w-]){name}\b", flag, message)
        elif message.startswith(f"{name} "):
            message = flag + message[len(name) :]
    return message


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 to 65535 (0: any free port)."""
    return int(in_range(text, Range(0, 65535, integer=True)))


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
        raise argparse.ArgumentTypeError(must_be(what, repr(text))) from None
