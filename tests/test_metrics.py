"""Metrics: hand-worked values, the constant-target convention, and scikit-learn's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from twolayer.errors import DataError
from twolayer.nn.metrics import (
    accuracy,
    classification_metrics,
    format_metrics,
    mse,
    r2,
    regression_metrics,
    rmse,
    score,
)


def test_hand_worked_regression_metrics() -> None:
    y_true = np.array([1.0, 2.0, 3.0, 4.0])
    y_pred = np.array([1.0, 2.0, 3.0, 6.0])
    assert mse(y_true, y_pred) == 1.0  # (0 + 0 + 0 + 4) / 4
    assert rmse(y_true, y_pred) == 1.0
    assert r2(y_true, y_pred) == 1.0 - 4.0 / 5.0  # SS_tot = 2.25 + 0.25 + 0.25 + 2.25
    assert regression_metrics(y_true, y_pred) == {"mse": 1.0, "rmse": 1.0, "r2": 1.0 - 4.0 / 5.0}


def test_several_outputs_average_each_outputs_metric() -> None:
    y_true = np.array([[0.0, 0.0], [2.0, 0.0]])
    y_pred = np.array([[0.0, 1.0], [2.0, 1.0]])
    assert mse(y_true, y_pred) == 0.5
    assert rmse(y_true, y_pred) == 0.5  # (sqrt(0) + sqrt(1)) / 2
    # Output 1 is exact (r2 1); output 2 has constant targets and is not exact (r2 0).
    assert r2(y_true, y_pred) == 0.5


def test_constant_targets_score_one_only_when_exact() -> None:
    assert r2([3.0, 3.0], [3.0, 3.0]) == 1.0
    assert r2([3.0, 3.0], [3.0, 4.0]) == 0.0


def test_accuracy_and_score() -> None:
    assert accuracy(np.array(["a", "b", "b", "c"]), np.array(["a", "b", "c", "c"])) == 0.75
    assert classification_metrics([1, 2], [1, 1]) == {"accuracy": 0.5}
    assert score("classification", [1, 2], [2, 2]) == {"accuracy": 0.5}
    assert score("regression", [1.0, 3.0], [1.0, 1.0])["mse"] == 2.0


def test_shape_mismatch_and_empty_sets_are_errors() -> None:
    with pytest.raises(DataError, match=r"targets have shape \(2, 1\) but predictions \(3, 1\)"):
        mse([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(DataError, match="no samples"):
        r2(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(DataError, match=r"labels have shape \(2,\) but predictions \(1,\)"):
        accuracy([1, 2], [1])


def test_format_metrics() -> None:
    line = format_metrics("test", {"mse": 2905.1234, "r2": 0.48123456})
    assert line == "test: mse=2905.12 r2=0.481235"


finite = st.floats(-1e3, 1e3, allow_nan=False)


@given(
    data=st.integers(2, 30).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, (n, 2), elements=finite), arrays(np.float64, (n, 2), elements=finite)
        )
    )
)
@example(data=(np.full((10, 2), 2.2309752661111625e-142), np.ones((10, 2))))  # SS_tot subnormal
def test_agree_with_scikit_learn(data: tuple[np.ndarray, np.ndarray]) -> None:
    sk = pytest.importorskip("sklearn.metrics", reason="scikit-learn is the reference")
    y_true, y_pred = data
    assert mse(y_true, y_pred) == pytest.approx(sk.mean_squared_error(y_true, y_pred))
    assert rmse(y_true, y_pred) == pytest.approx(sk.root_mean_squared_error(y_true, y_pred))
    with np.errstate(over="ignore"):  # targets equal but for rounding: -inf, for both
        expected_r2 = sk.r2_score(y_true, y_pred)
    assert r2(y_true, y_pred) == pytest.approx(expected_r2, abs=1e-9)
    labels_true, labels_pred = (np.round(a[:, 0] / 300) for a in data)
    assert accuracy(labels_true, labels_pred) == sk.accuracy_score(labels_true, labels_pred)
