"""The playground's data: small drawn sets in the square [-1, 1]^2 (or on [-1, 1]), the user's
own file, and the points added or removed by clicking.

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

from twolayer.data.datasets import load_dataset, load_file
from twolayer.data.prep import Dataset, FloatArray
from twolayer.errors import ConfigError, DataError

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
# The user's own file


def load_user_file(
    paths: Sequence[str], target: Sequence[str] | None = None, task: str = "auto"
) -> Dataset:
    """``--data FILE [--target COLUMNS]`` read as ``twolayer train`` reads it.

    ``task="auto"`` takes one target column as class labels when it holds text, or whole
    numbers of at most 20 distinct values; anything else is regression.
    """
    if task not in ("auto", "classification", "regression"):
        raise ConfigError(f"unknown task {task!r}; use auto, classification or regression")
    if task != "auto":
        return load_file(paths, target, task=task)  # type: ignore[arg-type]
    try:
        labelled = load_file(paths, target, task="classification")
    except DataError:  # several target columns, or not labels: regression it is
        return load_file(paths, target, task="regression")
    assert labelled.y is not None
    labels = labelled.y
    whole = labels.dtype.kind in "iuUSb" or bool(np.all(np.asarray(labels) == np.round(labels)))
    if whole and len(np.unique(labels)) <= 20:
        return labelled
    return load_file(paths, target, task="regression")


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


def parse_edits(text: str, n_inputs: int) -> list[Edit]:
    """The edits of the URL hash: :meth:`Edit.to_text` forms joined by ``;``."""
    return [Edit.from_text(item, n_inputs) for item in text.split(";") if item.strip()]


def apply_edit(
    train: Dataset, test: Dataset | None, edit: Edit, classes: NDArray[Any] | None
) -> tuple[Dataset, Dataset | None]:
    """The training and test sets after ``edit``: an added point joins the training set; a
    removed one is the nearest of either set (nothing happens when that would empty the
    training set)."""
    point = np.asarray(edit.point, dtype=np.float64)
    if point.shape != (train.x.shape[1],):
        raise ConfigError(f"a point of this data has {train.x.shape[1]} coordinates")
    if edit.kind == "add":
        return _added(train, point, edit.value, classes), test
    sets = [train] if test is None else [train, test]
    distances = [np.sum((s.x - point) ** 2, axis=1) for s in sets]
    which = int(np.argmin([d.min() if len(d) else np.inf for d in distances]))
    if which == 0 and train.n_samples == 1:
        return train, test
    keep = np.delete(np.arange(sets[which].n_samples), int(np.argmin(distances[which])))
    changed = sets[which].subset(keep)
    return (changed, test) if which == 0 else (train, changed)


def _added(data: Dataset, point: FloatArray, value: float, classes: Any) -> Dataset:
    if data.y is None:
        raise DataError("these data hold no targets")
    if classes is not None:
        index = int(value)
        if not 0 <= index < len(classes) or index != value:
            raise ConfigError(f"class index {value} is not one of 0..{len(classes) - 1}")
        y = np.concatenate([data.y, np.asarray([classes[index]], dtype=data.y.dtype)])
    else:
        if data.y.shape[1] != 1:
            raise ConfigError("points can be added by clicking only to data with one target")
        y = np.concatenate([data.y, [[value]]])
    x = np.concatenate([data.x, point[None, :]])
    return Dataset(x, y, data.name, data.feature_names, data.target_names, data.task)


__all__ = [
    "DRAWN",
    "Edit",
    "apply_edit",
    "bundled",
    "draw",
    "load_user_file",
    "parse_edits",
]
