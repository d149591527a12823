"""Training configuration: one frozen dataclass, validated once when it is made.

Each field is declared once, in :class:`TrainConfig`: its type, its default and its
:class:`Spec` (what it means, its range or choices, whether the command line has a flag), which
the command line, the estimators and the playground read (``docs/architecture.md``).

The defaults are the seed's recipe (``docs/seed/000_a9de79f32e810abc.txt``): H = 100 ReLU
units, no biases, standard-normal weights, sum of squared errors, full-batch gradient descent
at lr = 1e-6 for 500 iterations, float64.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from twolayer.errors import (
    NON_NEGATIVE,
    NON_NEGATIVE_INT,
    POSITIVE,
    POSITIVE_INT,
    SEEDS,
    UNIT,
    ConfigError,
    Range,
    choice_error,
    must_be,
    range_error,
)
from twolayer.nn.activations import ACTIVATIONS
from twolayer.nn.losses import LOSSES
from twolayer.nn.model import INITS
from twolayer.nn.optim import OPTIMIZERS
from twolayer.nn.schedules import SCHEDULES

DTYPES = ("float64", "float32")
SOLVERS = ("direct", "dual", "auto")
TRACKS = ("full", "loss")
TOL_MODES = ("relative", "absolute")
STREAMS: dict[str, int] = {"init": 0, "split": 1, "shuffle": 2, "test": 0x7E57}
"""The random streams a seed drives, by the spawn key of their ``SeedSequence``: the weights'
initialisation, the validation split, the minibatch shuffling, and the test split of
``twolayer train --test-fraction`` (a key far from the others).  The first three are
``SeedSequence(seed).spawn(3)``'s children, in order."""

ADDED_FIELDS = (
    "alpha", "solver", "shuffle", "tol_mode", "n_iter_no_change", "max_fun", "scores", "l1",
)  # fmt: skip
"""Fields added after the first model files were written: :meth:`TrainConfig.from_dict` lets a
file lack them, since such a run was trained as their defaults say."""


@dataclass(frozen=True)
class Spec:
    """What the front ends need to know of one field beyond its type and default: the command
    line makes its flag of it, the estimators and the playground check their values by it."""

    help: str
    """What the field means, in a few words (the flag's help, before its default)."""
    range: Range | None = None
    """The numbers it may take (numbers only; rules between fields are in the class)."""
    choices: tuple[str, ...] | None = None
    """The names it may take (text only)."""
    flag: bool = True
    """Whether the command line has a flag for it (``--batch-size`` for ``batch_size``)."""
    effect: str = ""
    """The playground's settings only: what a change does (:mod:`twolayer.playground.settings`)."""


def setting(
    default: Any, help: str, range: Range | None = None, *,
    choices: Sequence[str] | None = None, flag: bool = True, effect: str = "",
) -> Any:  # fmt: skip
    """A dataclass field with ``default`` and its :class:`Spec`, the one place it is declared:
    ``lr: float = setting(1e-6, "base learning rate", POSITIVE)``."""
    spec = Spec(help, range, None if choices is None else tuple(choices), flag, effect)
    return dataclasses.field(default=default, metadata={"spec": spec})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how a network is built and trained.

    Each field is declared once, here: its type, its default, and (:func:`setting`) what it
    means and the values it may take.  ``twolayer train``'s flags, the estimators' checks and
    the playground's settings are made from these declarations."""

    iterations: int = setting(
        500, "epochs: full passes over the training data (one step each at full batch)",
        NON_NEGATIVE_INT,
    )  # fmt: skip
    lr: float = setting(1e-6, "learning rate", POSITIVE)
    hidden: int = setting(100, "H, the number of hidden units", POSITIVE_INT)
    activation: str = setting(
        "relu", "hidden activation (twolayer.nn.activations)", choices=sorted(ACTIVATIONS)
    )
    loss: str = setting("sse", "the loss minimised (twolayer.nn.losses)", choices=sorted(LOSSES))
    bias: bool = setting(False, "add biases b1, b2 (the seed has none)")
    init: str = setting("normal", "initial weights: normal (the seed's), he, glorot, uniform",
                        choices=INITS)  # fmt: skip
    dtype: str = setting("float64", "of the parameters and data", choices=DTYPES)
    optimizer: str = setting("gd", "the update rule", choices=OPTIMIZERS)
    momentum: float = setting(0.9, "mass of momentum and nesterov", UNIT)
    beta1: float = setting(0.9, "Adam's first-moment decay", UNIT)
    beta2: float = setting(0.999, "Adam's second-moment decay", UNIT)
    epsilon: float = setting(1e-8, "Adam's denominator guard", POSITIVE)
    schedule: str = setting("constant", "how the rate changes", choices=SCHEDULES)
    power_t: float = setting(0.5, "invscaling exponent", NON_NEGATIVE)
    step_size: int = setting(100, "step schedule: epochs between decays", POSITIVE_INT)
    gamma: float = setting(0.1, "step schedule: decay factor", Range(0, 1, low_open=True))
    lr_min: float = setting(0.0, "cosine's final rate, plateau's floor (at most lr)",
                            NON_NEGATIVE)  # fmt: skip
    plateau_patience: int = setting(10, "plateau: epochs without progress before the rate drops",
                                    POSITIVE_INT)  # fmt: skip
    plateau_factor: float = setting(0.5, "plateau: factor applied to the rate",
                                    Range(0, 1, low_open=True, high_open=True))  # fmt: skip
    batch_size: int | None = setting(
        None, "minibatch size, reshuffled per epoch (None, unset: the full batch, the seed's)",
        POSITIVE_INT,
    )  # fmt: skip
    shuffle: bool = setting(True, "reshuffle the minibatches every epoch (else the data's order)")
    validation_fraction: float = setting(0.0, "share of samples held out for validation", UNIT)
    early_stopping: bool = setting(
        False, "stop when the validation loss stalls, keeping the best weights"
    )
    patience: int = setting(10, "early stopping: epochs without progress", POSITIVE_INT)
    tol: float = setting(
        1e-4, "early stopping, n_iter_no_change: the improvement that counts as progress "
        "(below 1 unless tol_mode is absolute)",
    )  # fmt: skip
    tol_mode: Literal["relative", "absolute"] = setting(
        "relative", "progress: below best * (1 - tol), or best - tol (scikit-learn's rule)",
        choices=TOL_MODES,
    )  # fmt: skip
    n_iter_no_change: int | None = setting(
        None, "stop (converged) after this many epochs without progress on the training loss",
        POSITIVE_INT,
    )  # fmt: skip
    max_fun: int = setting(15000, "lbfgs: the most loss evaluations", POSITIVE_INT)
    divergence_factor: float = setting(
        1e8, "stop when the loss exceeds this multiple of the first loss",
        Range(1, low_open=True, finite=False),
    )  # fmt: skip
    alpha: float = setting(0.0, "L2 penalty on w1 and w2, scaled like the loss", NON_NEGATIVE)
    l1: float = setting(0.0, "L1 penalty on w1 and w2, scaled like the loss", NON_NEGATIVE)
    track: Literal["full", "loss"] = setting(
        "full", "history detail: full statistics, or only losses and lr", choices=TRACKS,
        flag=False,
    )  # fmt: skip
    scores: bool = setting(False, "record R² or accuracy every epoch, and on validation")
    solver: str = setting(
        "direct", "how full-batch steps run: direct (the seed's arithmetic, bit for bit), dual "
        "(w1 kept as x.T @ P: much faster when N < D_in, equal up to ~1e-11), auto (dual when "
        "it applies and N < D_in)", choices=SOLVERS,
    )  # fmt: skip
    seed: int = setting(0, "seeds the initialisation, the validation split and the shuffling",
                        SEEDS)  # fmt: skip

    def __post_init__(self) -> None:
        check_fields(self)
        _check_rules(self)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON-ready data."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a configuration from :meth:`to_dict`; unknown keys are an error, and so are
        missing ones (except :data:`ADDED_FIELDS`, which take their defaults)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(unknown)}")
        missing = sorted(known - set(data) - set(ADDED_FIELDS))
        if missing:
            raise ConfigError(f"missing configuration keys: {', '.join(missing)}")
        return cls(**data)


@functools.cache
def fields_by_name(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """The fields of the dataclass ``cls`` by name, looked up once per class (a configuration
    checks each of its fields whenever one is made or replaced)."""
    return {f.name: f for f in dataclasses.fields(cls)}


def spec(cls: Any, name: str) -> Spec:
    """The :class:`Spec` of field ``name`` of a dataclass declared with :func:`setting`."""
    rule: Spec = fields_by_name(cls)[name].metadata["spec"]
    return rule


def check_fields(obj: Any) -> None:
    """Check each field of ``obj`` (a dataclass declared with :func:`setting`) with
    :func:`check_value`, keeping NumPy scalars as Python's."""
    for f in dataclasses.fields(obj):
        object.__setattr__(obj, f.name, check_value(type(obj), f.name, getattr(obj, f.name)))


def check_value(cls: Any, name: str, value: Any) -> Any:
    """``value`` checked as field ``name`` of ``cls`` (a dataclass declared with
    :func:`setting`), and returned as a Python scalar: of the type its annotation names (an
    integer is not a float or a bool, a number is not text), then among its choices or in its
    range (None, where the field may be None, is always allowed).  A ConfigError names the
    field."""
    f = fields_by_name(cls)[name]
    kind = str(f.type)
    optional = kind.endswith("| None")
    if optional and value is None:
        return None
    base = kind.removesuffix(" | None")
    plain: Any
    if base == "bool":
        ok, plain = isinstance(value, bool | np.bool_), bool(value)
    elif base == "int":
        ok = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
        plain = int(value) if ok else value
    elif base == "float":
        ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
            value, bool | np.bool_
        )
        plain = float(value) if ok else value
    else:  # str and Literal[...] of strings
        ok, plain = isinstance(value, str), value
    if not ok:
        what = {"bool": "true or false", "int": "an integer", "float": "a number"}.get(base, "text")
        raise ConfigError(f"{name} {must_be(what + (' or None' if optional else ''), repr(value))}")
    rule = f.metadata["spec"]
    if rule.choices is not None and plain not in rule.choices:
        raise choice_error(name, plain, rule.choices)
    if rule.range is not None:
        rule.range.check(name, plain)
    return plain


def like(name: str, default: Any, effect: str, **changes: Any) -> Any:
    """A field of another front end (the playground's settings) that is ``TrainConfig``'s field
    ``name`` with another ``default``: the same help, range and choices, except ``changes``
    (a narrower ``range=``, fewer ``choices=``), and its ``effect``."""
    rule = dataclasses.replace(spec(TrainConfig, name), effect=effect, **changes)
    return dataclasses.field(default=default, metadata={"spec": rule})


DATA_RECIPE: dict[str, Any] = {
    "optimizer": "adam", "lr": 1e-3, "init": "uniform", "bias": True, "batch_size": 200,
    "iterations": 1000, "early_stopping": True, "validation_fraction": 0.1, "patience": 20,
}  # fmt: skip
"""What ``twolayer train`` trains real data with (a ``--data`` file or a bundled dataset) where
no flag says otherwise: biases and small uniform weights, PyTorch's ``nn.Linear`` default (the
seed's standard-normal weights saturate on real inputs; ``benchmarks/inits.py`` compares the
choices), Adam at 1e-3 on minibatches of 200, up to 1000 epochs stopped early
once the loss of 10% held-out rows has not improved for 20 epochs (keeping the best weights).
The loss is the task's (:data:`DATA_LOSSES`).  ``TrainConfig``'s own defaults stay the seed's."""

DATA_LOSSES = {
    "classification": "cross_entropy", "multilabel": "binary_cross_entropy", "regression": "mse",
}  # fmt: skip
"""The loss of the real-data recipe by task: softmax cross-entropy for class labels, sigmoid
cross-entropy for 0/1 label columns, the mean squared error of standardised targets."""


HELD_OUT_FROM = 50
"""The fewest training rows the real-data recipe holds a validation share out of; with fewer
(or a class of one row, which a stratified split cannot divide) it trains every epoch on all
of them."""


def data_recipe(
    task: str, n_samples: int | None = None, smallest_class: int | None = None
) -> dict[str, Any]:
    """:data:`DATA_RECIPE` with the loss of ``task`` (regression, classification, multilabel):
    ``TrainConfig(**data_recipe("classification"))`` is what ``twolayer train`` trains a
    classification table with by default.  Given the training rows' count ``n_samples`` (and
    for classification its ``smallest_class``), data too small to hold rows out of (see
    :data:`HELD_OUT_FROM`) train without early stopping."""
    recipe = {**DATA_RECIPE, "loss": DATA_LOSSES[task]}
    too_small = n_samples is not None and n_samples < HELD_OUT_FROM
    if too_small or (smallest_class is not None and smallest_class < 2):
        recipe.update(early_stopping=False, validation_fraction=0.0)
    return recipe


def _check_rules(c: TrainConfig) -> None:
    """The rules between fields, after each field is checked on its own."""
    if c.optimizer == "lbfgs" and c.batch_size is not None:
        raise ConfigError("lbfgs works on the full batch; leave batch_size unset")
    if c.lr_min > c.lr:
        raise range_error("lr_min", "between 0 and lr", c.lr_min)
    absolute = c.tol_mode == "absolute" and math.isfinite(c.tol)
    if not (c.tol >= 0 and (c.tol < 1 or absolute)):
        raise range_error("tol", "in [0, 1) (a finite number >= 0 with tol_mode 'absolute')",
                          c.tol)  # fmt: skip
    if c.early_stopping and c.iterations == 0:
        raise ConfigError("early_stopping needs iterations > 0")


def generator(seed: int, stream: str) -> np.random.Generator:
    """The generator of ``stream`` (a name in :data:`STREAMS`) for ``seed``: independent of the
    other streams, and the same for the same seed in every run."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS[stream],)))
