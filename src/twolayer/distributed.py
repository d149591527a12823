"""Training on a Dask cluster in one call (:func:`train_on_cluster`); the engine itself is
:mod:`twolayer.engines.dask`, the chunked data sources :mod:`twolayer.data.chunks`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twolayer.backend import to_numpy
from twolayer.config import TrainConfig
from twolayer.data.chunks import open_data
from twolayer.engines.dask import cluster
from twolayer.model import Params
from twolayer.state import Callback, TrainResult
from twolayer.train import train


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
