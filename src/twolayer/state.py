"""The state of training as small dataclasses: one iteration's :class:`Record`, early stopping's
memory, everything that resumes a run (:class:`TrainState`), what ``train`` returns
(:class:`TrainResult`), the :class:`Callback` hooks and the run's manifest.

Nothing here computes; the loop in :mod:`twolayer.train` fills these in and the outputs
(model files, history files, printing) read them.
"""

from __future__ import annotations

import dataclasses
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from twolayer._version import installed_version
from twolayer.backend import describe_blas, to_numpy
from twolayer.config import TrainConfig
from twolayer.display import loss_curve_svg, summary_html
from twolayer.nn.model import Params
from twolayer.nn.optim import OptState


@dataclass
class Record:
    """What happened in one iteration."""

    iteration: int
    loss: float  # training loss of the parameters at the start of the iteration
    lr: float  # learning rate used by the iteration's update(s)
    elapsed: float  # seconds since training started, at the end of the iteration
    val_loss: float | None = None  # validation loss of the same parameters, if there is a split
    grad_norms: dict[str, float] = field(default_factory=dict)  # L2 norm of each gradient
    dead_fraction: float | None = (
        None  # share of hidden units whose activation is 0 for every sample
    )
    score: float | None = None  # R² or accuracy on the training data, with config.scores
    val_score: float | None = None  # the same on the validation data

    def to_dict(self) -> dict[str, Any]:
        """Flat JSON-ready row (``grad_norm_w1``, ... for the gradient norms)."""
        row: dict[str, Any] = {
            "iteration": self.iteration,
            "loss": self.loss,
            "val_loss": self.val_loss,
            "lr": self.lr,
            "dead_fraction": self.dead_fraction,
            "elapsed": self.elapsed,
        }
        row.update({f"grad_norm_{k}": v for k, v in self.grad_norms.items()})
        if self.score is not None:  # columns only for runs that score (config.scores)
            row.update(score=self.score, val_score=self.val_score)
        return row


@dataclass
class EarlyStopping:
    """Best monitored loss so far, the parameters that had it, and epochs since it improved.

    Early stopping keeps one for the monitored loss (with the parameters); the convergence test
    of ``n_iter_no_change`` keeps another for the training loss (without them)."""

    best_loss: float = float("inf")
    best_iteration: int = -1
    best_params: Params | None = None
    wait: int = 0

    def observe(
        self, loss: float, iteration: int, params: Params | None, tol: float,
        mode: str = "relative",
    ) -> None:  # fmt: skip
        """Count a loss.

        ``mode="relative"``: it is progress when it falls below ``best_loss - tol * |best_loss|``,
        and only progress becomes the new best.  ``"absolute"`` is scikit-learn's rule: progress
        is a fall below ``best_loss - tol``, and any lower loss becomes the new best (so a slow
        descent of steps smaller than ``tol`` counts as no progress).
        """
        first = self.best_iteration < 0
        if mode == "relative":
            improved = first or loss < self.best_loss - tol * abs(self.best_loss)
            better = improved
        else:
            improved = first or loss <= self.best_loss - tol
            better = first or loss < self.best_loss
        self.wait = 0 if improved else self.wait + 1
        if better:
            self.best_loss, self.best_iteration, self.best_params = loss, iteration, params


@dataclass
class TrainState:
    """Everything needed to continue a run exactly where it stopped."""

    params: Params
    opt_state: OptState
    iteration: int = 0  # iterations (epochs) completed
    step: int = 0  # optimizer updates applied
    rng_state: dict[str, Any] | None = None  # state of the minibatch-shuffling generator
    schedule_state: dict[str, float] = field(default_factory=dict)  # ReduceOnPlateau's fields
    early: EarlyStopping = field(default_factory=EarlyStopping)
    convergence: EarlyStopping = field(default_factory=EarlyStopping)  # training loss's progress
    first_loss: float | None = None  # reference for the explosion test

    def map_arrays(self, fn: Callable[[Any], Any]) -> TrainState:
        """A copy with ``fn`` applied to every array in it (parameters, optimizer buffers and
        early stopping's best parameters), for example to move it to another backend."""
        early = self.early
        best = None if early.best_params is None else early.best_params.map(fn)
        return dataclasses.replace(
            self,
            params=self.params.map(fn),
            opt_state={name: buffer.map(fn) for name, buffer in self.opt_state.items()},
            early=dataclasses.replace(early, best_params=best),
        )


class Split(NamedTuple):
    """How :func:`twolayer.train.train` divided the rows it was given: the sorted indices of
    the rows it trained on and of those it held out for validation
    (``TrainConfig.validation_fraction``)."""

    train: NDArray[np.intp]  # (N - n_val,)
    validation: NDArray[np.intp]  # (n_val,)


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    params: Params  # final parameters (the best ones when early stopping restored them)
    history: list[Record]
    state: TrainState
    stop_reason: str  # "completed", "early_stopping", "callback" or "converged"
    manifest: dict[str, Any]
    engine: str = "portable"  # the engine that ran (twolayer.engines.choice.TABLE's name)
    split: Split | None = None  # the rows held out for validation, when train split them off

    def to_numpy(self) -> TrainResult:
        """The same result with its parameters and state as NumPy arrays, whatever they were."""
        return dataclasses.replace(
            self, params=self.params.map(to_numpy), state=self.state.map_arrays(to_numpy)
        )

    def _repr_html_(self) -> str:
        """What a notebook shows: the run's size, recipe, final loss and stop reason, and the
        loss curve (:mod:`twolayer.display`)."""
        config = self.manifest.get("config", {})
        last = self.history[-1] if self.history else None
        curves = [("training loss", [r.loss for r in self.history])]
        if any(r.val_loss is not None for r in self.history):
            curves.append(("validation loss", [r.val_loss for r in self.history
                                               if r.val_loss is not None]))  # fmt: skip
        return summary_html("TrainResult", [
            ("D_in × H × D_out", self.params.sizes),
            ("recipe", f"{config.get('optimizer', '?')}, lr {config.get('lr', '?')}, "
                       f"loss {config.get('loss', '?')}"),
            ("iterations", len(self.history)),
            ("final loss", None if last is None else last.loss),
            ("final validation loss", None if last is None else last.val_loss),
            ("stop reason", self.stop_reason),
        ], loss_curve_svg(curves))  # fmt: skip


class Callback:
    """Hooks into the loop; subclass and override what you need.

    ``on_iteration_end`` returns True to stop training after this iteration.

    ``state.params`` holds the current weights (and ``state.opt_state`` the optimizer's
    buffers), but two engines keep them their own way: the in-place engine
    (:mod:`twolayer.engines.inplace`) updates the same arrays every iteration, and the dual
    engine (:mod:`twolayer.engines.dual`) forms ``w1`` when the loop asks for it, at the cost of
    one (D_in, N) @ (N, H) product.  A callback that keeps weights across iterations must copy
    them.  One that needs only the record sets :attr:`reads_state` to False: when no callback
    reads the state, the loop asks the engine for its weights only at the end of the run.
    """

    reads_state: bool = True
    """Whether :meth:`on_iteration_end` reads ``state.params``, ``state.opt_state`` or
    ``state.rng_state`` (the loop brings them up to date after each iteration only then)."""

    def on_iteration_end(self, record: Record, state: TrainState) -> bool | None:
        return None

    def on_train_end(self, result: TrainResult) -> None:
        return None


def run_manifest(config: TrainConfig) -> dict[str, Any]:
    """Seed, versions (Python, NumPy and its BLAS, twolayer) and configuration of a run."""
    return {
        "twolayer": installed_version(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "blas": describe_blas(threads=False),
        "seed": config.seed,
        "config": config.to_dict(),
    }
