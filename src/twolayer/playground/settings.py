"""What the playground page can change: one frozen dataclass, the text form the URL hash holds,
and which settings take effect mid-run and which rebuild the network.

The page keeps every field in its URL hash (``#dataset=spiral&hidden=12&lr=0.01...``), so a
reload or a shared link restores the run's whole configuration; :meth:`Settings.from_text`
reads that form back, checking each value, and :meth:`Settings.to_text` writes it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twolayer.config import TrainConfig
from twolayer.errors import ConfigError, choice_error
from twolayer.nn.activations import ACTIVATIONS
from twolayer.nn.losses import SQUARED
from twolayer.nn.model import INITS
from twolayer.nn.optim import STEP_OPTIMIZERS
from twolayer.nn.schedules import SCHEDULES

CLASSIFICATION_SETS = ("circle", "xor", "gaussians", "spiral")
"""Drawn 2-D classification sets (:mod:`twolayer.playground.datasets`)."""
REGRESSION_SETS = ("sine", "plane", "bumps")
"""Drawn regression sets: ``sine`` has one input, the others two."""
BUNDLED_SETS = ("digits", "diabetes", "linnerud")
"""The datasets that ship inside scikit-learn (:func:`twolayer.data.datasets.load_dataset`)."""
FILE_SET = "file"
"""The dataset name of the file given to ``twolayer playground --data``."""

LOSSES_BY_TASK = {
    "classification": ("cross_entropy", *SQUARED),
    "regression": SQUARED,
}
"""The losses a task can train with; the first is the task's default.  (Squared losses train a
classifier on one-hot targets; its class is the largest output.)"""
DEFAULT_LOSS = {task: losses[0] if task == "classification" else "mse"
                for task, losses in LOSSES_BY_TASK.items()}  # fmt: skip

FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
"""What the network may take as inputs from data with two inputs ``x1, x2``: the inputs
themselves, their squares, their product and their sines
(:func:`twolayer.playground.datasets.featurize`), as TensorFlow Playground offers them."""

MAX_HIDDEN = 64  # the page draws one heatmap and one column of lines per hidden unit
MAX_SAMPLES = 2000  # drawn sets: enough to see a shape, few enough to train at speed


@dataclass(frozen=True)
class Settings:
    """One playground run's data, network and training settings."""

    # The data (a change draws or loads the data again and resets the run)
    dataset: str = "circle"  # a drawn set, a bundled one, or "file" (--data)
    samples: int = 300  # drawn sets: how many points
    noise: float = 0.05  # drawn sets: std of the Gaussian noise (inputs or targets)
    classes: int = 3  # gaussians and spiral: how many classes
    test_fraction: float = 0.3  # share of points held out as the test set, in [0, 0.9]
    seed: int = 0  # draws the data, the test split and the starting weights
    # The network (a change rebuilds it: reset)
    hidden: int = 8  # H, the hidden units
    activation: str = "relu"  # the seed's
    loss: str = ""  # "": the task's default (cross_entropy, or mse for regression)
    bias: bool = True  # the seed has none, but without them every boundary runs through 0
    init: str = "he"  # he suits ReLU; the seed's is normal
    features: str = "x1,x2"  # data with two inputs: the network's inputs, from FEATURES
    # Training (changes take effect at the next iteration, from the same weights)
    lr: float = 0.03  # learning rate
    optimizer: str = "adam"  # gd | momentum | nesterov | adam
    batch_size: int = 0  # 0: full batch (the seed's); else minibatches, reshuffled per epoch
    alpha: float = 0.0  # L2 penalty on w1 and w2
    l1: float = 0.0  # L1 penalty on w1 and w2
    schedule: str = "constant"  # constant | invscaling | step | cosine | plateau
    step_size: int = 500  # step schedule: iterations between two decays
    gamma: float = 0.5  # step schedule: the factor of each decay
    patience: int = 100  # plateau: iterations without progress before the rate drops
    factor: float = 0.5  # plateau: the factor of each drop
    floor: float = 0.01  # the lowest rate of cosine and plateau, as a share of the rate
    iterations: int = 5000  # where the run stops; the horizon of the cosine schedule
    speed: int = 10  # iterations trained between two frames sent to the page, at most

    def __post_init__(self) -> None:
        _check(self)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (and checked)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_text(self) -> dict[str, str]:
        """Every field as the text the URL hash holds (booleans as 0/1, numbers as ``repr``)."""
        return {name: _text(value) for name, value in self.to_dict().items()}

    @classmethod
    def from_text(cls, values: Mapping[str, Any], base: Settings | None = None) -> Settings:
        """``base`` (default: the defaults) with the fields named in ``values`` read from text
        (or from JSON numbers and booleans); names that are not fields are ignored, so the hash
        can carry other keys.  A value of the wrong type is a ConfigError naming the field."""
        base = base or cls()
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in values:
                changes[f.name] = _parse(f.name, values[f.name], type(getattr(base, f.name)))
        return base.replace(**changes)

    @classmethod
    def from_text_leniently(
        cls, values: Mapping[str, Any], base: Settings | None = None
    ) -> tuple[Settings, list[str]]:
        """:meth:`from_text` one field at a time: the fields that fit are kept, and each one
        that does not is left at ``base`` and named in the messages returned."""
        settings, problems = base or cls(), []
        for f in dataclasses.fields(cls):
            if f.name in values:
                try:
                    settings = cls.from_text({f.name: values[f.name]}, settings)
                except ConfigError as exc:
                    problems.append(str(exc))
        return settings, problems

    def network_inputs(self, n_inputs: int) -> tuple[str, ...]:
        """The :data:`FEATURES` the network takes from data with ``n_inputs`` inputs (data
        without exactly two inputs are taken as they are: empty)."""
        return tuple(self.features.split(",")) if n_inputs == 2 else ()

    def train_config(self, task: str) -> TrainConfig:
        """The :class:`TrainConfig` of these settings for data of ``task``."""
        loss = self.loss or DEFAULT_LOSS[task]
        if loss not in LOSSES_BY_TASK[task]:
            raise ConfigError(
                f"the loss {loss!r} does not fit {task}; use one of "
                f"{', '.join(LOSSES_BY_TASK[task])}"
            )
        return TrainConfig(
            iterations=self.iterations, lr=self.lr, hidden=self.hidden,
            activation=self.activation, loss=loss, bias=self.bias, init=self.init,
            optimizer=self.optimizer, schedule=self.schedule, step_size=self.step_size,
            gamma=self.gamma, plateau_patience=self.patience, plateau_factor=self.factor,
            lr_min=self.floor * self.lr, batch_size=self.batch_size or None, alpha=self.alpha,
            l1=self.l1, scores=True, seed=self.seed,
        )  # fmt: skip


DATA_FIELDS = ("dataset", "samples", "noise", "classes", "test_fraction", "seed")
"""Fields whose change draws or loads the data again (edits by clicking are dropped)."""
NETWORK_FIELDS = ("hidden", "activation", "loss", "bias", "init", "features")
"""Fields whose change rebuilds the network from new starting weights, on the same data."""
SCHEDULE_FIELDS = ("step_size", "gamma", "patience", "factor", "floor")
"""The schedules' own settings: a change restarts the schedule from the current iteration."""
LIVE_FIELDS = ("lr", "optimizer", "batch_size", "alpha", "l1", "schedule", *SCHEDULE_FIELDS,
               "iterations", "speed")  # fmt: skip
"""Fields that change mid-run, without a reset."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(value) if isinstance(value, float) else str(value)


def _parse(name: str, value: Any, kind: type) -> Any:
    """``value`` (text, or a JSON scalar) as a ``kind`` (bool, int, float or str)."""
    if kind is str:
        return str(value)
    text = str(value).strip().lower()
    if kind is bool:
        if isinstance(value, bool):
            return value
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be 0 or 1, got {value!r}")
    try:
        number = float(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ConfigError(f"{name} must be {what}, got {value!r}") from None
    if kind is int:
        if not (math.isfinite(number) and number == int(number)):
            raise ConfigError(f"{name} must be an integer, got {value!r}")
        return int(number)
    return number


def _check(s: Settings) -> None:
    datasets = (*CLASSIFICATION_SETS, *REGRESSION_SETS, *BUNDLED_SETS, FILE_SET)
    for kind, value, valid in (
        ("dataset", s.dataset, datasets),
        ("activation", s.activation, tuple(ACTIVATIONS)),
        ("loss", s.loss, ("", *LOSSES_BY_TASK["classification"])),
        ("init", s.init, INITS),
        ("optimizer", s.optimizer, STEP_OPTIMIZERS),
        ("schedule", s.schedule, SCHEDULES),
    ):
        if value not in valid:
            raise choice_error(kind, value, valid)
    rules: list[tuple[str, Any, bool, str]] = [
        ("samples", s.samples, 10 <= s.samples <= MAX_SAMPLES, f"between 10 and {MAX_SAMPLES}"),
        ("noise", s.noise, 0 <= s.noise <= 1, "between 0 and 1"),
        ("classes", s.classes, 2 <= s.classes <= 6, "between 2 and 6"),
        ("test_fraction", s.test_fraction, 0 <= s.test_fraction <= 0.9, "between 0 and 0.9"),
        ("seed", s.seed, 0 <= s.seed < 2**32, "between 0 and 4294967295"),
        ("hidden", s.hidden, 1 <= s.hidden <= MAX_HIDDEN, f"between 1 and {MAX_HIDDEN}"),
        ("lr", s.lr, math.isfinite(s.lr) and s.lr > 0, "a finite number > 0"),
        ("batch_size", s.batch_size, s.batch_size >= 0, "0 (full batch) or more"),
        ("alpha", s.alpha, math.isfinite(s.alpha) and s.alpha >= 0, "a finite number >= 0"),
        ("l1", s.l1, math.isfinite(s.l1) and s.l1 >= 0, "a finite number >= 0"),
        ("iterations", s.iterations, 1 <= s.iterations <= 10**7, "between 1 and 10000000"),
        ("speed", s.speed, 1 <= s.speed <= 1000, "between 1 and 1000"),
        ("step_size", s.step_size, 1 <= s.step_size <= 10**6, "between 1 and 1000000"),
        ("gamma", s.gamma, 0 < s.gamma <= 1, "in (0, 1]"),
        ("patience", s.patience, 1 <= s.patience <= 10**6, "between 1 and 1000000"),
        ("factor", s.factor, 0 < s.factor < 1, "in (0, 1)"),
        ("floor", s.floor, 0 <= s.floor <= 1, "between 0 and 1"),
    ]
    for name, value, ok, allowed in rules:
        if not ok:
            raise ConfigError(f"{name} must be {allowed}, got {value}")
    chosen = s.features.split(",")
    unknown = [f for f in chosen if f not in FEATURES]
    if unknown or not chosen or len(set(chosen)) != len(chosen):
        raise ConfigError(
            f"features must be distinct names among {', '.join(FEATURES)}, got {s.features!r}"
        )


__all__ = [
    "BUNDLED_SETS",
    "CLASSIFICATION_SETS",
    "DATA_FIELDS",
    "FEATURES",
    "FILE_SET",
    "LIVE_FIELDS",
    "LOSSES_BY_TASK",
    "NETWORK_FIELDS",
    "REGRESSION_SETS",
    "SCHEDULE_FIELDS",
    "Settings",
]
