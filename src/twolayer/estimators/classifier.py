"""``TwoLayerClassifier``: the network for class labels with softmax cross-entropy (defaults and
their reasons: :mod:`twolayer.estimators.base`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets

from twolayer.data.prep import Task
from twolayer.estimators.base import _TwoLayer, validate_data


class TwoLayerClassifier(ClassifierMixin, _TwoLayer):  # type: ignore[misc]
    """A two-layer network for classification with softmax cross-entropy, scikit-learn style.

    Parameters are the training options of :class:`twolayer.config.TrainConfig`, with the
    defaults :mod:`twolayer.estimators.base` explains (biases, He initialisation, Adam at lr 1e-3,
    minibatches of ``min(200, n)``, 200 epochs, 100 hidden units, standardised inputs, no early
    stopping).  ``loss`` defaults to ``"cross_entropy"`` on one-hot targets (a squared-error
    loss on the one-hot rows also works); labels may be any sortable values.  The seed's recipe
    is ``bias=False, init="normal", optimizer="gd", lr=1e-6, loss="sse", batch_size=None,
    iterations=500, standardize=False``.

    Attributes
    ----------
    classes_ : array (C,), the sorted labels seen in ``fit``.
    model_ : twolayer.outputs.trained.Model
    n_features_in_ : int
    loss_curve_, validation_loss_curve_, n_iter_, stop_reason_ : as for TwoLayerRegressor.
    """

    _task: Task = "classification"
    _default_loss = "cross_entropy"

    def fit(self, X: Any, y: Any) -> TwoLayerClassifier:
        """Train on ``X`` (N, D_in) and labels ``y`` (N,)."""
        x, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        self._fit(x, y)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> TwoLayerClassifier:
        """One epoch over ``X`` (N, D_in) and labels ``y`` (N,), continuing the run so far.

        The first call needs ``classes``, every label the estimator will ever see (as
        scikit-learn's ``partial_fit`` does); later calls may leave it out or repeat it.
        """
        first = not hasattr(self, "state_")
        x, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self.classes_ = np.unique(classes)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {np.unique(classes)} differ from the first call's "
                             f"{self.classes_}")  # fmt: skip
        self._fit(x, y, epochs=1, classes=self.classes_)
        return self

    def predict(self, X: Any) -> NDArray[Any]:
        """The most probable label of each row of ``X``: (N, D_in) -> (N,)."""
        x = self._inputs(X)
        return self.model_.predict(x)

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Class probabilities, columns in the order of ``classes_``: (N, D_in) -> (N, C)."""
        x = self._inputs(X)
        return self.model_.predict_proba(x)

    def predict_log_proba(self, X: Any) -> NDArray[np.float64]:
        """Logarithms of :meth:`predict_proba`, computed stably from the raw scores."""
        from twolayer.losses import log_softmax

        x = self._inputs(X)
        return np.asarray(log_softmax(self.model_.outputs(x)))
