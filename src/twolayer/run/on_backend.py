"""Where training runs: on an array backend and device (:func:`train_on_backend`, what
``twolayer train --backend`` uses), or on a Dask cluster for data too large for one machine
(:func:`train_on_cluster`, also ``twolayer.run.train_on_cluster``): a step of a session
(:mod:`twolayer.run`) that may also be used alone."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twolayer.backend import get_backend, is_dask_array, to_numpy
from twolayer.config import TrainConfig
from twolayer.data.chunks import open_data
from twolayer.engines.dask import cluster
from twolayer.nn.model import Params
from twolayer.state import Callback, TrainResult, TrainState
from twolayer.train import train


def train_on_backend(
    where: tuple[str, str | None, str | None],
    x: Any,
    y: Any,
    config: TrainConfig,
    params: Params | None,
    *,
    callbacks: list[Callback],
    state: TrainState | None,
    sample_weight: Any = None,
) -> TrainResult:
    """:func:`twolayer.train.train` on the backend, device and Dask scheduler ``where`` names:
    NumPy arrays moved there first (for dask, into the cluster of the scheduler or a local one
    started for the run), the result brought back as NumPy arrays."""
    backend, device, scheduler = where
    on = get_backend(backend, device)
    if on.name == "numpy":
        return train(x, y, config, params, callbacks=callbacks, state=state,
                     sample_weight=sample_weight)  # fmt: skip
    with contextlib.ExitStack() as stack:
        if on.name == "dask":
            stack.enter_context(cluster(scheduler))
        if not is_dask_array(x):
            x, y = on.data(x), on.data(y)
        result = train(
            x, y, config, on.params(params), callbacks=callbacks,
            state=None if state is None else state.map_arrays(on.asarray),
            sample_weight=sample_weight,
        )  # fmt: skip
    return result.to_numpy()


def train_on_cluster(
    data: str | Path | tuple[Any, Any],
    config: TrainConfig | None = None,
    params: Params | None = None,
    *,
    scheduler: str | None = None,
    callbacks: Sequence[Callback] = (),
    **local: Any,
) -> TrainResult:
    """Train on data too large for one machine: open ``data`` (a path for
    :func:`twolayer.data.chunks.open_data`, or Dask arrays ``(x, y)``), start or join a cluster
    (:func:`twolayer.engines.dask.cluster`, which takes ``local``'s options) and run
    :func:`twolayer.train.train` there.  The result's weights are NumPy arrays."""
    x, y = data if isinstance(data, tuple) else open_data(data)
    with cluster(scheduler, **local):
        result = train(x, y, config, params, callbacks=callbacks)
    return dataclasses.replace(result, params=result.params.map(to_numpy))


__all__ = ["train_on_backend", "train_on_cluster"]
