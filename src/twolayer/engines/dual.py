"""The dual engine: full-batch training in the kernel form, never forming ``w1`` until asked.

Every gradient of ``w1`` is ``x.T @ grad_h`` (``model.backward``), so every step of gradient
descent, momentum or Nesterov adds ``x.T @ (something of shape (N, H))`` to ``w1``.  After any
number of steps::

    w1 = w1_0 + x.T @ P                 P  (N, H): the steps taken, in sample coordinates
    h  = x @ w1 = h_0 + K @ P           K = x @ x.T  (N, N), computed once

and P follows the optimizer's own recurrence with ``grad_h`` (N, H) in place of ``w1``'s
gradient (gd: ``P <- P - lr grad_h``; momentum: ``V <- mu V - lr grad_h; P <- P + V``), while
``h`` moves by ``K @ (the step added to P)``.  An iteration then costs ``2 N^2 H``
floating-point operations for that product plus the products with ``w2``, instead of
``4 N D_in H`` for the direct solver's two products with ``x``: cheaper whenever N < D_in.
It is exact in exact arithmetic; in floating point its losses follow the direct solver's to
about 1e-11 relative on the seed's problem (the tests hold them to 1e-9 over all 500
iterations).

``w1`` is formed (one ``x.T @ P`` product, ``N D_in H`` multiply-adds) only when something
reads it: at the end of the run, or when a callback reads ``state.params`` (or
``state.opt_state``) during the run.  Callbacks that only look at the
:class:`~twolayer.state.Record`, such as ``PrintLosses``, cost nothing.

Momentum's starting velocity ``v1_0`` (when a run is continued) is carried as a scalar
multiple: ``v1 = m v1_0 + x.T @ V`` and ``w1 = w1_0 + c v1_0 + x.T @ P``.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np

from twolayer.config import TrainConfig
from twolayer.engines.base import Epoch, Guard, Objective
from twolayer.engines.inplace import FloatArray, HiddenPass
from twolayer.engines.portable import norm
from twolayer.nn.model import Params
from twolayer.nn.optim import OptState, step_into
from twolayer.state import TrainState


class DualSolver:
    """The dual variables of one run and the arrays an iteration needs, allocated once.

    Parameters
    ----------
    x : array, shape (N, D_in); y : array, shape (N, D_out)
    params : starting Params, w1 (D_in, H) and w2 (H, D_out); copied
    loss, optimizer, mu : as for :class:`twolayer.engines.inplace.Workspace`
    velocity : momentum's starting velocity (Params like ``params``) or None for zeros
    """

    def __init__(
        self,
        x: FloatArray,
        y: FloatArray,
        params: Params,
        *,
        loss: str = "sse",
        optimizer: str = "gd",
        mu: float = 0.9,
        velocity: Params | None = None,
        alive: bool = False,
    ) -> None:
        n, hidden = x.shape[0], params.w1.shape[1]
        self.x, self.mu, self.optimizer = x, mu, optimizer
        self.w1_start = params.w1.copy()  # (D_in, H)
        self.w2 = params.w2.copy()  # (H, D_out), explicit as in the direct solver
        self.kernel = x @ x.T  # K, (N, D_in) @ (D_in, N) -> (N, N)
        self.hidden = HiddenPass(y, hidden, loss, rows=None, alive=alive)
        np.matmul(x, self.w1_start, out=self.hidden.h)  # h_0 (N, H)
        self.coef = np.zeros((n, hidden), x.dtype)  # P: w1 = w1_0 + x.T @ P
        self.k_step = np.empty_like(self.coef)  # K @ (the step added to P)
        self.scratch = (np.empty_like(self.coef), np.empty_like(self.w2))  # lr * gradient
        self.last_step: tuple[FloatArray, float, float] = (self.coef, 1.0, 1.0)
        momentum = optimizer != "gd"
        self.v_coef = np.zeros_like(self.coef) if momentum else None  # V: v1 = x.T @ V (+ m v1_0)
        self.v2 = np.zeros_like(self.w2) if momentum else None
        self.ahead = (
            (np.empty_like(self.coef), np.empty_like(self.w2)) if optimizer == "nesterov" else None
        )
        self.v1_start: FloatArray | None = None  # a continued run's velocity v1_0, if non-zero
        self.x_v1: FloatArray | None = None  # x @ v1_0 (N, H)
        self.m, self.c = 1.0, 0.0  # v1 = m v1_0 + x.T @ V; w1 = w1_0 + c v1_0 + x.T @ P
        if momentum and velocity is not None:
            assert self.v2 is not None
            np.copyto(self.v2, velocity.w2)
            if np.any(velocity.w1):
                self.v1_start = velocity.w1.copy()
                self.x_v1 = x @ self.v1_start

    @property
    def h(self) -> FloatArray:
        """The hidden pre-activations ``x @ w1`` (N, H) of the current weights."""
        return self.hidden.h

    def loss_and_grad_h(self) -> float:
        """Loss of the current weights; fills ``grad_h`` (N, H) and ``grad_w2`` (H, D_out)."""
        return self.hidden.loss_from_h(self.w2)

    def update(self, lr: float) -> None:
        """One optimizer step at rate ``lr`` on P (whose gradient is ``grad_h``) and on w2, each
        with :func:`twolayer.nn.optim.step_into`; then ``h += K @ step``."""
        grad_h = self.hidden.grad_h
        ahead = self.ahead or (None, None)
        step, sign = step_into(
            self.coef, grad_h, lr, self.scratch[0], self.v_coef, self.mu, ahead[0]
        )
        self.last_step = (step, sign, lr)
        np.matmul(self.kernel, step, out=self.k_step)  # (N, N) @ (N, H) -> (N, H)
        (np.add if sign > 0 else np.subtract)(self.h, self.k_step, out=self.h)
        if self.v1_start is not None:  # the starting velocity's share decays by mu per step
            assert self.x_v1 is not None
            self.m *= self.mu
            share = self.m * (self.mu if self.optimizer == "nesterov" else 1.0)
            self.c += share
            np.multiply(self.x_v1, share, out=self.k_step)
            np.add(self.h, self.k_step, out=self.h)
        step_into(self.w2, self.hidden.grad_w2, lr, self.scratch[1], self.v2, self.mu, ahead[1])

    def grad_w1_norm(self) -> float:
        """``||x.T @ grad_h||``, as ``sqrt(grad_h . (K @ grad_h))``, after :meth:`update`.

        For gd the product is ``K @ (lr grad_h)`` already computed; otherwise one more.
        """
        grad_h = self.hidden.grad_h
        step, _, lr = self.last_step
        if step is self.scratch[0] and self.v1_start is None:  # gd: k_step = K @ (lr grad_h)
            squared = float(np.vdot(grad_h, self.k_step)) / lr
        else:
            squared = float(np.vdot(grad_h, self.kernel @ grad_h))
        return math.sqrt(max(squared, 0.0))

    def params(self) -> Params:
        """The current weights, forming ``w1 = w1_0 + c v1_0 + x.T @ P`` (D_in, H)."""
        w1 = self.x.T @ self.coef  # (D_in, N) @ (N, H) -> (D_in, H)
        w1 += self.w1_start
        if self.v1_start is not None:
            w1 += self.c * self.v1_start
        return Params(w1, self.w2.copy())

    def opt_state(self) -> dict[str, Params]:
        """The optimizer state in the direct solver's form (momentum's velocity, formed)."""
        if self.v_coef is None or self.v2 is None:
            return {}
        v1 = self.x.T @ self.v_coef
        if self.v1_start is not None:
            v1 += self.m * self.v1_start
        return {"velocity": Params(v1, self.v2.copy())}


class DualEngine:
    """The engine over a :class:`DualSolver`: one full-batch step in dual coordinates per
    epoch; ``w1`` and momentum's velocity are formed only when the loop asks for them
    (:meth:`params`, :meth:`opt_state`): when a callback reads the state, and at the end."""

    name = "dual"
    in_place = False  # params() forms new arrays
    objective: Objective | None = None  # steps only: L-BFGS runs on the portable engine

    def __init__(self, config: TrainConfig, x: FloatArray, y: FloatArray, state: TrainState):
        self.track = config.track == "full"
        self._rng_state = state.rng_state
        self.dual = DualSolver(x, y, state.params, loss=config.loss, optimizer=config.optimizer,
                               mu=config.momentum, velocity=state.opt_state.get("velocity"),
                               alive=self.track)  # fmt: skip

    def epoch(self, lr: float, guard: Guard) -> Epoch:
        loss = self.dual.loss_and_grad_h()
        guard(loss)
        self.dual.update(lr)
        if not self.track:
            return Epoch(loss, 1)
        norms = {"w1": self.dual.grad_w1_norm(), "w2": norm(self.dual.hidden.grad_w2)}
        return Epoch(loss, 1, norms, self.dual.hidden.alive())

    def params(self) -> Params:
        return self.dual.params()

    def running(self) -> AbstractContextManager[None]:
        return nullcontext()

    def opt_state(self) -> OptState:
        return self.dual.opt_state()

    def rng_state(self) -> dict[str, Any] | None:
        return self._rng_state

    def result(self, params: Params) -> Params:
        return params
