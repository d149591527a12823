"""``TwoLayerRegressor``: the network for one or several regression targets (defaults and their
reasons: :mod:`twolayer.estimators.base`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import RegressorMixin

from twolayer.estimators.base import INPUTS, TwoLayerEstimator, validate_data


class TwoLayerRegressor(RegressorMixin, TwoLayerEstimator):  # type: ignore[misc]
    """A two-layer network for regression (one or several targets), scikit-learn style.

    Parameters are the training options of :class:`twolayer.config.TrainConfig`, with the
    defaults :mod:`twolayer.estimators.base` explains (biases, small uniform initial weights,
    Adam at lr 1e-3, minibatches of ``min(200, n)``, 200 epochs, 100 hidden units, standardised
    inputs and targets, no early stopping).  ``loss`` defaults to ``"half_mse"``; ``batch_size`` is
    ``"auto"``, None (full batch) or a size; ``validation_fraction`` is used only with
    ``early_stopping``; ``standardize`` scales inputs and targets; ``random_state`` (None, an
    int or a generator) seeds initialisation, shuffling and the validation split.  The seed's
    recipe::

        TwoLayerRegressor(bias=False, init="normal", optimizer="gd", lr=1e-6, loss="sse",
                          batch_size=None, iterations=500, standardize=False)

    Attributes
    ----------
    model_ : twolayer.outputs.trained.Model, the trained network with its scaling statistics.
    n_features_in_ : int
    loss_curve_ : list of float, the training loss of each epoch (of every fit, with
        ``warm_start`` or ``partial_fit``).
    state_ : twolayer.state.TrainState, what a warm fit or ``partial_fit`` continues from.
    loss_, best_loss_, coefs_, intercepts_, n_outputs_, t_ : scikit-learn's MLP attributes.
    validation_loss_curve_ : list of float, or None without early stopping.
    validation_scores_ : list of float, the validation R² of each epoch with early stopping
        (else None).
    best_validation_score_ : float, their maximum (or None).
    n_iter_ : int, epochs run by the last ``fit`` or ``partial_fit``.
    stop_reason_ : str, "completed", "early_stopping", "converged" or "max_fun".

    ``fit`` and ``partial_fit`` take ``sample_weight``; float32 inputs train in float32 and
    SciPy sparse ones without densifying (:mod:`twolayer.estimators.base`).
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TwoLayerRegressor:
        """Train on ``X`` (N, D_in), dense or SciPy sparse, and ``y`` (N,) or (N, D_out), each
        sample counting ``sample_weight`` (N,) times (default 1)."""
        x, y = self._validate(X, y, reset=True)
        self._y_1d = y.ndim == 1
        self._fit(x, np.asarray(y, dtype=np.float64).reshape(len(y), -1),
                  sample_weight=sample_weight)  # fmt: skip
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> TwoLayerRegressor:
        """One epoch over ``X`` (N, D_in) and ``y`` (weighted by ``sample_weight``), continuing
        the run so far (the first call starts it, fitting the scaling on this data)."""
        first = not hasattr(self, "state_")
        x, y = self._validate(X, y, reset=first)
        if first:
            self._y_1d = y.ndim == 1
        self._fit(x, np.asarray(y, dtype=np.float64).reshape(len(y), -1), epochs=1,
                  sample_weight=sample_weight)  # fmt: skip
        return self

    def _validate(self, X: Any, y: Any, *, reset: bool) -> tuple[Any, NDArray[Any]]:
        x, y = validate_data(self, X, y, multi_output=True, y_numeric=True, reset=reset, **INPUTS)
        return x, y

    def predict(self, X: Any) -> NDArray[Any]:
        """Predictions (N,) when fitted on 1-D targets, else (N, D_out), in the targets' units."""
        x = self._inputs(X)
        out = self.model_.predict(x)
        return out.ravel() if self._y_1d else out
