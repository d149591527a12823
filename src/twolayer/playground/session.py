"""One page's training run: its data, its settings and the state of twolayer's own loop.

A :class:`Session` trains by calling :func:`twolayer.train.train` a few iterations at a time:
each call continues from the session's :class:`~twolayer.state.TrainState` (``state=``) and a
callback ends it after a chunk, so a run made of many chunks is bit for bit the run that one
call would have made.  Between chunks the page may change the learning rate, the optimizer, the
batch size, the L2 penalty, the schedule or the horizon (they take effect at the next iteration,
from the same weights), add or remove points, or reset.

Nothing here knows about the web: the app (:mod:`twolayer.playground.app`) calls these methods
and the frames (:mod:`twolayer.playground.frames`) read the session's fields.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.config import TrainConfig
from twolayer.data.prep import Dataset, Preprocessing, fit_preprocessing
from twolayer.errors import ConfigError, DivergenceError, Range
from twolayer.nn.losses import get_loss
from twolayer.nn.optim import make_optimizer
from twolayer.outputs.doctor import diagnose
from twolayer.playground.datasets import (
    DRAWN,
    MAX_EDITS,
    Edit,
    apply_edits,
    bundled,
    draw,
    edit_limits,
    feature_names,
    featurize,
)
from twolayer.playground.records import History
from twolayer.playground.settings import (
    DATA_FIELDS,
    FILE_SET,
    NETWORK_FIELDS,
    SCHEDULE_FIELDS,
    Settings,
)
from twolayer.state import Callback, Record, TrainState
from twolayer.train import train

MAX_WEIGHT = 1000.0
"""The largest size of a weight set by hand on the page."""
CHUNK_SECONDS = 0.12
"""The longest a chunk of iterations trains before the session reports back, so that a pause
or a new learning rate is heard within about this long, whatever the speed and the data."""


@dataclass
class Data:
    """A session's points in their own units, and how they become the network's arrays.

    Attributes
    ----------
    train, test : the training points and the held-out test points (None: no test set).
    prep : input scaling (bundled sets and files) and the class labels (classification).
    task : "classification" or "regression".
    limits : where clicked points may lie (:func:`~twolayer.playground.datasets.edit_limits`
        of the data as drawn or loaded).
    features : what the network takes from two inputs (:func:`featurize`); empty: the inputs.
    """

    train: Dataset
    test: Dataset | None
    prep: Preprocessing
    task: str
    limits: list[tuple[float, float]]
    features: tuple[str, ...] = ()

    @property
    def n_inputs(self) -> int:
        """The data's inputs (the plane's axes), before the features."""
        return int(self.train.x.shape[1])

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The network's D_in input names."""
        return feature_names(self.train.feature_names, self.features)

    def features_of(self, x: NDArray[Any]) -> NDArray[Any]:
        """Points x (n, n_inputs) in the data's units as the network's columns, unscaled."""
        return featurize(x, self.features)

    def inputs(self, x: NDArray[Any]) -> NDArray[Any]:
        """Points x (n, n_inputs) as the network's inputs (n, D_in): features, then scaling."""
        return np.asarray(self.prep.inputs(self.features_of(x)))

    def arrays(self, which: Dataset) -> tuple[NDArray[Any], NDArray[Any]]:
        """The network's inputs (n, D_in) and targets (n, D_out) of ``which``."""
        return self.inputs(which.x), self.prep.targets(which.targets())


class _Chunk(Callback):
    """Keeps each iteration's record and stops the run after ``n`` iterations or ``seconds``."""

    reads_state = False

    def __init__(self, n: int, seconds: float) -> None:
        self.n, self.deadline = n, time.perf_counter() + seconds
        self.records: list[Record] = []

    def on_iteration_end(self, record: Record, state: TrainState) -> bool:
        self.records.append(record)
        return len(self.records) >= self.n or time.perf_counter() >= self.deadline


class Session:
    """The data, the settings and the training state of one playground run.

    Parameters
    ----------
    settings : what the page asked for (the URL hash).
    file_data : the ``--data`` file, offered as the dataset ``"file"``.
    edits : points added or removed by clicking, replayed on the data in order.
    stop : asked while the edits are replayed; True ends the replay
        (:class:`~twolayer.playground.datasets.EditsCancelledError`).
    """

    def __init__(
        self, settings: Settings, file_data: Dataset | None = None, edits: Sequence[Edit] = (),
        stop: Callable[[], bool] | None = None,
    ) -> None:  # fmt: skip
        self.file_data = file_data
        self.settings = settings
        self.data = self._load(settings)
        self.edits: list[Edit] = []
        self.history = History()
        self.edit(edits, stop)
        self.reset()

    # -- building -----------------------------------------------------------------------------

    def _load(self, settings: Settings) -> Data:
        """Draw or load the data of ``settings``, split off the test set, fit the scaling."""
        s = settings
        if s.dataset in DRAWN:
            whole = draw(s.dataset, s.samples, s.noise, s.classes, s.seed)
        elif s.dataset == FILE_SET:
            if self.file_data is None:
                raise ConfigError(
                    "no file was given: upload one (your file, under Data) or start "
                    "with twolayer playground --data FILE"
                )
            whole = self.file_data
        else:
            whole = bundled(s.dataset)
        task = "regression" if whole.task == "regression" else "classification"
        if whole.task == "multilabel":
            raise ConfigError("the playground trains classification or regression data")
        train_set, test_set = (whole, None) if s.test_fraction == 0 else whole.split(
            s.test_fraction, s.seed
        )  # fmt: skip
        drawn = s.dataset in DRAWN
        data = Data(train_set, test_set, Preprocessing(), task, edit_limits(whole, drawn))
        return self._fit(data, settings, whole)

    def _fit(self, data: Data, settings: Settings, whole: Dataset | None = None) -> Data:
        """``data`` with the features of ``settings`` and the scaling fitted to its training
        points (drawn sets are not scaled: the plane the page shows is the network's input)."""
        features = settings.network_inputs(data.n_inputs)
        drawn = settings.dataset in DRAWN
        x = featurize(data.train.x, features)
        task: Any = data.task
        prep = fit_preprocessing(x, data.train.targets(), task, standardize=not drawn)
        if data.task == "classification":  # every class, even one the split left out
            classes = data.prep.classes if whole is None else np.unique(whole.targets())
            prep = dataclasses.replace(prep, classes=classes)
        return dataclasses.replace(data, prep=prep, features=features)

    def reset(self) -> None:
        """New starting weights (drawn from the seed: the same ones every time) and an empty
        history (the old one's memory and file are freed); the data and the settings stay."""
        self.config: TrainConfig = self.settings.train_config(self.data.task)
        x, y = self.data.arrays(self.data.train)
        start = train(x, y, self.config.replace(iterations=0))  # draws the weights as a run does
        self.state: TrainState = start.state
        self.history.close()
        self.history = History()
        self.error: str | None = None
        self.diverged: tuple[int, float] | None = None  # the iteration and loss that stopped it
        self.origin = 0  # the iteration the schedule counts from (it restarts when changed)

    # -- training -----------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.state.iteration >= self.config.iterations

    def diagnosis(self) -> list[str]:
        """What the training doctor (:mod:`twolayer.outputs.doctor`) sees in the run so far:
        its first and latest records, the weights now, the training points."""
        x, _ = self.data.arrays(self.data.train)
        found = diagnose(self.history.reviewed(), self.state.params, self.config, x)
        if not len(self.history):
            return ["nothing trained yet: press play, then ask again"]
        return [f.line() for f in found] or ["nothing to flag: the run looks healthy"]

    def advance(self, n: int, seconds: float = CHUNK_SECONDS) -> list[Record]:
        """Train up to ``n`` iterations (fewer when ``seconds`` run out, the horizon is reached
        or the loss diverges: then :attr:`error` says why); return their records.

        The schedule counts from :attr:`origin`, the iteration where it (or the rate) was last
        chosen: ``train`` continues a state whose iteration is counted from there, to a horizon
        counted alike, and the records are numbered back from the start."""
        if n < 1 or self.finished or self.error is not None:
            return []
        x, y = self.data.arrays(self.data.train)
        test = None if self.data.test is None else self.data.arrays(self.data.test)
        chunk = _Chunk(n, seconds)
        origin, state = self.origin, self.state
        config = self.config.replace(iterations=self.config.iterations - origin)
        state.iteration -= origin
        try:
            train(x, y, config, state=state, callbacks=[chunk], validation=test)
        except DivergenceError as exc:
            self.diverged = (exc.iteration + origin, exc.loss)
            where = f"iteration {exc.iteration}"
            self.error = (f"{str(exc).replace(where, f'iteration {exc.iteration + origin}', 1)}; "
                          "change the learning rate and press reset")  # fmt: skip
        finally:
            state.iteration += origin
        offset = self.history.last.elapsed if self.history.last else 0.0
        scale = self.test_scale
        for record in chunk.records:  # seconds since the reset, iterations since the start
            record.elapsed += offset
            record.iteration += origin
            if record.val_loss is not None:
                record.val_loss *= scale
        self.history.extend(chunk.records)
        return chunk.records

    @property
    def test_scale(self) -> float:
        """What the test loss is multiplied by to compare with the training loss: for a loss
        that sums over the points (``sse``), the training points over the test points (the
        test loss is then the sum the test points would give at the training set's size); 1
        for the mean losses."""
        data = self.data
        if data.test is None or get_loss(self.config.loss).reduction == "mean":
            return 1.0
        return data.train.n_samples / data.test.n_samples

    # -- changes --------------------------------------------------------------------------------

    def change(self, settings: Settings) -> str:
        """Apply new settings; return what that took: ``"none"``, ``"live"`` (the run goes
        on from the same weights), ``"network"`` (new starting weights on the same data) or
        ``"data"`` (the data drawn or loaded again, clicked points dropped, and a reset).
        Settings that do not fit the data raise a ConfigError and change nothing."""
        old = self.settings
        changed = {f.name for f in dataclasses.fields(Settings)
                   if getattr(settings, f.name) != getattr(old, f.name)}  # fmt: skip
        if not changed:
            return "none"
        if changed & set(DATA_FIELDS):
            data = self._load(settings)
            settings.train_config(data.task)  # refuse a loss that does not fit, changing nothing
            self.settings, self.data, self.edits = settings, data, []
            self.reset()
            return "data"
        config = settings.train_config(self.data.task)
        if "features" in changed:
            self.data = self._fit(self.data, settings)
        self.settings = settings
        if changed & set(NETWORK_FIELDS):
            self.reset()
            return "network"
        self._go_on_with(config, changed)
        return "live"

    def _go_on_with(self, config: TrainConfig, changed: set[str]) -> None:
        """Continue the run under ``config``: a new optimizer starts with fresh buffers (and
        Adam's step count from 0); a new schedule, base rate or schedule setting starts the
        schedule again from this iteration, at the base rate (and forgets the plateau's
        state)."""
        state = self.state
        if config.optimizer != self.config.optimizer:
            state.opt_state = make_optimizer(config.optimizer).init(state.params)
            state.step = 0
        if changed & {"schedule", "lr", *SCHEDULE_FIELDS}:
            state.schedule_state = {}
            self.origin = state.iteration
        self.config = config

    def set_weight(self, name: str, index: Sequence[int], value: float) -> None:
        """Set one weight or bias (``w1[i, j]``, ``b2[k]``...) to ``value``; training goes on
        from there (the optimizer keeps its buffers)."""
        params = self.state.params.named()
        if name not in params:
            raise ConfigError(f"no parameter {name!r}; this network has {', '.join(params)}")
        array = np.array(params[name], copy=True)
        where = tuple(int(i) for i in index)
        if len(where) != array.ndim or not all(
            0 <= i < n for i, n in zip(where, array.shape, strict=True)
        ):
            raise ConfigError(f"{name} has shape {array.shape}; no entry {list(where)}")
        Range(-MAX_WEIGHT, MAX_WEIGHT).check("a weight", value)
        array[where] = value
        self.state.params = dataclasses.replace(self.state.params, **{name: array})

    def edit(self, items: Sequence[Edit], stop: Callable[[], bool] | None = None) -> None:
        """Add or remove points (:func:`twolayer.playground.datasets.apply_edits`), at most
        :data:`~twolayer.playground.datasets.MAX_EDITS` in a run; training goes on from the
        same weights.  Edits that do not fit change nothing (a ConfigError says why)."""
        if not items:
            return
        if len(self.edits) + len(items) > MAX_EDITS:
            raise ConfigError(
                f"at most {MAX_EDITS} points can be clicked in a run; change the seed or the "
                "dataset to start from the drawn points again"
            )
        data = self.data
        classes = data.prep.classes if data.task == "classification" else None
        train_set, test_set = apply_edits(data.train, data.test, items, classes, data.limits, stop)
        if test_set is not None and test_set.n_samples == 0:
            test_set = None
        self.data = dataclasses.replace(data, train=train_set, test=test_set)
        self.edits.extend(items)


__all__ = ["CHUNK_SECONDS", "MAX_WEIGHT", "Data", "Session"]
