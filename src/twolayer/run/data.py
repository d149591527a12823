"""A session's data: read from its source, then split off the test set and scaled.

Two steps, with the configuration built between them (it depends on the data's task and
size, and the test split on its seed): :func:`read_data` reads the source (a file, a bundled
dataset, the seed's draws, or chunks opened lazily by Dask) and gives the sizes the
configuration needs; :func:`prepare` splits off the test set and fits the scaling.  A resumed
session's configuration is the saved one (:func:`resumed_config`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twolayer.config import TrainConfig
from twolayer.data.chunks import open_data
from twolayer.data.prep import Dataset, Preprocessing, fit_preprocessing
from twolayer.data.sources import load_source
from twolayer.data.splits import held_out
from twolayer.errors import ConfigError, DataError, ModelFileError
from twolayer.nn.model import Params
from twolayer.run.request import Session


@dataclass(frozen=True)
class SourceData:
    """A session's data as read, before any split.

    Attributes
    ----------
    dataset : all the rows read (in memory), or None for chunks
    seed_params : the seed's own weights when the source is the seed's draws, else None
    chunks : Dask arrays ``(x (N, D_in), y (N, D_out))`` of chunked data, read as they are
    sizes : what the configuration depends on: the task (``"regression"``,
        ``"classification"`` or ``"multilabel"``), the training rows the test split leaves and,
        for classification, the rows of the smallest class (None where unknown)
    """

    dataset: Dataset | None
    seed_params: Params | None
    chunks: tuple[Any, Any] | None
    sizes: tuple[str, int | None, int | None]


@dataclass(frozen=True)
class Prepared:
    """The training arrays of a session and what describes them."""

    x: Any  # (N, D_in), scaled: NumPy, or Dask for chunks
    y: Any  # (N, D_out), scaled
    prep: Preprocessing
    train_set: Dataset | None  # in memory only: the metrics need it
    test_set: Dataset | None
    names: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # features, targets
    seed_params: Params | None = None
    dataset: Dataset | None = None  # all the rows read (in memory only)


def read_data(session: Session) -> SourceData:
    """The session's source, read (chunks: opened lazily).  A fresh session's source gets the
    data's fingerprint (and a file's absolute paths, so a resume works from anywhere); a
    resumed one's data must still have the saved fingerprint."""
    source, saved = session.source, session.saved
    if source["kind"] == "chunks":
        return SourceData(None, None, open_data(source["path"]), ("regression", None, None))
    try:
        dataset, seed_params = load_source(source)
    except ConfigError as exc:  # the seed's draws it asks for cannot fit in memory
        if saved is None:
            raise
        raise ModelFileError(f"{session.resume}: metadata field 'source': {exc}") from None
    if saved is None:
        source["fingerprint"] = dataset.fingerprint()
        if source["kind"] == "file":
            source["paths"] = [str(Path(p).resolve()) for p in source["paths"]]
    elif dataset.fingerprint() != source.get("fingerprint"):
        raise DataError(f"{session.resume}: the training data changed since it was saved")
    n = dataset.n_samples - held_out(dataset.n_samples, source["test_fraction"])
    smallest = None
    if dataset.task == "classification" and dataset.y is not None:
        smallest = int(np.unique(dataset.y, return_counts=True)[1].min())
    return SourceData(dataset, seed_params, None, (dataset.task, n, smallest))


def resumed_config(session: Session) -> TrainConfig:
    """The configuration a resumed session continues: the saved one, with the new total of
    iterations when one is asked for (a ConfigError when it is not more than were done, or
    when none is asked for and the run is complete)."""
    saved = session.saved
    assert saved is not None
    assert saved.model.config is not None
    assert saved.state is not None
    config, done = saved.model.config, saved.state.iteration
    if session.iterations is not None:
        if session.iterations <= done:
            raise ConfigError(
                f"--iterations {session.iterations}: {session.resume} has done {done} "
                "iterations already; ask for more to continue it"
            )
        return config.replace(iterations=session.iterations)
    if done >= config.iterations:
        raise ConfigError(
            f"{session.resume} has run all its {done} iterations; pass --iterations with a "
            "larger total to continue it"
        )
    return config


def prepare(session: Session, data: SourceData, config: TrainConfig) -> Prepared:
    """The training arrays: the test set split off (seeded by ``config.seed``) and the
    scaling fitted on the training rows (a resumed session's is the saved one); chunks as
    they are."""
    source, saved, dataset = session.source, session.saved, data.dataset
    if dataset is None:
        assert data.chunks is not None
        return Prepared(*data.chunks, Preprocessing(), None, None)
    train_set, test_set = dataset.split(source["test_fraction"], config.seed)
    try:
        prep = saved.model.preprocessing if saved else fit_preprocessing(
            train_set.x, train_set.targets(), dataset.task, standardize=source["standardize"],
            weight=train_set.weight, columns=dataset.columns, missing=dataset.missing,
            feature_names=dataset.feature_names, target_names=dataset.target_names,
        )  # fmt: skip
    except DataError as exc:
        raise DataError(f"{dataset.name}: {exc}") from None
    x, y = prep.inputs(train_set.x), prep.targets(train_set.targets())
    features = dataset.feature_names if prep.encoding is None else prep.encoding.feature_names
    return Prepared(x, y, prep, train_set, test_set, (features, dataset.target_names),
                    data.seed_params, dataset)  # fmt: skip


def initial_params(seed_params: Params | None, config: TrainConfig) -> Params | None:
    """The seed's own standard-normal weights when ``init`` is the seed's (zero biases added),
    else None so ``train`` draws them."""
    if seed_params is None or config.init != "normal":
        return None
    params = seed_params
    if config.bias:
        hidden, d_out = params.w2.shape
        params = Params(params.w1, params.w2, np.zeros(hidden), np.zeros(d_out))
    return params.map(lambda p: p.astype(config.dtype))


__all__ = ["Prepared", "SourceData", "initial_params", "prepare", "read_data", "resumed_config"]
