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
                           bit for bit the seed's run, in cache-sized blocks and lanes
``buffered.BufferedEngine``  every other option on NumPy (minibatches, biases, Adam, every
                           loss and activation, the penalty, sample weights): the twins,
                           on flat buffers allocated once
``dual.DualEngine``        the same steps in the kernel form ``w1 = w1_0 + x.T @ P``, cheaper
                           when N < D_in (``solver="dual"`` or ``"auto"``)
``dask.DaskEngine``        the portable engine with the full batch's loss and gradients summed
                           over the chunks of Dask arrays
=========================  ====================================================================

L-BFGS (:mod:`twolayer.engines.lbfgs`) lets SciPy own the iterations; it minimises an engine's
``objective`` (the portable and Dask engines have one) and reports every iterate through a
callable of the loop.

Which engine runs is decided in one table, :mod:`twolayer.engines.choice`; a caller may name
one (``train(..., engine="portable")``).
"""

from __future__ import annotations

from twolayer.backend import Array
from twolayer.config import TrainConfig
from twolayer.engines.base import Engine, Epoch, Guard
from twolayer.engines.buffered import BufferedEngine
from twolayer.engines.choice import ENGINES, choose, facts_of, unmet
from twolayer.engines.dual import DualEngine
from twolayer.engines.inplace import InplaceEngine
from twolayer.engines.portable import PortableEngine
from twolayer.state import TrainState


def select(
    config: TrainConfig, x: Array, y: Array, state: TrainState, *, validating: bool,
    weight: Array | None = None, engine: str | None = None,
) -> Engine:  # fmt: skip
    """The engine that runs ``config`` on ``(x, y)`` (with sample weights ``weight`` (N,) or
    None) from ``state``: ``engine`` when named, else the choice of the table in
    :mod:`twolayer.engines.choice` (a ConfigError says why a named engine, or
    ``solver="dual"``, cannot run it)."""
    facts = facts_of(config, x, y, state.params, state.opt_state, weight=weight,
                     validating=validating)  # fmt: skip
    name = choose(facts, engine)
    if name == "dask":
        from twolayer.engines.dask import DaskEngine  # on first use: start-up stays light

        return DaskEngine(config, x, y, state)
    if name == "dual":
        return DualEngine(config, x, y, state)
    if name == "inplace":
        return InplaceEngine(config, x, y, state)
    if name == "buffered":
        return BufferedEngine(config, x, y, state, weight)
    return PortableEngine(config, x, y, state, weight)


__all__ = [
    "ENGINES",
    "BufferedEngine",
    "DualEngine",
    "Engine",
    "Epoch",
    "Guard",
    "InplaceEngine",
    "PortableEngine",
    "select",
    "unmet",
]
