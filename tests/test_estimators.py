"""The scikit-learn estimators: scikit-learn's own checks, meta-estimators, and quality."""

from __future__ import annotations

import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the estimators are built on scikit-learn")

from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from twolayer.data import split_indices
from twolayer.estimators import TwoLayerClassifier, TwoLayerRegressor
from twolayer.outputs.modelfile import save_model
from twolayer.outputs.modelfile_reader import load_model

# Short fits end before they converge, as scikit-learn's own estimator tests' fits do; the
# warning is tested where it matters (test_convergence_warning_*).
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Few epochs at a larger rate keep scikit-learn's ~55 checks per estimator fast; the checks'
# score thresholds (R² > 0.5, accuracy > 0.83) still have to be met.
QUICK = {"iterations": 40, "lr": 1e-2}


@parametrize_with_checks([TwoLayerRegressor(**QUICK), TwoLayerClassifier(**QUICK)])  # type: ignore[arg-type]
def test_scikit_learn_estimator_checks(
    estimator: Any, check: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # scikit-learn runs its array-API input check (NumPy namespace here) only with this set.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


def test_import_twolayer_needs_no_scikit_learn() -> None:
    code = (
        "import sys; import twolayer; "
        "assert 'sklearn' not in sys.modules; "
        "twolayer.TwoLayerRegressor; assert 'sklearn' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fitted_attributes_and_reproducibility() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 0.0]) + 3.0
    model = TwoLayerRegressor(iterations=30, random_state=1).fit(x, y)
    again = TwoLayerRegressor(iterations=30, random_state=1).fit(x, y)
    assert np.array_equal(model.predict(x), again.predict(x))
    assert model.n_features_in_ == 4 and model.n_iter_ == 30
    assert len(model.loss_curve_) == 30 and model.loss_curve_[-1] < model.loss_curve_[0]
    assert model.validation_loss_curve_ is None and model.stop_reason_ == "completed"
    assert model.predict(x).shape == (120,)
    two = TwoLayerRegressor(iterations=5, random_state=1).fit(x, np.stack([y, -y], axis=1))
    assert two.predict(x).shape == (120, 2)


def test_early_stopping_holds_out_a_validation_set() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 3))
    y = x.sum(axis=1) + rng.standard_normal(200)  # noise: the validation loss must stall
    model = TwoLayerRegressor(iterations=500, early_stopping=True, patience=3, random_state=0)
    model.fit(x, y)
    assert model.stop_reason_ == "early_stopping" and model.n_iter_ < 500
    assert model.validation_loss_curve_ is not None
    assert len(model.validation_loss_curve_) == model.n_iter_


def test_seed_recipe_is_one_parameter_set_away() -> None:
    from twolayer.data.classic import seed_draws
    from twolayer.train import train

    seed_recipe = {"bias": False, "init": "normal", "optimizer": "gd", "lr": 1e-6, "loss": "sse",
                   "batch_size": None, "iterations": 20, "standardize": False, "hidden": 5}  # fmt: skip
    x, y, _ = seed_draws(0)
    model = TwoLayerRegressor(**seed_recipe, random_state=4).fit(x, y)
    expected = train(x, y, model.model_.config)  # same seed, same recipe, same draws
    assert model.loss_curve_ == [r.loss for r in expected.history]
    assert model.model_.config.loss == "sse" and not model.model_.params.has_bias


def test_classifier_probabilities_and_string_labels() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((90, 2))
    labels = np.array(["left", "right", "up"])[(x[:, 0] > 0).astype(int) + (x[:, 1] > 1)]
    model = TwoLayerClassifier(iterations=100, lr=1e-2, random_state=0).fit(x, labels)
    assert model.classes_.tolist() == ["left", "right", "up"]
    proba = model.predict_proba(x)
    assert proba.shape == (90, 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(model.classes_[proba.argmax(axis=1)], model.predict(x))
    assert np.allclose(np.exp(model.predict_log_proba(x)), proba)
    assert model.score(x, labels) > 0.9


def test_estimator_model_can_be_saved_and_loaded(tmp_path: Any) -> None:
    x, y = load_digits(return_X_y=True)
    model = TwoLayerClassifier(iterations=5, random_state=0).fit(x[:300], y[:300])
    save_model(tmp_path / "m.npz", model.model_)
    assert np.array_equal(load_model(tmp_path / "m.npz").predict(x), model.predict(x))


def test_pipeline_grid_search_and_cross_validation() -> None:
    x, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(), TwoLayerRegressor(iterations=30, lr=1e-2, random_state=0)
    )
    scores = cross_val_score(pipe, x, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.2)
    grid = GridSearchCV(
        TwoLayerClassifier(iterations=15, lr=1e-2, random_state=0), {"hidden": [4, 32]}, cv=2
    ).fit(*load_digits(return_X_y=True))
    assert grid.best_params_ == {"hidden": 32} and grid.best_score_ > 0.85


def test_digits_accuracy_at_least_scikit_learns_minus_half_a_point() -> None:
    x, y = load_digits(return_X_y=True)
    train_idx, test_idx = split_indices(len(x), 0.25, 0)
    ours = TwoLayerClassifier(random_state=0).fit(x[train_idx], y[train_idx])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # scikit-learn's own default stop
        theirs = MLPClassifier(random_state=0).fit(x[train_idx], y[train_idx])
    ours_acc = ours.score(x[test_idx], y[test_idx])
    theirs_acc = theirs.score(x[test_idx], y[test_idx])
    assert ours_acc >= theirs_acc - 0.005, (ours_acc, theirs_acc)


def test_bad_parameters_are_value_errors_at_fit() -> None:
    x, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'"):
        TwoLayerRegressor(optimizer="sgd").fit(x, y)
    with pytest.raises(ValueError, match="batch_size must be 'auto', None or an integer"):
        TwoLayerRegressor(batch_size="big").fit(x, y)
    with pytest.raises(ValueError, match="random_state must be None, an integer or a generator"):
        TwoLayerRegressor(random_state="x").fit(x, y)  # type: ignore[arg-type]


@pytest.mark.parametrize("batch_size", [None, 16])
@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_a_warm_fit_continues_the_run_bit_for_bit(kind: str, batch_size: int | None) -> None:
    from twolayer.estimators import TwoLayerClassifier, TwoLayerRegressor

    rng = np.random.default_rng(5)
    x = rng.standard_normal((50, 4))
    y = (x[:, 0] > 0).astype(int) if kind == "classifier" else x @ rng.standard_normal(4)
    make = TwoLayerClassifier if kind == "classifier" else TwoLayerRegressor
    options = {"hidden": 6, "batch_size": batch_size, "random_state": 3}
    whole = make(iterations=20, **options).fit(x, y)
    warm = make(iterations=10, warm_start=True, **options).fit(x, y).fit(x, y)
    cold = make(iterations=10, **options).fit(x, y).fit(x, y)
    # n_iter_ counts this fit's epochs (scikit-learn's); the run goes on for 20 in all
    assert warm.n_iter_ == 10 and warm.state_.iteration == 20
    assert warm.loss_curve_ == whole.loss_curve_
    for p, q in zip(whole.model_.params, warm.model_.params, strict=True):
        assert np.array_equal(p, q)
    assert cold.n_iter_ == 10 and cold.loss_curve_ == whole.loss_curve_[:10]  # started afresh


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_partial_fit_is_one_epoch_of_the_same_run(kind: str) -> None:
    from twolayer.estimators import TwoLayerClassifier, TwoLayerRegressor

    rng = np.random.default_rng(6)
    x = rng.standard_normal((40, 3))
    y = np.where(x[:, 1] > 0, "b", "a") if kind == "classifier" else x @ rng.standard_normal(3)
    make = TwoLayerClassifier if kind == "classifier" else TwoLayerRegressor
    fitted = make(hidden=5, iterations=4, random_state=1).fit(x, y)
    model = make(hidden=5, random_state=1)
    extra = {"classes": ["a", "b"]} if kind == "classifier" else {}
    for _ in range(4):
        model.partial_fit(x, y, **extra)
    assert model.n_iter_ == 1 and model.state_.iteration == 4  # one epoch a call
    assert model.loss_curve_ == fitted.loss_curve_
    assert np.array_equal(model.predict(x), fitted.predict(x))
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(x[:, :2], y)


def test_partial_fit_of_a_classifier_needs_every_class_first() -> None:
    from twolayer.estimators import TwoLayerClassifier

    x, y = np.eye(4), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        TwoLayerClassifier(hidden=3).partial_fit(x, y)
    model = TwoLayerClassifier(hidden=3, random_state=0).partial_fit(
        x[:2], y[:2], classes=[0, 1, 2]
    )
    assert model.classes_.tolist() == [0, 1, 2] and model.predict_proba(x).shape == (4, 3)
    with pytest.raises(ValueError, match="differ from the first call"):
        model.partial_fit(x, y, classes=[0, 1])


def test_scikit_learns_fitted_attributes() -> None:
    from twolayer.estimators import TwoLayerClassifier, TwoLayerRegressor

    rng = np.random.default_rng(7)
    x = rng.standard_normal((30, 4))
    reg = TwoLayerRegressor(hidden=5, iterations=6, random_state=0).fit(x, x[:, :2])
    assert reg.loss_ == reg.loss_curve_[-1] and reg.best_loss_ == min(reg.loss_curve_)
    assert [c.shape for c in reg.coefs_] == [(4, 5), (5, 2)]
    assert [b.shape for b in reg.intercepts_] == [(5,), (2,)] and reg.n_outputs_ == 2
    assert reg.t_ == 30 * 6
    reg.partial_fit(x, x[:, :2])
    assert reg.t_ == 30 * 7 and reg.n_iter_ == 1 and reg.state_.iteration == 7
    clf = TwoLayerClassifier(hidden=5, iterations=30, bias=False, early_stopping=True,
                             validation_fraction=0.2, random_state=0)  # fmt: skip
    clf.fit(x, (x[:, 0] > 0).astype(int))
    assert clf.best_loss_ is None and clf.n_outputs_ == 2
    assert not any(np.any(b) for b in clf.intercepts_)  # no biases: zeros
    assert clf.t_ == 24 * clf.n_iter_  # 6 of the 30 samples held out for validation
