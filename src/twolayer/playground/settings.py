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

from twolayer.config import TrainConfig, check_fields, like, setting, spec
from twolayer.errors import NON_NEGATIVE_INT, ConfigError, Range, must_be
from twolayer.nn.losses import SQUARED
from twolayer.nn.optim import STEP_OPTIMIZERS

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


DATA, NETWORK, SCHEDULE, LIVE = "data", "network", "schedule", "live"
"""What a change of a setting does (its declared ``effect``): draw or load the data again and
reset the run; rebuild the network from new starting weights on the same data; restart the
schedule from the current iteration; or take effect at the next iteration, from the same
weights."""

DATASETS = (*CLASSIFICATION_SETS, *REGRESSION_SETS, *BUNDLED_SETS, FILE_SET)


@dataclass(frozen=True)
class Settings:
    """One playground run's data, network and training settings.

    The settings that are :class:`~twolayer.config.TrainConfig` fields take its declaration
    (:func:`~twolayer.config.like`: help, range, choices) with the page's default, and a
    narrower range where the page has a reason; the page's own are declared here
    (:func:`~twolayer.config.setting`).  Each says what a change does (``effect``)."""

    # The data
    dataset: str = setting("circle", "a drawn set, a bundled one, or file (--data)",
                           choices=DATASETS, effect=DATA)  # fmt: skip
    samples: int = setting(300, "drawn sets: how many points",
                           Range(10, MAX_SAMPLES, integer=True), effect=DATA)  # fmt: skip
    noise: float = setting(0.05, "drawn sets: std of the Gaussian noise (inputs or targets)",
                           Range(0, 1), effect=DATA)  # fmt: skip
    classes: int = setting(3, "gaussians and spiral: how many classes",
                           Range(2, 6, integer=True), effect=DATA)  # fmt: skip
    test_fraction: float = setting(0.3, "share of points held out as the test set",
                                   Range(0, 0.9), effect=DATA)  # fmt: skip
    seed: int = like("seed", 0, DATA, help="draws the data, the test split and the weights")
    # The network
    hidden: int = like("hidden", 8, NETWORK, range=Range(1, MAX_HIDDEN, integer=True))
    activation: str = like("activation", "relu", NETWORK)
    loss: str = setting("", "the task's default (cross_entropy, or mse for regression) if empty",
                        choices=("", *LOSSES_BY_TASK["classification"]),
                        effect=NETWORK)  # fmt: skip
    bias: bool = like("bias", True, NETWORK)  # without them every boundary runs through 0
    init: str = like("init", "he", NETWORK)  # he suits ReLU
    features: str = setting("x1,x2", "data with two inputs: the network's inputs, from FEATURES",
                            effect=NETWORK)  # fmt: skip
    # Training
    lr: float = like("lr", 0.03, LIVE)
    optimizer: str = like("optimizer", "adam", LIVE, choices=STEP_OPTIMIZERS)
    batch_size: int = setting(0, "minibatch size (0: the full batch, the seed's)",
                              NON_NEGATIVE_INT, effect=LIVE)  # fmt: skip
    alpha: float = like("alpha", 0.0, LIVE)
    l1: float = like("l1", 0.0, LIVE)
    schedule: str = like("schedule", "constant", LIVE)
    step_size: int = like("step_size", 500, SCHEDULE)
    gamma: float = like("gamma", 0.5, SCHEDULE)
    patience: int = like("plateau_patience", 100, SCHEDULE)
    factor: float = like("plateau_factor", 0.5, SCHEDULE)
    floor: float = setting(0.01, "the lowest rate of cosine and plateau, as a share of the rate",
                           Range(0, 1), effect=SCHEDULE)  # fmt: skip
    iterations: int = like(
        "iterations", 5000, LIVE, range=Range(1, 10**7, integer=True),
        help="where the run stops; the horizon of the cosine schedule",
    )  # fmt: skip
    speed: int = setting(10, "iterations trained between two frames sent to the page, at most",
                         Range(1, 1000, integer=True), effect=LIVE)  # fmt: skip

    def __post_init__(self) -> None:
        check_fields(self)
        chosen = self.features.split(",")
        unknown = [f for f in chosen if f not in FEATURES]
        if unknown or not chosen or len(set(chosen)) != len(chosen):
            raise ConfigError(f"features must be distinct names among {', '.join(FEATURES)}, "
                              f"got {self.features!r}")  # fmt: skip

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


def _having(*effects: str) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(Settings) if spec(Settings, f.name).effect
                 in effects)  # fmt: skip


DATA_FIELDS = _having(DATA)
"""Fields whose change draws or loads the data again (edits by clicking are dropped)."""
NETWORK_FIELDS = _having(NETWORK)
"""Fields whose change rebuilds the network from new starting weights, on the same data."""
SCHEDULE_FIELDS = _having(SCHEDULE)
"""The schedules' own settings: a change restarts the schedule from the current iteration."""
LIVE_FIELDS = _having(LIVE, SCHEDULE)
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
        raise ConfigError(f"{name} {must_be('0 or 1', repr(value))}")
    try:
        number = float(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ConfigError(f"{name} {must_be(what, repr(value))}") from None
    if kind is int:
        if not (math.isfinite(number) and number == int(number)):
            raise ConfigError(f"{name} {must_be('an integer', repr(value))}")
        return int(number)
    return number


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
