"""Engines: the ways one training epoch can be computed, behind one small interface.

The loop in :mod:`twolayer.train` is written once; each iteration it asks the engine for one
epoch at a learning rate and hands the engine a ``guard`` that raises before a bad loss reaches
an update.  Engines get plain values (the configuration, the data, the starting state) and
callables, never the loop itself:

=========================  ====================================================================
engine                     runs
=========================  ====================================================================
``portable.PortableEngine``  any array namespace, minibatches, every option: ``model.forward``
                           -> ``losses`` -> ``model.backward`` -> ``optim`` update rule
``inplace.InplaceEngine``  the seed's network on NumPy at full batch: the same lines through
                           their buffered twins (``model.forward_into``, ``optim.step_into``),
                           bit for bit the seed's run; the default
``dual.DualEngine``        the same steps in the kernel form ``w1 = w1_0 + x.T @ P``, cheaper
                           when N < D_in (``solver="dual"`` or ``"auto"``)
``dask.DaskEngine``        the portable engine with the full batch's loss and gradients summed
                           over the chunks of Dask arrays
=========================  ====================================================================

L-BFGS (:mod:`twolayer.engines.lbfgs`) lets SciPy own the iterations; it minimises an engine's
``objective`` (the portable and Dask engines have one) and reports every iterate through a
callable of the loop.
"""

from __future__ import annotations

import numpy as np

from twolayer.backend import Array, is_dask_array
from twolayer.config import TrainConfig, dual_unsupported, inplace_unsupported
from twolayer.engines.base import Engine, Epoch, Guard
from twolayer.engines.dual import DualEngine
from twolayer.engines.inplace import InplaceEngine
from twolayer.engines.portable import PortableEngine
from twolayer.errors import ConfigError
from twolayer.state import TrainState


def buffered(config: TrainConfig, x: Array, y: Array, state: TrainState) -> bool:
    """Whether the buffered twins can run: what :func:`twolayer.config.inplace_unsupported`
    allows, on NumPy arrays of one floating dtype, at full batch."""
    params = state.params
    if inplace_unsupported(config) is not None or params.has_bias:
        return False
    velocity = state.opt_state.get("velocity")
    arrays = [x, y, params.w1, params.w2, *(velocity if velocity is not None else ())]
    if not all(type(a) is np.ndarray for a in arrays):
        return False
    if len({a.dtype for a in arrays}) != 1 or x.dtype.kind != "f":
        return False
    return config.batch_size is None or config.batch_size >= x.shape[0]


def select(
    config: TrainConfig, x: Array, y: Array, state: TrainState, *, validating: bool,
    weight: Array | None = None,
) -> Engine:  # fmt: skip
    """The engine that runs ``config`` on ``(x, y)`` (with sample weights ``weight`` (N,) or
    None) from ``state``.

    Dask arrays take the Dask engine.  ``solver="dual"`` insists on the dual engine; ``"auto"``
    takes it when it applies (no validation data, no early stopping: its weights are formed
    only when asked for) and N < D_in (then its epoch is cheaper); otherwise the in-place
    engine runs what it covers, validation and early stopping included, and the portable engine
    the rest (sample weights included).
    """
    if is_dask_array(x):
        if weight is not None:
            raise ConfigError("sample weights are not supported on Dask arrays")
        from twolayer.engines.dask import DaskEngine  # on first use: start-up stays light

        return DaskEngine(config, x, y, state)
    fits = weight is None and buffered(config, x, y, state)
    if config.solver == "dual" and (validating or not fits):
        raise ConfigError(
            "the dual solver needs NumPy arrays of one floating dtype, no biases, no "
            "validation data and no sample weights; use solver 'direct' or 'auto'"
        )
    if fits:
        dual = config.solver == "dual" or (config.solver == "auto" and x.shape[0] < x.shape[1])
        if dual and not validating and dual_unsupported(config) is None:
            return DualEngine(config, x, y, state)
        return InplaceEngine(config, x, y, state)
    return PortableEngine(config, x, y, state, weight)


__all__ = [
    "DualEngine",
    "Engine",
    "Epoch",
    "Guard",
    "InplaceEngine",
    "PortableEngine",
    "buffered",
    "select",
]
