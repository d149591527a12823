"""The exceptions twolayer raises on purpose, and the two messages every front end shares.

Each exception carries the exit code the command-line tool uses for it, so the CLI can turn any
of them into one ``error: ...`` line without a traceback.  :func:`choice_error` words an
unknown name, :class:`Range` the numbers a value may take and :func:`must_be` a value outside
them: the configuration, the command line, the estimators and the playground all say it so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


class TwoLayerError(Exception):
    """Base class: a problem twolayer detected and can describe in one line."""

    exit_code = 2


class ConfigError(TwoLayerError, ValueError):
    """An option is out of its allowed range or names something that does not exist."""


class DataError(TwoLayerError, ValueError):
    """Input data cannot be read or does not have the expected shape or values."""


class ModelFileError(TwoLayerError, ValueError):
    """A model file is missing, corrupted, unsafe or of an unsupported format version."""


class DivergenceError(TwoLayerError, ArithmeticError, ValueError):
    """Training stopped because the loss became non-finite or exploded (also a ValueError, the
    error scikit-learn's estimators raise when training produces non-finite values).

    Attributes
    ----------
    iteration : int
        The iteration whose loss was found non-finite or exploded.
    loss : float
        That loss.
    lr : float
        The learning rate in force at that iteration.
    """

    exit_code = 1
    """1: training went wrong; 2 when the starting weights' loss is already not finite (the
    data are the problem, as with any bad input)."""

    def __init__(self, iteration: int, loss: float, lr: float, reason: str = "became") -> None:
        self.iteration = iteration
        self.loss = loss
        self.lr = lr
        if reason == "start":  # before any update: the rate is not to blame, the data are
            self.exit_code = 2  # bad input, as every data problem
            super().__init__(
                f"the loss of the starting weights is {loss}: the data are too large for "
                "the network (or not finite); scale the inputs and targets (standardize)"
            )
            return
        what = f"became {loss}" if reason == "became" else f"exploded to {loss:.6g}"
        super().__init__(
            f"training diverged at iteration {iteration}: the loss {what}; "
            f"the learning rate {lr:g} is too large, try a smaller one such as {lr / 10:g}"
        )


def choice_error(kind: str, name: str, valid: Iterable[object]) -> ConfigError:
    """Return the error for an unknown ``name`` of ``kind``, listing the ``valid`` names."""
    names = ", ".join(sorted(str(v) for v in valid))
    plural = f"{kind}es" if kind.endswith("s") else f"{kind}s"  # losses, not losss
    return ConfigError(f"unknown {kind} {name!r}; valid {plural} are: {names}")


def must_be(allowed: str, shown: object) -> str:
    """The one wording of a value that is not what it should be: ``must be {allowed}, got
    {shown}``.  Every range and type message goes through it, prefixed with the name the
    user gave the value (a field, a flag)."""
    return f"must be {allowed}, got {shown}"


def range_error(name: str, allowed: str, value: object) -> ConfigError:
    """Return the error for ``name``'s ``value`` outside ``allowed`` (a :class:`Range`'s
    text, or a rule that involves other values: ``between 0 and lr``)."""
    return ConfigError(f"{name} {must_be(allowed, value)}")


@dataclass(frozen=True)
class Range:
    """The numbers a value may take: from ``low`` up to ``high`` (None: unbounded), either
    end excluded when ``low_open``/``high_open``; only finite ones unless ``finite`` is False
    (``divergence_factor=inf`` means never)."""

    low: float
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    finite: bool = True

    def contains(self, value: float) -> bool:
        """Whether ``value`` is in the range."""
        if self.finite and not math.isfinite(value):
            return False
        if value < self.low or (self.low_open and value == self.low):
            return False
        if self.high is None:
            return True
        return value < self.high or (not self.high_open and value == self.high)

    @property
    def text(self) -> str:
        """The range in words: ``an integer > 0``, ``a finite number >= 0``, ``in [0, 1)``,
        ``between 1 and 64``."""
        if self.high is not None:
            if not (self.low_open or self.high_open):
                return f"between {self.low} and {self.high}"
            left, right = "(["[not self.low_open], ")]"[not self.high_open]
            return f"in {left}{self.low}, {self.high}{right}"
        kind = "an integer" if self.integer else "a finite number" if self.finite else "a number"
        return f"{kind} {'>' if self.low_open else '>='} {self.low}"

    def check(self, name: str, value: float) -> None:
        """A ConfigError naming ``name`` when ``value`` is out of the range."""
        if not self.contains(value):
            raise range_error(name, self.text, value)


POSITIVE = Range(0, low_open=True)
"""A finite number > 0."""
NON_NEGATIVE = Range(0)
"""A finite number >= 0."""
POSITIVE_INT = Range(0, low_open=True, integer=True)
"""An integer > 0."""
NON_NEGATIVE_INT = Range(0, integer=True)
"""An integer >= 0."""
UNIT = Range(0, 1, high_open=True)
"""In [0, 1): a share, a decay."""
MAX_SEED = 2**32 - 1
"""The largest seed: the range ``np.random.seed`` and ``RandomState`` accept."""
SEEDS = Range(0, MAX_SEED, integer=True)
"""A seed: an integer between 0 and 2**32 - 1."""
