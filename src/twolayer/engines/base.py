"""What every engine offers the loop (:class:`Engine`) and reports per epoch (:class:`Epoch`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, NamedTuple, Protocol

from twolayer.backend import Array
from twolayer.nn.model import Grads, Params
from twolayer.nn.optim import OptState

Guard = Callable[[float], None]
"""Called with each loss before the update that uses it; raises to stop the run."""

Objective = Callable[[Params], tuple[float, Grads]]
"""The full batch's objective (loss and penalty) of some parameters and its gradients: what
L-BFGS minimises (:mod:`twolayer.engines.lbfgs`)."""


class Epoch(NamedTuple):
    """What one epoch reports to the loop."""

    loss: float  # training loss of the parameters at the start of the epoch
    updates: int  # optimizer updates applied
    grad_norms: dict[str, float] | None = None  # L2 norm of each (last) gradient, if tracked
    alive: Array | None = None  # (H,) mask of hidden units non-zero for some sample, if tracked


class Engine(Protocol):
    """The interface every engine offers the loop: its members are what the loop calls."""

    name: str
    """The engine's name in :data:`twolayer.engines.choice.TABLE` (``TrainResult.engine``)."""

    in_place: bool
    """Whether :meth:`params` returns arrays that the next epoch overwrites (the loop copies
    them where it keeps an epoch's starting weights: validation, scores, early stopping)."""

    objective: Objective | None
    """The full batch's objective, which L-BFGS minimises instead of taking epochs; None for
    the engines that only take steps (the table gives L-BFGS the portable or Dask engine)."""

    def running(self) -> AbstractContextManager[None]:
        """The context the whole loop runs in (the in-place engine's lanes hold BLAS to one
        thread there; the other engines need none)."""
        ...

    def epoch(self, lr: float, guard: Guard) -> Epoch:
        """Run one epoch of updates at rate ``lr``; ``guard(loss)`` before each update."""
        ...

    def params(self) -> Params:
        """The current parameters (in-place engines return their live arrays)."""
        ...

    def opt_state(self) -> OptState:
        """The optimizer's buffers in :mod:`twolayer.nn.optim`'s form."""
        ...

    def rng_state(self) -> dict[str, Any] | None:
        """The shuffling generator's state, when the engine shuffles."""
        ...

    def result(self, params: Params) -> Params:
        """The parameters as :func:`twolayer.train.train` returns them."""
        ...
