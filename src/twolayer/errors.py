"""The exceptions twolayer raises on purpose.

Each carries the exit code the command-line tool uses for it, so the CLI can turn any of them
into one ``error: ...`` line without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


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
