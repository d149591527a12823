"""Which engine runs a training run: one table, read in one place.

Each engine lists what it needs, as ``(kind, test, why)`` rows: ``test`` looks at the
:class:`Facts` of a run, and ``why`` says, as a phrase after the engine's name, what is missing
when the test fails.  :func:`choose` takes the first engine of :data:`PREFERENCE` whose rows all
pass (or the one a caller names, or that ``solver="dual"`` names, refusing with the first
failing row's phrase).  ``kind`` says what a row is about: ``"network"`` rows are the math an
engine's buffered twins cover (the Dask engine asks them of its chunks), ``"data"`` rows the
arrays, ``"run"`` rows the rest.

=============  ==========================================================================
engine         runs
=============  ==========================================================================
``dask``       Dask arrays (and only it runs them)
``dual``       the seed's network at full batch in kernel form, when ``solver`` asks for it
``inplace``    the seed's network at full batch, in cache-sized blocks and lanes
``buffered``   every other option on NumPy: minibatches, biases, every optimizer but
               L-BFGS, every loss and activation, the L2 penalty, sample weights
``portable``   anything: other array libraries (PyTorch, CuPy, SciPy sparse), L-BFGS; the
               reference every other engine is tested against
=============  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from twolayer.backend import Array, is_dask_array
from twolayer.config import TrainConfig
from twolayer.errors import ConfigError, choice_error
from twolayer.nn.losses import SQUARED
from twolayer.nn.model import Params

STEP_RULES = ("gd", "momentum", "nesterov")
"""The optimizers whose steps the full-batch engines (in-place, dual) take."""


@dataclass(frozen=True)
class Facts:
    """What the choice of an engine looks at: the configuration and the run's arrays."""

    config: TrainConfig
    dask: bool = False  # the data are Dask arrays
    numpy: bool = True  # data, weights and optimizer buffers: NumPy arrays of one float dtype
    weighted: bool = False  # sample weights were given
    validating: bool = False  # validation data are held out (given or split off)
    wide: bool = False  # N < D_in: the dual engine's epoch is the cheaper one
    bias: bool = False  # the network has biases (the configuration's, or the given weights')
    samples: int | None = None  # N, when known

    @property
    def full_batch(self) -> bool:
        """Whether every step sees every sample (no batch size, or one of N or more)."""
        size = self.config.batch_size
        return size is None or (self.samples is not None and size >= self.samples)


Kind = Literal["network", "data", "run"]
Row = tuple[Kind, Callable[[Facts], bool], str]

SEED_NETWORK: list[Row] = [
    ("network", lambda f: f.config.activation == "relu", "needs the ReLU activation"),
    ("network", lambda f: f.config.loss in SQUARED,
     f"supports the losses {', '.join(SQUARED)}"),
    ("network", lambda f: not (f.bias or f.config.bias), "needs a network without biases"),
    ("network", lambda f: f.config.alpha == 0, "has no L2 penalty (alpha)"),
    ("network", lambda f: f.config.l1 == 0, "has no L1 penalty (l1)"),
]  # fmt: skip
"""The network of the seed's family, which the full-batch engines' twins cover."""

NUMPY: Row = ("data", lambda f: f.numpy, "needs NumPy arrays of one floating dtype")
NOT_DASK: Row = ("data", lambda f: not f.dask, "does not take Dask arrays")
UNWEIGHTED: Row = ("data", lambda f: not f.weighted, "takes no sample weights")

TABLE: dict[str, list[Row]] = {
    "dask": [
        ("data", lambda f: f.dask, "needs Dask arrays"),
        ("data", lambda f: not f.weighted, "takes no sample weights on Dask arrays"),
    ],
    "dual": [
        NOT_DASK, NUMPY, UNWEIGHTED,
        ("run", lambda f: f.full_batch, "needs full-batch training (no batch_size)"),
        ("run", lambda f: f.config.optimizer in STEP_RULES,
         "is exact only for gd, momentum and nesterov, not {optimizer}"),
        ("run", lambda f: not f.validating, "cannot hold out validation data"),
        ("run", lambda f: not f.config.early_stopping,
         "cannot keep early stopping's best weights"),
        *SEED_NETWORK,
    ],
    "inplace": [
        NOT_DASK, NUMPY, UNWEIGHTED,
        ("run", lambda f: f.full_batch, "needs full-batch training (no batch_size)"),
        ("run", lambda f: f.config.optimizer in STEP_RULES,
         f"supports the optimizers {', '.join(STEP_RULES)}"),
        *SEED_NETWORK,
    ],
    "buffered": [
        NOT_DASK, NUMPY,
        ("run", lambda f: f.config.optimizer != "lbfgs",
         "steps per batch (L-BFGS runs on the portable engine)"),
    ],
    "portable": [NOT_DASK],
}  # fmt: skip
"""What each engine needs."""

ENGINES = tuple(TABLE)
PREFERENCE = ("dask", "inplace", "buffered", "portable")
"""The order :func:`choose` tries the engines in when none is named (the dual engine is taken
only by ``solver="dual"``, or ``"auto"`` on wide data: :func:`choose`)."""


def unmet(
    engine: str, facts: Facts, kinds: tuple[Kind, ...] = ("network", "data", "run")
) -> str | None:
    """Why ``engine`` cannot run ``facts`` (the first failing row of ``kinds``), or None."""
    if engine not in TABLE:
        raise choice_error("engine", engine, ENGINES)
    for kind, test, why in TABLE[engine]:
        if kind in kinds and not test(facts):
            return why.replace("{optimizer}", facts.config.optimizer)
    return None


def choose(facts: Facts, named: str | None = None) -> str:
    """The engine that runs ``facts``: ``named`` when given (a ConfigError says why it cannot),
    else the dual engine for ``solver="dual"`` (likewise) or ``"auto"`` where it applies on
    wide data, else the first of :data:`PREFERENCE` that can."""
    solver = facts.config.solver
    if named is None and facts.dask and (why := unmet("dask", facts)) is not None:
        raise ConfigError(f"the dask engine {why}")  # no other engine runs Dask arrays
    if named is None and solver == "dual":
        if (why := unmet("dual", facts)) is not None:
            raise ConfigError(f"the dual solver {why}; use solver 'direct' or 'auto'")
        return "dual"
    if named is not None:
        if (why := unmet(named, facts)) is not None:
            raise ConfigError(f"the {named} engine {why}")
        return named
    if solver == "auto" and facts.wide and unmet("dual", facts) is None:
        return "dual"
    return next(e for e in PREFERENCE if unmet(e, facts) is None)


def facts_of(
    config: TrainConfig, x: Array, y: Array, params: Params, opt_state: dict[str, Params],
    *, weight: Array | None, validating: bool,
) -> Facts:  # fmt: skip
    """The :class:`Facts` of a run on ``x`` (N, D_in), ``y`` (N, D_out) from ``params`` and
    ``opt_state``, with sample weights ``weight`` (N,) or None."""
    arrays: list[Any] = [x, y, *params, *(p for s in opt_state.values() for p in s)]
    if weight is not None:
        arrays.append(weight)
    numpy = all(type(a) is np.ndarray for a in arrays)
    numpy = numpy and len({a.dtype for a in arrays}) == 1 and x.dtype.kind == "f"
    return Facts(
        config, dask=is_dask_array(x), numpy=numpy, weighted=weight is not None,
        validating=validating or config.validation_fraction > 0,
        wide=int(x.shape[0]) < int(x.shape[1]), bias=params.has_bias,
        samples=int(x.shape[0]),
    )  # fmt: skip


__all__ = ["ENGINES", "PREFERENCE", "TABLE", "Facts", "choose", "facts_of", "unmet"]
