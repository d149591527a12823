"""The playground's data: small drawn sets in the square [-1, 1]^2 (or on [-1, 1]), the bundled
sets, and the points added or removed by clicking (the user's own file is
:mod:`twolayer.playground.userfile`).

Drawn sets are :class:`~twolayer.data.prep.Dataset` objects like every other source, so the
rest of the playground treats a spiral and ``--data my.csv`` alike.  Each is drawn from its own
seeded generator, so the same settings always draw the same points.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.data.datasets import load_dataset
from twolayer.data.prep import Dataset, FloatArray
from twolayer.errors import ConfigError, TwoLayerError

# ---------------------------------------------------------------------------------------------
# Drawn sets: x (n, 2) or (n, 1) in [-1, 1]; labels (n,) or targets (n, 1)

Draw = Callable[[np.random.Generator, int, float, int], tuple[FloatArray, NDArray[Any]]]


def circle(rng: np.random.Generator, n: int, noise: float, classes: int) -> tuple[Any, Any]:
    """Class 0 inside radius 0.45, class 1 on the ring from 0.6 to 0.95."""
    inner = n // 2
    radius = np.concatenate([rng.uniform(0, 0.45, inner), rng.uniform(0.6, 0.95, n - inner)])
    angle = rng.uniform(0, 2 * math.pi, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)  # (n, 2)
    labels = np.repeat([0, 1], [inner, n - inner])
    return x + noise * rng.standard_normal((n, 2)), labels


def xor(rng: np.random.Generator, n: int, noise: float, classes: int) -> tuple[Any, Any]:
    """Class 1 where the two coordinates have opposite signs (kept 0.05 off the axes)."""
    x = rng.uniform(0.05, 0.95, (n, 2)) * rng.choice([-1.0, 1.0], (n, 2))
    labels = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + noise * rng.standard_normal((n, 2)), labels


def gaussians(rng: np.random.Generator, n: int, noise: float, classes: int) -> tuple[Any, Any]:
    """``classes`` round clouds (std 0.15 + noise), centred on a circle of radius 0.5."""
    labels = np.arange(n) % classes
    angle = 2 * math.pi * labels / classes + math.pi / 4
    centres = 0.5 * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    return centres + (0.15 + noise) * rng.standard_normal((n, 2)), labels


def spiral(rng: np.random.Generator, n: int, noise: float, classes: int) -> tuple[Any, Any]:
    """``classes`` interleaved arms, each turning once and a half around the centre."""
    labels = np.arange(n) % classes
    t = rng.uniform(0.08, 1.0, n)  # how far along its arm a point lies
    angle = 3 * math.pi * t + 2 * math.pi * labels / classes
    x = 0.9 * t[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return x + noise * rng.standard_normal((n, 2)), labels


def sine(rng: np.random.Generator, n: int, noise: float, classes: int) -> tuple[Any, Any]:
    """One input: ``y = 0.8 sin(pi x)`` plus noise."""
    x = rng.uniform(-1, 1, (n, 1))
    return x, 0.8 * np.sin(math.pi * x) + noise * rng.standard_normal((n, 1))


def plane(rng: np.random.Generator, n: int, noise: float, classes: int) -> tuple[Any, Any]:
    """Two inputs: ``y = (x1 - x2) / 2`` plus noise, the simplest surface."""
    x = rng.uniform(-1, 1, (n, 2))
    y = (x[:, :1] - x[:, 1:]) / 2
    return x, y + noise * rng.standard_normal((n, 1))


def bumps(rng: np.random.Generator, n: int, noise: float, classes: int) -> tuple[Any, Any]:
    """Two inputs: a hill at (-0.4, 0.4) and a hollow at (0.4, -0.4), plus noise."""
    x = rng.uniform(-1, 1, (n, 2))

    def bump(cx: float, cy: float) -> Any:
        return np.exp(-((x[:, :1] - cx) ** 2 + (x[:, 1:] - cy) ** 2) / 0.18)

    y = bump(-0.4, 0.4) - bump(0.4, -0.4)
    return x, y + noise * rng.standard_normal((n, 1))


DRAWN: dict[str, Draw] = {
    "circle": circle,
    "xor": xor,
    "gaussians": gaussians,
    "spiral": spiral,
    "sine": sine,
    "plane": plane,
    "bumps": bumps,
}
"""Every drawn set by name."""
CLASS_COUNTS = {"circle": 2, "xor": 2}
"""Sets with a fixed number of classes; gaussians and spiral take the ``classes`` setting."""


def draw(name: str, n: int, noise: float, classes: int, seed: int) -> Dataset:
    """The drawn set ``name``: ``n`` points, with noise and (gaussians, spiral) ``classes``."""
    if name not in DRAWN:
        raise ConfigError(f"unknown drawn dataset {name!r}; valid ones are {', '.join(DRAWN)}")
    rng = np.random.default_rng(seed)  # the set's own seeded generator: no global state
    x, y = DRAWN[name](rng, n, noise, CLASS_COUNTS.get(name, classes))
    features = tuple(f"x{j + 1}" for j in range(x.shape[1]))
    if y.ndim == 1:
        return Dataset(x, y.astype(np.int64), name, features, ("class",), "classification")
    return Dataset(x, y, name, features, ("y",), "regression")


def bundled(name: str) -> Dataset:
    """A dataset that ships inside scikit-learn (digits, diabetes, linnerud)."""
    return load_dataset(name)


# ---------------------------------------------------------------------------------------------
# Features: what the network takes from two inputs

FEATURE_MAPS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "x1": lambda x: x[:, 0],
    "x2": lambda x: x[:, 1],
    "x1sq": lambda x: x[:, 0] ** 2,
    "x2sq": lambda x: x[:, 1] ** 2,
    "x1x2": lambda x: x[:, 0] * x[:, 1],
    "sinx1": lambda x: np.sin(x[:, 0]),
    "sinx2": lambda x: np.sin(x[:, 1]),
}
"""Each feature of :data:`~twolayer.playground.settings.FEATURES` from points x (n, 2)."""
FEATURE_NAMES = {"x1sq": "{0}^2", "x2sq": "{1}^2", "x1x2": "{0}*{1}", "sinx1": "sin({0})",
                 "sinx2": "sin({1})", "x1": "{0}", "x2": "{1}"}  # fmt: skip
"""How a feature is named in a model file, from the names of the two inputs."""


def featurize(x: FloatArray, features: Sequence[str]) -> FloatArray:
    """The columns ``features`` of points x (n, 2): (n, len(features)); x itself when
    ``features`` is empty (data without exactly two inputs)."""
    if not features:
        return x
    return np.stack([FEATURE_MAPS[f](x) for f in features], axis=1)


def feature_names(inputs: Sequence[str], features: Sequence[str]) -> tuple[str, ...]:
    """The names of :func:`featurize`'s columns for inputs named ``inputs`` (``x1^2``, ...)."""
    if not features:
        return tuple(inputs)
    return tuple(FEATURE_NAMES[f].format(*inputs) for f in features)


# ---------------------------------------------------------------------------------------------
# Points added and removed by clicking


@dataclass(frozen=True)
class Edit:
    """One click on the data: add a point of ``value`` (a class index, or a target) at
    ``point`` (in the data's own units), or remove the point nearest to ``point``."""

    kind: str  # "add" or "remove"
    point: tuple[float, ...]  # (x1, x2), or (x,) for one input
    value: float = 0.0  # add: the class's index in the sorted classes, or the target

    def to_text(self) -> str:
        """``a,x1,x2,value`` or ``r,x1,x2``: the URL hash's form."""
        numbers = [*self.point, self.value] if self.kind == "add" else list(self.point)
        return ",".join([self.kind[0], *(f"{v:.4g}" for v in numbers)])

    @classmethod
    def from_text(cls, text: str, n_inputs: int) -> Edit:
        """Read :meth:`to_text`'s form for data with ``n_inputs`` inputs."""
        kind, *numbers = text.split(",")
        try:
            values = [float(v) for v in numbers]
        except ValueError:
            raise ConfigError(f"edit {text!r}: not numbers") from None
        kinds = {"a": ("add", n_inputs + 1), "r": ("remove", n_inputs)}
        if kind not in kinds or len(values) != kinds[kind][1]:
            raise ConfigError(f"edit {text!r}: expected a,x..,value or r,x..")
        if not all(math.isfinite(v) for v in values):
            raise ConfigError(f"edit {text!r}: not finite")
        name, _ = kinds[kind]
        value = values[n_inputs] if name == "add" else 0.0
        return cls(name, tuple(values[:n_inputs]), value)


MAX_EDITS = 1000
"""The most points a run may add or remove by clicking (the URL hash holds them all)."""
MAX_EDIT_TEXT = 40 * MAX_EDITS
"""The longest text of clicked points read (characters): 40 per point is room to spare."""

Limits = Sequence[tuple[float, float]]
"""For each input (and, where a click sets it, the target): the lowest and highest value an
added or removed point may have."""


class EditsCancelledError(TwoLayerError):
    """Replaying clicked points stopped because the page that sent them went away."""


def parse_edits(text: str, n_inputs: int) -> list[Edit]:
    """The edits of the URL hash: :meth:`Edit.to_text` forms joined by ``;``; at most
    :data:`MAX_EDITS` of them in at most :data:`MAX_EDIT_TEXT` characters."""
    if len(text) > MAX_EDIT_TEXT:
        raise ConfigError(
            f"the clicked points take {len(text)} characters; at most {MAX_EDIT_TEXT} are read"
        )
    items = [item for item in text.split(";") if item.strip()]
    if len(items) > MAX_EDITS:
        raise ConfigError(f"{len(items)} clicked points; at most {MAX_EDITS} are kept")
    return [Edit.from_text(item, n_inputs) for item in items]


def edit_limits(data: Dataset, drawn: bool) -> list[tuple[float, float]]:
    """Where clicked points may lie: each input's range over ``data`` (and, with one target,
    the target's), widened by that range on both sides; drawn sets at least [-1, 1] before
    widening.  Fixed when the data are drawn or loaded, so that clicks cannot push the plane
    out without end."""
    columns = [data.x[:, j] for j in range(data.x.shape[1])]
    if data.task == "regression" and data.y is not None and data.y.shape[1] == 1:
        columns.append(data.y[:, 0])
    limits = []
    for values in columns:
        low, high = float(np.min(values)), float(np.max(values))
        if drawn:
            low, high = min(low, -1.0), max(high, 1.0)
        span = max(high - low, 1e-9)
        limits.append((low - span, high + span))
    return limits


def apply_edits(
    train: Dataset, test: Dataset | None, edits: Sequence[Edit], classes: NDArray[Any] | None,
    limits: Limits | None = None, stop: Callable[[], bool] | None = None,
) -> tuple[Dataset, Dataset | None]:  # fmt: skip
    """The training and test sets after ``edits``, in order: an added point joins the training
    set; a removed one is the nearest point of either set (nothing happens when that would
    empty the training set).

    Each edit costs one pass over the points, so a replay takes time linear in the number of
    edits.  ``limits`` bound where points may lie (a ConfigError names the one outside);
    ``stop`` is asked before each edit and ends the replay with :class:`EditsCancelledError` when
    it says so (the sets passed in are never changed).
    """
    d = train.x.shape[1]
    adds = [e for e in edits if e.kind == "add"]
    for e in edits:
        _check_edit(e, d, limits, classes)
    x = np.concatenate([train.x, np.asarray([e.point for e in adds], dtype=np.float64)
                        .reshape(len(adds), d)])  # fmt: skip
    y = np.concatenate([train.targets(), _added_targets(train, adds, classes)])
    weight = None
    if train.weight is not None:
        weight = np.concatenate([train.weight, np.ones(len(adds))])
    alive = np.zeros(len(x), dtype=bool)  # the training rows that exist now
    alive[: train.n_samples] = True
    test_alive = np.ones(0 if test is None else test.n_samples, dtype=bool)
    added = train.n_samples
    for e in edits:
        if stop is not None and stop():
            raise EditsCancelledError("the page closed while its clicked points were replayed")
        if e.kind == "add":
            alive[added] = True
            added += 1
            continue
        point = np.asarray(e.point, dtype=np.float64)
        near_train = _nearest(x, alive, point)
        near_test = None if test is None else _nearest(test.x, test_alive, point)
        if near_test is not None and (near_train is None or near_test[1] < near_train[1]):
            test_alive[near_test[0]] = False
        elif near_train is not None and np.count_nonzero(alive) > 1:
            alive[near_train[0]] = False
    kept = Dataset(x[alive], y[alive], train.name, train.feature_names, train.target_names,
                   train.task, None if weight is None else weight[alive])  # fmt: skip
    if test is None or test_alive.all():
        return kept, test
    return kept, test.subset(np.flatnonzero(test_alive))


def _nearest(
    x: FloatArray, alive: NDArray[np.bool_], point: FloatArray
) -> tuple[int, float] | None:
    """The index of the row of ``x`` among ``alive`` nearest to ``point``, and its squared
    distance; None when no row is alive."""
    if not alive.any():
        return None
    distances = np.where(alive, np.sum((x - point) ** 2, axis=1), np.inf)
    index = int(np.argmin(distances))
    return index, float(distances[index])


def _check_edit(edit: Edit, d: int, limits: Limits | None, classes: NDArray[Any] | None) -> None:
    """A ConfigError when ``edit`` does not fit data of ``d`` inputs, ``limits`` and
    ``classes``."""
    if len(edit.point) != d:
        raise ConfigError(f"a point of this data has {d} coordinates")
    values = [*edit.point, edit.value] if edit.kind == "add" else list(edit.point)
    for k, (value, (low, high)) in enumerate(zip(values, limits or (), strict=False)):
        if not low <= value <= high:
            what = f"coordinate {k + 1}" if k < d else "the value"
            raise ConfigError(
                f"edit {edit.to_text()!r}: {what} {value:.4g} lies outside the plane's reach, "
                f"{low:.4g} to {high:.4g}"
            )
    if edit.kind == "add" and classes is not None:
        index = int(edit.value)
        if not 0 <= index < len(classes) or index != edit.value:
            raise ConfigError(f"class index {edit.value} is not one of 0..{len(classes) - 1}")


def _added_targets(data: Dataset, adds: Sequence[Edit], classes: Any) -> NDArray[Any]:
    """The targets of the added points, shaped like ``data``'s."""
    y = data.targets()
    if classes is not None:
        return np.asarray([classes[int(e.value)] for e in adds], dtype=y.dtype)
    if adds and y.shape[1] != 1:
        raise ConfigError("points can be added by clicking only to data with one target")
    return np.asarray([[e.value] for e in adds], dtype=y.dtype).reshape(len(adds), y.shape[1])


__all__ = [
    "DRAWN",
    "MAX_EDITS",
    "MAX_EDIT_TEXT",
    "Edit",
    "EditsCancelledError",
    "apply_edits",
    "bundled",
    "draw",
    "edit_limits",
    "feature_names",
    "featurize",
    "parse_edits",
]
