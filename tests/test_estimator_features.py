"""What scikit-learn's MLP users reach for, on our estimators: sample and class weights, dtype,
multilabel targets, sparse inputs, validation scores, convergence, verbose and shuffle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the estimators are built on scikit-learn")

import scipy.sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_sample_weight

from twolayer.errors import ConfigError
from twolayer.estimators import TwoLayerClassifier, TwoLayerRegressor
from twolayer.outputs.modelfile import save_model
from twolayer.outputs.modelfile_reader import load_model

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
FULL = {"batch_size": None, "iterations": 30, "lr": 1e-2, "hidden": 16, "random_state": 0}


def regression(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    return x, x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.standard_normal(n)


def classification(n: int = 90, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    return x, np.where(x[:, 0] > 0.8, 2, np.where(x[:, 1] > 0, 1, 0))


# --- sample_weight and class_weight ------------------------------------------------------------


@pytest.mark.parametrize("estimator", [TwoLayerRegressor, TwoLayerClassifier])
def test_integer_sample_weights_fit_as_repeated_rows(estimator: type) -> None:
    x, y = regression() if estimator is TwoLayerRegressor else classification()
    counts = np.random.default_rng(1).integers(0, 4, len(y))
    weighted = estimator(**FULL).fit(x, y, sample_weight=counts)
    repeated = estimator(**FULL).fit(np.repeat(x, counts, 0), np.repeat(y, counts))
    method = "predict" if estimator is TwoLayerRegressor else "predict_proba"
    np.testing.assert_allclose(getattr(weighted, method)(x), getattr(repeated, method)(x),
                               rtol=1e-9, atol=1e-12)  # fmt: skip


def test_class_weight_is_a_sample_weight_per_class() -> None:
    x, y = classification()
    balanced = TwoLayerClassifier(**FULL, class_weight="balanced").fit(x, y)
    by_hand = TwoLayerClassifier(**FULL).fit(
        x, y, sample_weight=compute_sample_weight("balanced", y)
    )
    assert np.array_equal(balanced.predict_proba(x), by_hand.predict_proba(x))
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    combined = TwoLayerClassifier(**FULL, class_weight=weights).fit(
        x, y, sample_weight=np.full(90, 2.0)
    )
    by_hand = TwoLayerClassifier(**FULL).fit(
        x, y, sample_weight=2.0 * np.array([weights[c] for c in y])
    )
    assert np.array_equal(combined.predict_proba(x), by_hand.predict_proba(x))
    # a heavy class is predicted more often
    heavy = TwoLayerClassifier(**FULL, class_weight={0: 1.0, 1: 1.0, 2: 50.0}).fit(x, y)
    plain = TwoLayerClassifier(**FULL).fit(x, y)
    assert np.sum(heavy.predict(x) == 2) > np.sum(plain.predict(x) == 2)


def test_class_weight_refusals_are_precise() -> None:
    x, y = classification()
    with pytest.raises(ValueError, match="'balanced' needs the whole data"):
        TwoLayerClassifier(class_weight="balanced").partial_fit(x, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="class_weight must be None, 'balanced' or a dict"):
        TwoLayerClassifier(class_weight="heavy").fit(x, y)
    with pytest.raises(TypeError, match="unexpected keyword argument 'class_weight'"):
        TwoLayerRegressor(class_weight="balanced")  # type: ignore[call-arg]
    assert "class_weight" not in TwoLayerRegressor().get_params()  # the classifier's alone
    assert TwoLayerClassifier(class_weight="balanced").get_params()["class_weight"] == "balanced"
    with pytest.raises(ValueError, match="class_weight does not apply to multilabel"):
        TwoLayerClassifier(class_weight="balanced").fit(x, np.eye(2, dtype=int)[y % 2])
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        TwoLayerRegressor().fit(*regression(), sample_weight=-np.ones(60))


def test_partial_fit_takes_sample_weight() -> None:
    x, y = regression()
    model = TwoLayerRegressor(**FULL).partial_fit(x, y, sample_weight=np.ones(60))
    same = TwoLayerRegressor(**FULL).partial_fit(x, y)
    np.testing.assert_allclose(model.predict(x), same.predict(x), rtol=1e-12)


# --- dtype -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_input_dtype_is_kept(dtype: type) -> None:
    x, y = regression()
    model = TwoLayerRegressor(**FULL).fit(x.astype(dtype), y)
    assert model.coefs_[0].dtype == dtype and model.intercepts_[1].dtype == dtype
    assert model.predict(x.astype(dtype)).dtype == dtype
    xc, yc = classification()
    clf = TwoLayerClassifier(**FULL).fit(xc.astype(dtype), yc)
    assert clf.predict_proba(xc).dtype == dtype
    # an explicit dtype wins
    assert (
        TwoLayerRegressor(**FULL, dtype="float64").fit(x.astype(np.float32), y).coefs_[0].dtype
        == np.float64
    )


# --- multilabel --------------------------------------------------------------------------------


def multilabel(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, 4))
    return x, np.stack([x[:, 0] > 0, x[:, 1] + x[:, 2] > 0, x[:, 3] > 0.5], axis=1).astype(int)


def test_multilabel_trains_sigmoid_outputs(tmp_path: Path) -> None:
    x, y = multilabel()
    model = TwoLayerClassifier(hidden=32, iterations=300, lr=1e-2, random_state=0).fit(x, y)
    assert model.model_.loss == "binary_cross_entropy"
    assert model.classes_.tolist() == [0, 1, 2] and model.n_outputs_ == 3
    pred = model.predict(x)
    assert pred.shape == (120, 3) and set(np.unique(pred)) <= {0, 1}
    proba = model.predict_proba(x)
    assert proba.shape == (120, 3) and np.all((proba >= 0) & (proba <= 1))
    assert np.array_equal(pred, (proba > 0.5).astype(int))
    np.testing.assert_allclose(np.exp(model.predict_log_proba(x)), proba, rtol=1e-9, atol=1e-15)
    assert model.score(x, y) > 0.9  # subset accuracy: every label of a sample right
    save_model(tmp_path / "m.npz", model.model_)
    again = load_model(tmp_path / "m.npz")
    assert again.task == "multilabel" and np.array_equal(again.predict(x), pred)


def test_multilabel_targets_must_be_an_indicator() -> None:
    x, y = multilabel()
    with pytest.raises(ValueError, match="multi-output targets of type 'multiclass-multioutput'"):
        TwoLayerClassifier().fit(x, y * 2 + np.arange(3))


# --- sparse input ------------------------------------------------------------------------------


@pytest.mark.parametrize("container", [scipy.sparse.csr_matrix, scipy.sparse.csc_array])
def test_sparse_inputs_fit_as_their_dense_values(container: type) -> None:
    x, y = regression()
    x[np.abs(x) < 0.8] = 0.0
    dense = TwoLayerRegressor(**FULL, standardize=False).fit(x, y)
    sparse = TwoLayerRegressor(**FULL, standardize=False).fit(container(x), y)
    np.testing.assert_allclose(
        sparse.predict(container(x)), dense.predict(x), rtol=1e-9, atol=1e-12
    )
    # standardised, a sparse input is scaled without being centred
    scaled = TwoLayerRegressor(**FULL).fit(container(x), y)
    assert np.all(scaled.model_.preprocessing.x_scaler.mean == 0)
    np.testing.assert_allclose(
        scaled.model_.preprocessing.x_scaler.scale, np.sqrt(np.mean(x**2, 0) - np.mean(x, 0) ** 2)
    )


def test_sparse_inputs_are_never_densified(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    x = scipy.sparse.random(300, 2000, density=0.002, format="csr", random_state=1)
    y = rng.integers(0, 2, 300)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a sparse input was densified")

    for cls in (scipy.sparse.csr_matrix, scipy.sparse.csc_matrix, scipy.sparse.coo_matrix):
        monkeypatch.setattr(cls, "toarray", refuse)
        monkeypatch.setattr(cls, "todense", refuse)
    model = TwoLayerClassifier(hidden=8, iterations=3, batch_size=64, random_state=0).fit(x, y)
    assert model.predict(x).shape == (300,)


# --- validation scores, convergence, verbose, shuffle ------------------------------------------


def test_validation_scores_with_early_stopping() -> None:
    x, y = classification(200)
    model = TwoLayerClassifier(iterations=40, early_stopping=True, random_state=0).fit(x, y)
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert all(0 <= s <= 1 for s in model.validation_scores_) and model.best_validation_score_ > 0.8
    plain = TwoLayerClassifier(iterations=5, random_state=0).fit(x, y)
    assert plain.validation_scores_ is None and plain.best_validation_score_ is None
    xr, yr = regression(200)
    reg = TwoLayerRegressor(iterations=100, early_stopping=True, random_state=0).fit(xr, yr)
    assert reg.best_validation_score_ > 0.9  # R²
    assert reg.validation_scores_[-1] > reg.validation_scores_[0]


def test_a_class_too_small_to_stratify_is_refused() -> None:
    x, y = classification()
    y[0] = 7  # one sample of class 7
    with pytest.raises(ValueError, match="the least populated class has only 1 sample"):
        TwoLayerClassifier(early_stopping=True).fit(x, y)
    with pytest.raises(ValueError, match="the validation set is too small"):
        TwoLayerRegressor(early_stopping=True, validation_fraction=0.01).fit(*regression(60))


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_convergence_warning_when_the_iterations_run_out() -> None:
    x, y = regression()
    with pytest.warns(ConvergenceWarning, match=r"maximum iterations \(5\) was reached"):
        TwoLayerRegressor(iterations=5).fit(x, y)
    with pytest.warns(ConvergenceWarning, match=r"maximum max_fun \(10\) was reached"):
        TwoLayerRegressor(optimizer="lbfgs", lr=1.0, max_fun=10).fit(x, y)
    # stopped by the convergence test: no warning (filterwarnings turns one into an error)
    done = TwoLayerRegressor(iterations=5000, n_iter_no_change=10, tol_mode="absolute").fit(x, y)
    assert done.stop_reason_ == "converged" and done.n_iter_ < 5000


def test_verbose_prints_each_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    TwoLayerRegressor(iterations=3, verbose=True).fit(*regression())
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("Iteration 1, loss = ")  # scikit-learn's words
    TwoLayerRegressor(iterations=3).fit(*regression())
    assert capsys.readouterr().out == ""


def test_shuffle_false_keeps_the_data_order() -> None:
    x, y = regression(100)
    kw = {"iterations": 3, "batch_size": 20, "shuffle": False, "random_state": 0}
    a = TwoLayerRegressor(**kw).fit(x, y)
    assert a.state_.rng_state is None
    b = TwoLayerRegressor(**{**kw, "shuffle": True}).fit(x, y)
    assert not np.array_equal(a.predict(x), b.predict(x))


def test_lbfgs_fits_more_than_200_samples_with_batch_size_left_unset() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((450, 3))
    y = x @ np.array([1.0, -2.0, 0.5])
    reg = TwoLayerRegressor(optimizer="lbfgs", iterations=50, hidden=8, random_state=0)
    assert reg.fit(x, y).score(x, y) > 0.99
    with pytest.raises(ConfigError, match="lbfgs works on the full batch; leave batch_size unset"):
        TwoLayerRegressor(optimizer="lbfgs", batch_size=100).fit(x, y)
