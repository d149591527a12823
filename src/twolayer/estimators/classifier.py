"""``TwoLayerClassifier``: the network for class labels with softmax cross-entropy (defaults and
their reasons: :mod:`twolayer.estimators.base`)."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, column_or_1d

from twolayer.data.prep import Task
from twolayer.estimators.base import INPUTS, TwoLayerEstimator, validate_data


class TwoLayerClassifier(ClassifierMixin, TwoLayerEstimator):  # type: ignore[misc]
    """A two-layer network for classification with softmax cross-entropy, scikit-learn style.

    Parameters are the training options of :class:`twolayer.config.TrainConfig`, with the
    defaults :mod:`twolayer.estimators.base` explains (biases, small uniform initial weights,
    Adam at lr 1e-3, minibatches of ``min(200, n)``, 200 epochs, 100 hidden units, standardised
    inputs, no early stopping).  ``loss`` defaults to ``"cross_entropy"`` on one-hot targets
    (a squared-error loss on the one-hot rows also works); labels may be any sortable values.
    A 0/1 indicator ``y`` (N, K) is multilabel classification: K sigmoid outputs trained with
    ``"binary_cross_entropy"``, ``classes_ = [0, ..., K-1]``.  ``class_weight`` (None,
    ``"balanced"``: ``n / (C * count of the class)``, or ``{label: weight}``) multiplies each
    sample's ``sample_weight``; scikit-learn's MLP has none.  The validation split of
    ``early_stopping`` is stratified by class.  The seed's recipe
    is ``bias=False, init="normal", optimizer="gd", lr=1e-6, loss="sse", batch_size=None,
    iterations=500, standardize=False``.

    Attributes
    ----------
    classes_ : array (C,), the sorted labels seen in ``fit``.
    model_ : twolayer.outputs.trained.Model
    n_features_in_ : int
    loss_curve_, validation_loss_curve_, n_iter_, stop_reason_ : as for TwoLayerRegressor.
    validation_scores_, best_validation_score_ : validation accuracy per epoch, and the best.
    """

    def __init__(self, *args: Any, class_weight: dict[Any, float] | str | None = None,
                 **params: Any) -> None:  # fmt: skip
        super().__init__(*args, **params)
        self.class_weight = class_weight

    _task: Task = "classification"
    _default_loss = "cross_entropy"
    classes_: NDArray[Any]  # set by fit

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TwoLayerClassifier:
        """Train on ``X`` (N, D_in), dense or SciPy sparse, and labels ``y`` (N,) or a 0/1
        indicator (N, K) for multilabel classification, each sample counting
        ``sample_weight`` (N,) times its class's ``class_weight``."""
        x, y = self._validate(X, y, reset=True)
        classes = np.arange(y.shape[1]) if self._task == "multilabel" else np.unique(y)
        if (
            self.warm_start
            and hasattr(self, "state_")
            and not np.array_equal(classes, self.classes_)
        ):
            raise ValueError(
                f"warm_start continues a fit on the classes {self.classes_.tolist()}; this y "
                f"has the classes {classes.tolist()}"
            )
        self.classes_ = classes
        self._fit(x, y, sample_weight=self._weights(y, sample_weight, balanced=True))
        return self

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> TwoLayerClassifier:
        """One epoch over ``X`` (N, D_in) and labels ``y`` (N,), continuing the run so far.

        The first call needs ``classes``, every label the estimator will ever see (as
        scikit-learn's ``partial_fit`` does); later calls may leave it out or repeat it.
        ``class_weight="balanced"`` needs the whole data, so it is refused here.
        """
        first = not hasattr(self, "state_")
        x, y = self._validate(X, y, reset=first)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self.classes_ = np.unique(classes)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {np.unique(classes)} differ from the first call's "
                             f"{self.classes_}")  # fmt: skip
        weight = self._weights(y, sample_weight, balanced=False)
        self._fit(x, y, epochs=1, classes=self.classes_, sample_weight=weight)
        return self

    def _validate(self, X: Any, y: Any, *, reset: bool) -> tuple[Any, NDArray[Any]]:
        """Checked ``X`` and ``y``; sets the task: multilabel for an indicator ``y`` (N, K)."""
        x, y = validate_data(self, X, y, multi_output=True, reset=reset, **INPUTS)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind == "multilabel-indicator":
            self._task = "multilabel"
        elif y.ndim == 2 and y.shape[1] == 1:  # a column: scikit-learn's warning, then labels
            y, self._task = column_or_1d(y, warn=True), "classification"
        elif y.ndim == 2:
            raise ValueError(f"multi-output targets of type {kind!r} are not supported; pass "
                             "labels (N,) or a 0/1 indicator matrix (N, K)")  # fmt: skip
        else:
            self._task = "classification"
        return x, y

    def _loss(self) -> str:
        return "binary_cross_entropy" if self._task == "multilabel" else self._default_loss

    def _weights(self, y: NDArray[Any], sample_weight: Any, *, balanced: bool) -> Any:
        """``sample_weight`` times each sample's ``class_weight`` (None when both are)."""
        if self.class_weight is None:
            return sample_weight
        if self._task == "multilabel":
            raise ValueError("class_weight does not apply to multilabel targets")
        if self.class_weight == "balanced" and not balanced:
            raise ValueError("class_weight='balanced' needs the whole data; partial_fit takes a "
                             "dict of class weights or sample_weight")  # fmt: skip
        if not (self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got "
                             f"{self.class_weight!r}")  # fmt: skip
        weight = compute_sample_weight(self.class_weight, y)
        return (
            weight
            if sample_weight is None
            else weight * _check_sample_weight(sample_weight, y.reshape(len(y), -1))
        )

    def predict(self, X: Any) -> NDArray[Any]:
        """The most probable label of each row of ``X``: (N, D_in) -> (N,); for multilabel,
        the 0/1 indicator (N, K) of the labels whose probability exceeds 1/2."""
        x = self._inputs(X)
        return self.model_.predict(x)

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Class probabilities, columns in the order of ``classes_``: (N, D_in) -> (N, C); for
        multilabel, each label's own probability (N, K)."""
        x = self._inputs(X)
        return self.model_.predict_proba(x)

    def predict_log_proba(self, X: Any) -> NDArray[np.float64]:
        """Logarithms of :meth:`predict_proba`, computed stably from the raw scores."""
        from twolayer.nn.losses import log_sigmoid, log_softmax

        x = self._inputs(X)
        scores = self.model_.outputs(x)
        if self.model_.preprocessing.multilabel:
            return np.asarray(log_sigmoid(scores))
        return np.asarray(log_softmax(scores))


def _signature_with_class_weight() -> inspect.Signature:
    """The shared parameters' signature with ``class_weight`` added: scikit-learn reads an
    estimator's parameters off its ``__init__`` signature, and ``class_weight`` is the
    classifier's alone (the regressor's signature has none)."""
    shared = inspect.signature(TwoLayerEstimator.__init__)
    params = list(shared.parameters.values())
    weight = inspect.Parameter("class_weight", inspect.Parameter.KEYWORD_ONLY, default=None)
    return shared.replace(parameters=[*params, weight])


TwoLayerClassifier.__init__.__signature__ = _signature_with_class_weight()  # type: ignore[attr-defined]
