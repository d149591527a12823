"""Training configuration: one frozen dataclass, validated once when it is made.

The defaults are the seed's recipe (``docs/seed/000_a9de79f32e810abc.txt``): H = 100 ReLU
units, no biases, standard-normal weights, sum of squared errors, full-batch gradient descent
at lr = 1e-6 for 500 iterations, float64.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from twolayer.errors import ConfigError, choice_error
from twolayer.nn.activations import ACTIVATIONS
from twolayer.nn.losses import LOSSES
from twolayer.nn.model import INITS
from twolayer.nn.optim import OPTIMIZERS
from twolayer.nn.schedules import SCHEDULES

DTYPES = ("float64", "float32")
SOLVERS = ("direct", "dual", "auto")
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
class TrainConfig:
    """Everything that decides how a network is built and trained."""

    iterations: int = (
        500  # epochs: full passes over the training data (one step each at full batch)
    )
    lr: float = 1e-6  # base learning rate
    hidden: int = 100  # H, the number of hidden units
    activation: str = "relu"  # hidden activation, see twolayer.nn.activations
    loss: str = "sse"  # sse | mse | half_mse | cross_entropy | binary_cross_entropy (losses.py)
    bias: bool = False  # add biases b1, b2 (the seed has none)
    init: str = "normal"  # normal (the seed's) | he | glorot
    dtype: str = "float64"  # float64 | float32, for parameters and data
    optimizer: str = "gd"  # gd | momentum | nesterov | adam | lbfgs
    momentum: float = 0.9  # mass mu of momentum and nesterov
    beta1: float = 0.9  # Adam's first-moment decay
    beta2: float = 0.999  # Adam's second-moment decay
    epsilon: float = 1e-8  # Adam's denominator guard
    schedule: str = "constant"  # constant | invscaling | step | cosine | plateau
    power_t: float = 0.5  # invscaling exponent
    step_size: int = 100  # step schedule: epochs between decays
    gamma: float = 0.1  # step schedule: decay factor
    lr_min: float = 0.0  # cosine's final rate and plateau's floor
    plateau_patience: int = 10  # plateau: epochs without progress before the rate drops
    plateau_factor: float = 0.5  # plateau: factor applied to the rate
    batch_size: int | None = (
        None  # None: full batch (the seed's); else minibatches, reshuffled per epoch
    )
    shuffle: bool = True  # minibatches: reshuffle every epoch (False: the data's order)
    validation_fraction: float = 0.0  # share of samples held out for validation, in [0, 1)
    early_stopping: bool = False  # stop when the monitored loss stalls, restoring the best weights
    patience: int = 10  # early stopping: epochs without improvement before stopping
    tol: float = 1e-4  # early stopping, n_iter_no_change: the improvement that counts as progress
    tol_mode: Literal["relative", "absolute"] = (
        "relative"  # progress: < best (1 - tol) | < best - tol
    )
    n_iter_no_change: int | None = None  # stop ("converged") after this many epochs of no progress
    max_fun: int = 15000  # lbfgs: the most loss evaluations (scikit-learn's max_fun)
    divergence_factor: float = 1e8  # stop when the loss exceeds this multiple of the first loss
    alpha: float = 0.0  # L2 penalty on w1 and w2, scaled like the loss (twolayer.nn.objective)
    l1: float = 0.0  # L1 penalty on w1 and w2, scaled like the loss (twolayer.nn.objective)
    track: Literal["full", "loss"] = "full"  # history detail: full stats, or only losses and lr
    scores: bool = False  # record R² (squared losses) or accuracy per epoch, and on validation
    solver: str = "direct"  # direct | dual | auto: how full-batch steps run (performance.md)
    seed: int = 0  # seeds initialisation, the validation split and the shuffling

    def __post_init__(self) -> None:
        _check_types(self)
        _check_choices(self)
        _check_ranges(self)

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


def _check_types(c: TrainConfig) -> None:
    """Each field of the type its annotation names (NumPy scalars taken as Python's): an
    integer is not a float or a bool, a number is not text.  A ConfigError names the field."""
    for f in dataclasses.fields(c):
        value, kind = getattr(c, f.name), str(f.type)
        optional = kind.endswith("| None")
        if optional and value is None:
            continue
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
            what = {"bool": "true or false", "int": "an integer", "float": "a number"}.get(
                base, "text"
            )
            none = " or None" if optional else ""
            raise ConfigError(f"{f.name} must be {what}{none}, got {value!r}")
        object.__setattr__(c, f.name, plain)  # NumPy scalars become Python's


def _check_choices(c: TrainConfig) -> None:
    for kind, value, valid in (
        ("activation", c.activation, ACTIVATIONS),
        ("loss", c.loss, LOSSES),
        ("init", c.init, INITS),
        ("dtype", c.dtype, DTYPES),
        ("optimizer", c.optimizer, OPTIMIZERS),
        ("schedule", c.schedule, SCHEDULES),
        ("track", c.track, ("full", "loss")),
        ("tol_mode", c.tol_mode, ("relative", "absolute")),
        ("solver", c.solver, SOLVERS),
    ):
        if value not in valid:
            raise choice_error(kind, value, valid)
    if c.optimizer == "lbfgs" and c.batch_size is not None:
        raise ConfigError("lbfgs works on the full batch; leave batch_size unset")


def _check_ranges(c: TrainConfig) -> None:
    rules: list[tuple[str, float | int | None, bool]] = [
        ("iterations", c.iterations, c.iterations >= 0),
        ("lr", c.lr, math.isfinite(c.lr) and c.lr > 0),
        ("hidden", c.hidden, c.hidden > 0),
        ("momentum", c.momentum, 0 <= c.momentum < 1),
        ("beta1", c.beta1, 0 <= c.beta1 < 1),
        ("beta2", c.beta2, 0 <= c.beta2 < 1),
        ("epsilon", c.epsilon, c.epsilon > 0),
        ("power_t", c.power_t, math.isfinite(c.power_t) and c.power_t >= 0),
        ("step_size", c.step_size, c.step_size > 0),
        ("gamma", c.gamma, 0 < c.gamma <= 1),
        ("lr_min", c.lr_min, 0 <= c.lr_min <= c.lr),
        ("plateau_patience", c.plateau_patience, c.plateau_patience > 0),
        ("plateau_factor", c.plateau_factor, 0 < c.plateau_factor < 1),
        ("batch_size", c.batch_size, c.batch_size is None or c.batch_size > 0),
        ("validation_fraction", c.validation_fraction, 0 <= c.validation_fraction < 1),
        ("patience", c.patience, c.patience > 0),
        (
            "tol",
            c.tol,
            c.tol >= 0 and (c.tol < 1 or (c.tol_mode == "absolute" and math.isfinite(c.tol))),
        ),
        (
            "n_iter_no_change",
            c.n_iter_no_change,
            c.n_iter_no_change is None or c.n_iter_no_change > 0,
        ),
        ("max_fun", c.max_fun, c.max_fun > 0),
        ("divergence_factor", c.divergence_factor, c.divergence_factor > 1),
        ("alpha", c.alpha, math.isfinite(c.alpha) and c.alpha >= 0),
        ("l1", c.l1, math.isfinite(c.l1) and c.l1 >= 0),
        ("seed", c.seed, c.seed >= 0),
    ]
    allowed = {
        "iterations": ">= 0",
        "lr": "a finite number > 0",
        "lr_min": "between 0 and lr",
        "gamma": "in (0, 1]",
        "plateau_factor": "in (0, 1)",
        "validation_fraction": "in [0, 1)",
        "tol": "in [0, 1) (a finite number >= 0 with tol_mode 'absolute')",
        "divergence_factor": "> 1",
        "alpha": "a finite number >= 0",
        "l1": "a finite number >= 0",
        "seed": "an integer >= 0",
    }
    for name, value, ok in rules:
        if not ok:
            what = allowed.get(
                name, "in [0, 1)" if name in ("momentum", "beta1", "beta2") else "> 0"
            )
            raise ConfigError(f"{name} must be {what}, got {value}")
    if c.early_stopping and c.iterations == 0:
        raise ConfigError("early_stopping needs iterations > 0")


def generator(seed: int, stream: str) -> np.random.Generator:
    """The generator of ``stream`` (a name in :data:`STREAMS`) for ``seed``: independent of the
    other streams, and the same for the same seed in every run."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS[stream],)))
