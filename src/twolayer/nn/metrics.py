"""How good a prediction is: MSE, RMSE and R² for regression, accuracy for classification.

Pure functions of ``(y_true, y_pred)``.  Regression arrays are (N,) or (N, D_out); a metric of
several outputs is the plain average of each output's metric (scikit-learn's
``"uniform_average"``), so the numbers agree with ``sklearn.metrics``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.errors import DataError


def _pair(y_true: Any, y_pred: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    t, p = (a.reshape(len(a), -1) if a.ndim == 1 else a for a in (t, p))
    if t.shape != p.shape:
        raise DataError(f"targets have shape {t.shape} but predictions {p.shape}")
    if t.shape[0] == 0:
        raise DataError("there are no samples to score")
    return t, p


def mse(y_true: Any, y_pred: Any, weight: Any = None) -> float:
    """Mean squared error: ``mean((y_pred - y_true)^2)`` over samples (weighted by ``weight``
    (N,) when given) and outputs."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.average(np.square(p - t), axis=0, weights=weight)))


def rmse(y_true: Any, y_pred: Any, weight: Any = None) -> float:
    """Root of the (weighted) mean squared error of each output, averaged over outputs
    (scikit-learn's ``root_mean_squared_error``); in the targets' units."""
    t, p = _pair(y_true, y_pred)
    return float(np.mean(np.sqrt(np.average(np.square(p - t), axis=0, weights=weight))))


def r2(y_true: Any, y_pred: Any, weight: Any = None) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output, averaged.

    An output whose targets are all equal has ``SS_tot = 0``: it scores 1 when predicted
    exactly and 0 otherwise (scikit-learn's ``force_finite``).  With sample weights ``weight``
    (N,) both sums and the mean are weighted, as scikit-learn's ``r2_score(sample_weight=)``.
    (N,) or (N, D_out) -> float.
    """
    t, p = _pair(y_true, y_pred)
    if weight is None:
        ss_res = np.sum(np.square(t - p), axis=0)  # (D_out,)
        ss_tot = np.sum(np.square(t - t.mean(axis=0)), axis=0)  # (D_out,)
    else:
        w = np.asarray(weight, dtype=np.float64).reshape(-1, 1)  # (N, 1)
        mean = np.sum(w * t, axis=0) / np.sum(w)
        ss_res = np.sum(w * np.square(t - p), axis=0)
        ss_tot = np.sum(w * np.square(t - mean), axis=0)
    # Targets equal but for rounding leave a subnormal SS_tot: the quotient overflows to inf and
    # the score is -inf, as scikit-learn's is.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scores = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(scores))


def accuracy(labels_true: Any, labels_pred: Any, weight: Any = None) -> float:
    """Share of samples whose predicted label equals the true one (weighted by ``weight`` (N,)
    if given).  (N,), (N,) -> float; for multilabel indicators (N, K), (N, K) a sample counts
    when every label is right (scikit-learn's subset accuracy)."""
    t, p = np.asarray(labels_true), np.asarray(labels_pred)
    if t.shape != p.shape or t.ndim not in (1, 2):
        raise DataError(f"labels have shape {t.shape} but predictions {p.shape}")
    if t.shape[0] == 0:
        raise DataError("there are no samples to score")
    right = t == p if t.ndim == 1 else np.all(t == p, axis=1)
    return float(np.average(right, weights=weight))


def regression_metrics(y_true: Any, y_pred: Any, weight: Any = None) -> dict[str, float]:
    """``{"mse", "rmse", "r2"}`` of one set (weighted by ``weight`` (N,) when given)."""
    return {"mse": mse(y_true, y_pred, weight), "rmse": rmse(y_true, y_pred, weight),
            "r2": r2(y_true, y_pred, weight)}  # fmt: skip


def classification_metrics(
    labels_true: Any, labels_pred: Any, weight: Any = None
) -> dict[str, float]:
    """``{"accuracy"}`` of one set (weighted by ``weight`` (N,) when given)."""
    return {"accuracy": accuracy(labels_true, labels_pred, weight)}


def score(task: str, y_true: Any, y_pred: Any, weight: Any = None) -> dict[str, float]:
    """The metrics of ``task`` ("regression", "classification" or "multilabel", scored by
    subset accuracy) for one set, weighted by ``weight`` (N,) when given."""
    if task in ("classification", "multilabel"):
        return classification_metrics(y_true, y_pred, weight)
    return regression_metrics(y_true, y_pred, weight)


def format_metrics(name: str, values: dict[str, float]) -> str:
    """One printed line: ``test: mse=2905.12 rmse=53.899 r2=0.481234``."""
    return f"{name}: " + " ".join(f"{k}={v:.6g}" for k, v in values.items())


__all__ = [
    "accuracy",
    "classification_metrics",
    "format_metrics",
    "mse",
    "r2",
    "regression_metrics",
    "rmse",
    "score",
]
