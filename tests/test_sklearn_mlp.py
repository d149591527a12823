"""scikit-learn's own MLP tests, ported to :class:`TwoLayerRegressor` / :class:`TwoLayerClassifier`.

The source is ``sklearn/neural_network/tests/test_mlp.py`` of scikit-learn 1.9.1.  Every test
there that can mean something for a network with ONE hidden layer has a test here named
``test_<its name>``, with the same data, the same thresholds and the same checks; a comment
names the scikit-learn test it ports.  Tests written for several hidden layers run with one
(``hidden_layer_sizes=(5, 3)`` becomes ``hidden=5``) where the check still makes sense.

Parameter mapping (scikit-learn -> ours)
----------------------------------------
``hidden_layer_sizes=(n,)`` -> ``hidden=n``; ``max_iter`` -> ``iterations``;
``learning_rate_init`` -> ``lr``; ``solver="adam"|"lbfgs"`` -> ``optimizer="adam"|"lbfgs"``;
``solver="sgd"`` with ``momentum=0`` -> ``optimizer="gd"``; ``solver="sgd"`` otherwise (its
defaults ``momentum=0.9, nesterovs_momentum=True``) -> ``optimizer="nesterov", momentum=m``
(:data:`SGD`); ``learning_rate="constant"|"invscaling"`` -> ``schedule=`` the same name (with
``power_t``); ``learning_rate="adaptive"`` -> ``schedule="plateau"`` (approximately: see
test_adaptive_learning_rate); ``beta_1``/``beta_2`` -> ``beta1``/``beta2``; ``epsilon``,
``alpha``, ``batch_size``, ``early_stopping``, ``validation_fraction``, ``tol``, ``warm_start``,
``random_state``, ``momentum``, ``shuffle``, ``verbose``, ``max_fun``, ``n_iter_no_change`` and
the activations keep their names.  scikit-learn's ``n_iter_no_change=np.inf`` is ours
``n_iter_no_change=None`` (never stop on the training loss); the tests that rely on
scikit-learn's convergence rule (``loss > best_loss - tol``) pass ``tol_mode="absolute"`` and,
where they rely on its default ``n_iter_no_change=10``, pass it.  scikit-learn stops after
``n_iter_no_change + 1`` epochs without progress, ours after ``n_iter_no_change``: test_n_iter_no_change
passes ``n + 1`` for scikit-learn's ``n``.

Where a scikit-learn test leaves ``alpha`` at scikit-learn's default 1e-4, the port passes
``alpha=1e-4`` (ours defaults to 0).  Our estimators standardise inputs by default and
scikit-learn's do not: ``standardize=False`` is passed where the test's numbers depend on the raw
inputs (the worked example, the gradient and learning-rate checks, the overflowing inputs);
elsewhere our default stays.  ``shuffle=True`` is scikit-learn's default and ours, so tests that
only restate it do not pass it.

Differences the port keeps in mind
----------------------------------
* Binary classification: scikit-learn has one logistic output, ours two softmax outputs
  (``n_outputs_ == 2``).  test_fit keeps the worked example's numbers for the weights the two
  parametrisations share and re-works the final probability for ours.
* ``schedule="invscaling"`` counts epochs (``lr / (epoch + 1) ** power_t``), scikit-learn's
  counts samples (``t_``); test_learning_rate_warmstart checks our count.
* scikit-learn reads its optimizer's private ``learning_rate`` and its private
  ``_no_improvement_count``; the ports observe the same things from outside: the rate of an epoch
  from the gradient-descent step it took (:func:`step_rate`), the no-improvement count from
  ``loss_curve_`` with scikit-learn's rule (:func:`no_improvement_count`).
* A ``ConvergenceWarning`` must not fail a test under the project's
  ``filterwarnings = error`` where scikit-learn's tests tolerate it: the module ignores it
  (:data:`pytestmark`); ``pytest.warns`` still sees it where a test expects it.

Every ported test passes: none is marked to fail or skipped, except test_preserve_feature_names,
which (as scikit-learn's own) needs pandas and skips without it.

Not ported (cannot apply)
-------------------------
* test_mlp_vs_poisson_glm_equivalent: there is no Poisson loss (``loss="poisson"`` with an
  exponential output); its second half (squared error does *not* match the GLM) says nothing on
  its own.  It also uses scikit-learn's ``global_random_seed`` fixture.
* test_mlp_diverging_loss: scikit-learn records a NaN validation score and carries on; ours stops
  every diverging run with a ``DivergenceError`` by design (the divergence guard of
  :mod:`twolayer.train`), so "no error, NaN in validation_scores_" cannot hold.
* From test_partial_fit_errors, the check ``not hasattr(MLPClassifier(solver="lbfgs"),
  "partial_fit")``: ours offers ``partial_fit`` for every optimizer (one L-BFGS iteration per
  call).  Its other check is ported.
* From test_adaptive_learning_rate, the check ``1e-6 > clf._optimizer.learning_rate``:
  scikit-learn's "adaptive" divides the rate by 5 each time ``n_iter_no_change`` epochs fail to
  improve by ``tol`` and stops only once the rate is below 1e-6 (schedule and stop are one
  mechanism).  Ours are two: ``schedule="plateau"`` lowers the rate on its own relative threshold
  (1e-4, not ``tol``), ``n_iter_no_change`` stops.  The stop is ported.
* scikit-learn's error messages (``match=``) where ours word the same error differently:
  the ports match a word of ours instead, or the planned message where the brief gives one.

test_mlp_partial_fit_after_fit is ported with another assertion: scikit-learn refuses
``partial_fit`` after an ``early_stopping=True`` fit, ours by design runs the epoch without a
held-out split; the non-regression part (gh-25693: it must not crash) is what it checks.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="the estimators are built on scikit-learn")

import joblib
import scipy.sparse
from numpy.testing import assert_allclose, assert_almost_equal, assert_array_equal
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler, scale

from twolayer.estimators import TwoLayerClassifier, TwoLayerRegressor
from twolayer.nn.model import Params
from twolayer.nn.objective import loss_and_grads

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATION_TYPES = ["identity", "logistic", "tanh", "relu"]
ESTIMATORS = [TwoLayerClassifier, TwoLayerRegressor]
SGD: dict[str, Any] = {"optimizer": "nesterov", "momentum": 0.9}
"""scikit-learn's ``solver="sgd"`` with its defaults ``momentum=0.9, nesterovs_momentum=True``."""
SK_ALPHA = 1e-4
"""scikit-learn's default ``alpha``, passed where its test leaves ``alpha`` unset."""


# The data of scikit-learn's module, built the same way.
X_digits, y_digits = load_digits(n_class=3, return_X_y=True)
X_digits_multi = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_multi = y_digits[:200]

X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]

classification_datasets = [
    (X_digits_multi, y_digits_multi),
    (X_digits_binary, y_digits_binary),
]
CLASSIFICATION_IDS = ["multiclass", "binary"]

X_reg, y_reg = make_regression(n_samples=200, n_features=10, bias=20.0, noise=100.0, random_state=7)
y_reg = scale(y_reg)
regression_datasets = [(X_reg, y_reg)]

iris = load_iris()
X_iris = iris.data
y_iris = iris.target


def network_objective(
    est: TwoLayerClassifier | TwoLayerRegressor, X: Any, y: Any
) -> Callable[[Params], tuple[float, Params]]:
    """The objective a fitted estimator trains on, on ``(X, y)``: ``params -> (loss, grads)``
    of its loss plus its L2 penalty, on the network's inputs and targets."""
    prep, config = est.model_.preprocessing, est.model_.config
    assert config is not None
    x, t = prep.inputs(np.asarray(X, dtype=np.float64)), prep.targets(np.asarray(y))

    def objective(params: Params) -> tuple[float, Params]:
        value, grads, _ = loss_and_grads(
            params, x, t, activation=config.activation, loss=config.loss, alpha=config.alpha
        )
        return float(value), grads

    return objective


def params_of(est: TwoLayerClassifier | TwoLayerRegressor) -> Params:
    """A copy of the estimator's parameters (w1, w2, b1, b2)."""
    (w1, w2), (b1, b2) = est.coefs_, est.intercepts_
    return Params(w1.copy(), w2.copy(), b1.copy(), b2.copy())


def step_rate(before: Params, after: Params, grads: Params) -> float:
    """The learning rate of the full-batch gradient-descent step ``before -> after`` taken with
    ``grads``; the step must be exactly ``before - rate * grads``."""
    d = np.concatenate([(b - a).ravel() for b, a in zip(before, after, strict=True)])
    g = np.concatenate([x.ravel() for x in grads])
    assert np.any(g != 0)
    rate = float(d @ g / (g @ g))
    assert_allclose(d, rate * g, rtol=1e-9, atol=1e-15)
    return rate


def no_improvement_count(curve: list[float], tol: float) -> int:
    """scikit-learn's ``_no_improvement_count`` after the epochs of ``curve``: an epoch whose loss
    is above ``best - tol`` counts one more, any other resets the count to 0; ``best`` is the
    lowest loss so far."""
    best, count = np.inf, 0
    for loss in curve:
        count = count + 1 if loss > best - tol else 0
        best = min(best, loss)
    return count


def test_alpha() -> None:
    # sklearn: test_alpha
    # Larger alpha gives weights closer to zero.
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    alpha_vectors = []
    alpha_values = np.arange(2)
    for alpha in alpha_values:
        mlp = TwoLayerClassifier(hidden=10, alpha=alpha, random_state=1).fit(X, y)
        alpha_vectors.append(np.array([np.abs(c).sum() for c in mlp.coefs_]))
    for i in range(len(alpha_values) - 1):
        assert (alpha_vectors[i] > alpha_vectors[i + 1]).all()


def test_fit() -> None:
    # sklearn: test_fit
    # One gradient-descent step from set weights equals the worked example.  scikit-learn's one
    # logistic output is our second softmax output with the first output's weights at zero: the
    # hidden layer's delta, and so every number of the worked example for W1, b1, W2[:, 1] and
    # b2[1], are the same.  (scikit-learn sets coefs_ directly; ours are set in state_, which
    # partial_fit continues from, after a fit of 0 epochs that builds it.)
    X = np.array([[0.6, 0.8, 0.7]])
    y = np.array([0])
    mlp = TwoLayerClassifier(
        optimizer="gd", lr=0.1, alpha=0.1, activation="logistic", random_state=1,
        iterations=0, hidden=2, momentum=0, standardize=False,
    )  # fmt: skip
    mlp.fit(np.vstack([X, X]), [0, 1])
    mlp.state_.params = Params(
        w1=np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]),
        w2=np.array([[0.0, 0.1], [0.0, 0.2]]),
        b1=np.array([0.1, 0.1]),
        b2=np.array([0.0, 1.0]),
    )
    mlp.partial_fit(X, y, classes=[0, 1])
    # The worked example (scikit-learn's comments):
    # h = g(X W1 + b1) = [0.679178699175393, 0.574442516811659]; o1 = g(h W2 + b2) = 0.765
    # d21 = 0.765; d11 = 0.01667, d12 = 0.0374; each gradient is X d (or h d) + alpha W, and
    # W1 = [[0.098, 0.195756], [0.2956664, 0.096008], [0.4939998, -0.002244]],
    # W2 = [[0.04706], [0.154089]], b1 = [0.098333, 0.09626], b2 = 0.9235.
    assert_almost_equal(
        mlp.coefs_[0],
        np.array([[0.098, 0.195756], [0.2956664, 0.096008], [0.4939998, -0.002244]]),
        decimal=3,
    )
    assert_almost_equal(mlp.coefs_[1][:, 1:], np.array([[0.04706], [0.154089]]), decimal=3)
    assert_almost_equal(mlp.intercepts_[0], np.array([0.098333, 0.09626]), decimal=3)
    assert_almost_equal(mlp.intercepts_[1][1], np.array(0.9235), decimal=3)
    # Our first output's gradient is -d21 * [h, 1], so its weights moved by +eta * d21 * [h, 1]:
    # W2[:, 0] = 0.1 * 0.765 * [0.679, 0.574] = [0.05199, 0.04397]; b2[0] = 0.0765.
    assert_almost_equal(mlp.coefs_[1][:, 0], np.array([0.05199, 0.04397]), decimal=3)
    assert_almost_equal(mlp.intercepts_[1][0], np.array(0.0765), decimal=3)
    # Testing output, re-worked for two outputs: h = g(X W1 + b1) = [0.677, 0.572];
    # o1 = 0.677 * 0.04706 + 0.572 * 0.154089 + 0.9235 = 1.043 (scikit-learn's prob 0.739 is
    # g(o1)); o0 = 0.677 * 0.05199 + 0.572 * 0.04397 + 0.0765 = 0.137; prob = g(o1 - o0) = 0.712.
    assert_almost_equal(mlp.predict_proba(X)[0, 1], 0.712, decimal=3)


def test_gradient() -> None:
    # sklearn: test_gradient
    # The analytic gradient of the objective the estimator trains on (scikit-learn's
    # _loss_grad_lbfgs; ours twolayer.nn.objective, with the estimator's loss and alpha) equals
    # central differences, for every activation.
    for n_labels in [2, 3]:
        n_samples = 5
        n_features = 10
        random_state = np.random.RandomState(seed=42)
        X = random_state.rand(n_samples, n_features)
        y = 1 + np.mod(np.arange(n_samples) + 1, n_labels)
        # scikit-learn binarises y itself (Y); ours are the estimator's own one-hot targets.
        for activation in ACTIVATION_TYPES:
            mlp = TwoLayerClassifier(
                activation=activation, hidden=10, optimizer="lbfgs", alpha=1e-5, lr=0.2,
                iterations=1, random_state=1, standardize=False,
            )  # fmt: skip
            mlp.fit(X, y)
            objective = network_objective(mlp, X, y)
            start = params_of(mlp)
            sizes = [p.shape for p in start]
            theta = np.concatenate([p.ravel() for p in start])

            def unflat(t: np.ndarray[Any, Any], sizes: list[Any] = sizes) -> Params:
                parts, at = [], 0
                for shape in sizes:
                    n = int(np.prod(shape))
                    parts.append(t[at : at + n].reshape(shape))
                    at += n
                return Params(*parts)

            _, grads = objective(unflat(theta))
            grad = np.concatenate([g.ravel() for g in grads])
            numgrad = np.zeros(np.size(theta))
            E = np.eye(theta.size)
            epsilon = 1e-5
            for i in range(theta.size):
                dtheta = E[:, i] * epsilon
                numgrad[i] = (
                    objective(unflat(theta + dtheta))[0] - objective(unflat(theta - dtheta))[0]
                ) / (epsilon * 2.0)
            assert_almost_equal(numgrad, grad)


@pytest.mark.parametrize(("X", "y"), classification_datasets, ids=CLASSIFICATION_IDS)
def test_lbfgs_classification(X: Any, y: Any) -> None:
    # sklearn: test_lbfgs_classification
    # L-BFGS scores above 0.95 on the binary and multi-class digits.
    X_train = X[:150]
    y_train = y[:150]
    X_test = X[150:]
    expected_shape_dtype = (X_test.shape[0], y_train.dtype.kind)
    for activation in ACTIVATION_TYPES:
        mlp = TwoLayerClassifier(
            optimizer="lbfgs", hidden=50, iterations=150, random_state=1,
            activation=activation, alpha=SK_ALPHA,
        )  # fmt: skip
        mlp.fit(X_train, y_train)
        y_predict = mlp.predict(X_test)
        assert mlp.score(X_train, y_train) > 0.95
        assert (y_predict.shape[0], y_predict.dtype.kind) == expected_shape_dtype


@pytest.mark.parametrize(("X", "y"), regression_datasets)
def test_lbfgs_regression(X: Any, y: Any) -> None:
    # sklearn: test_lbfgs_regression
    for activation in ACTIVATION_TYPES:
        mlp = TwoLayerRegressor(
            optimizer="lbfgs", hidden=50, iterations=200, tol=1e-3, random_state=1,
            activation=activation, alpha=SK_ALPHA,
        )  # fmt: skip
        mlp.fit(X, y)
        if activation == "identity":
            assert mlp.score(X, y) > 0.80
        else:
            # Non linear models perform much better than linear bottleneck:
            assert mlp.score(X, y) > 0.98


@pytest.mark.parametrize(("X", "y"), classification_datasets, ids=CLASSIFICATION_IDS)
def test_lbfgs_classification_maxfun(X: Any, y: Any) -> None:
    # sklearn: test_lbfgs_classification_maxfun
    # max_fun limits L-BFGS independently of iterations.
    max_fun = 10
    for activation in ACTIVATION_TYPES:
        mlp = TwoLayerClassifier(
            optimizer="lbfgs", hidden=50, iterations=150, max_fun=max_fun, random_state=1,
            activation=activation, alpha=SK_ALPHA,
        )  # fmt: skip
        with pytest.warns(ConvergenceWarning):
            mlp.fit(X, y)
        assert max_fun >= mlp.n_iter_


@pytest.mark.parametrize(("X", "y"), regression_datasets)
def test_lbfgs_regression_maxfun(X: Any, y: Any) -> None:
    # sklearn: test_lbfgs_regression_maxfun
    max_fun = 10
    for activation in ACTIVATION_TYPES:
        mlp = TwoLayerRegressor(
            optimizer="lbfgs", hidden=50, tol=0.0, iterations=150, max_fun=max_fun,
            random_state=1, activation=activation, alpha=SK_ALPHA,
        )  # fmt: skip
        with pytest.warns(ConvergenceWarning):
            mlp.fit(X, y)
        assert max_fun >= mlp.n_iter_


@pytest.mark.parametrize("schedule", ["invscaling", "constant"])
def test_learning_rate_warmstart(schedule: str) -> None:
    # sklearn: test_learning_rate_warmstart
    # A warm fit continues the learning-rate schedule.  scikit-learn reads its optimizer's rate
    # after each fit; ours is read from the gradient-descent step each warm fit took (one epoch,
    # full batch), and invscaling counts epochs: the second fit's rate is lr / (1 + 1)**power_t.
    # (A fixed random_state, which scikit-learn's test leaves unset, keeps a ReLU unit alive.)
    X = [[3, 2], [1, 6], [5, 6], [-2, -4]]
    y = [1, 1, 1, 0]
    mlp = TwoLayerClassifier(
        optimizer="gd", hidden=4, schedule=schedule, iterations=0, power_t=0.25,
        warm_start=True, alpha=SK_ALPHA, standardize=False, random_state=0,
    )  # fmt: skip
    mlp.fit(X, y)  # 0 epochs: the starting weights
    objective = network_objective(mlp, X, y)
    mlp.set_params(iterations=1)
    p0 = params_of(mlp)
    mlp.fit(X, y)
    p1 = params_of(mlp)
    prev_eta = step_rate(p0, p1, objective(p0)[1])
    mlp.fit(X, y)
    post_eta = step_rate(p1, params_of(mlp), objective(p1)[1])
    if schedule == "constant":
        assert prev_eta == pytest.approx(post_eta, rel=1e-9)
    elif schedule == "invscaling":
        assert mlp.lr / pow(1 + 1, mlp.power_t) == pytest.approx(post_eta, rel=1e-9)


def test_multilabel_classification() -> None:
    # sklearn: test_multilabel_classification
    X, y = make_multilabel_classification(n_samples=50, random_state=0, return_indicator=True)
    mlp = TwoLayerClassifier(
        optimizer="lbfgs", hidden=50, alpha=1e-5, iterations=150, random_state=0,
        activation="logistic", lr=0.2,
    )  # fmt: skip
    mlp.fit(X, y)
    assert mlp.score(X, y) > 0.97

    # partial_fit
    mlp = TwoLayerClassifier(
        **SGD, hidden=50, iterations=150, random_state=0, activation="logistic", alpha=1e-5,
        lr=0.2,
    )  # fmt: skip
    for _ in range(100):
        mlp.partial_fit(X, y, classes=[0, 1, 2, 3, 4])
    assert mlp.score(X, y) > 0.9

    # Early stopping works with multilabel targets (its split cannot be stratified).
    mlp = TwoLayerClassifier(early_stopping=True, alpha=SK_ALPHA)
    mlp.fit(X, y).predict(X)


def test_multioutput_regression() -> None:
    # sklearn: test_multioutput_regression
    X, y = make_regression(n_samples=200, n_targets=5, random_state=11)
    mlp = TwoLayerRegressor(
        optimizer="lbfgs", hidden=50, iterations=200, tol=1e-2, random_state=1, alpha=SK_ALPHA
    )
    mlp.fit(X, y)
    assert mlp.score(X, y) > 0.9


def test_partial_fit_classes_error() -> None:
    # sklearn: test_partial_fit_classes_error
    X = [[3, 2]]
    y = [0]
    clf = TwoLayerClassifier(**SGD, alpha=SK_ALPHA)
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y, classes=[1, 2])


@pytest.mark.parametrize(("X", "y"), classification_datasets, ids=CLASSIFICATION_IDS)
def test_partial_fit_classification(X: Any, y: Any) -> None:
    # sklearn: test_partial_fit_classification
    # partial_fit epochs give the same network as fit.
    epochs = 100
    mlp = TwoLayerClassifier(**SGD, iterations=epochs, random_state=1, tol=0, alpha=1e-5, lr=0.2)
    mlp.fit(X, y)
    pred1 = mlp.predict(X)
    mlp = TwoLayerClassifier(**SGD, random_state=1, alpha=1e-5, lr=0.2)
    for _ in range(epochs):
        mlp.partial_fit(X, y, classes=np.unique(y))
    pred2 = mlp.predict(X)
    assert_array_equal(pred1, pred2)
    assert mlp.score(X, y) > 0.95


def test_partial_fit_unseen_classes() -> None:
    # sklearn: test_partial_fit_unseen_classes
    # A class named in the first call but seen only in a later one (scikit-learn bug 6994).
    clf = TwoLayerClassifier(random_state=0, alpha=SK_ALPHA)
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4]], ["d"])
    assert clf.score([[1], [2], [3], [4]], ["a", "b", "c", "d"]) > 0


def test_partial_fit_regression() -> None:
    # sklearn: test_partial_fit_regression
    X = X_reg
    y = y_reg
    for momentum in [0, 0.9]:
        optimizer = "gd" if momentum == 0 else "nesterov"
        params = {
            "optimizer": optimizer, "activation": "relu", "random_state": 1, "lr": 0.01,
            "batch_size": X.shape[0], "momentum": momentum, "alpha": SK_ALPHA,
        }  # fmt: skip
        mlp = TwoLayerRegressor(iterations=100, **params)
        mlp.fit(X, y)
        pred1 = mlp.predict(X)
        mlp = TwoLayerRegressor(**params)
        for _ in range(100):
            mlp.partial_fit(X, y)
        pred2 = mlp.predict(X)
        assert_allclose(pred1, pred2)
        assert mlp.score(X, y) > 0.65


def test_partial_fit_errors() -> None:
    # sklearn: test_partial_fit_errors
    # Labels outside the classes of the first call.  (scikit-learn's second check, that
    # solver="lbfgs" has no partial_fit, does not apply: see the module docstring.)
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    with pytest.raises(ValueError, match="classes"):
        TwoLayerClassifier(**SGD, alpha=SK_ALPHA).partial_fit(X, y, classes=[2])


def test_nonfinite_params() -> None:
    # sklearn: test_nonfinite_params
    # Inputs near the float64 maximum make the weights non-finite: a ValueError (scikit-learn's
    # message names non-finite weights; ours words it its own way, so only the type is checked).
    rng = np.random.RandomState(0)
    n_samples = 10
    fmax = np.finfo(np.float64).max
    X = fmax * rng.uniform(size=(n_samples, 2))
    y = rng.standard_normal(size=n_samples)
    clf = TwoLayerRegressor(alpha=SK_ALPHA, standardize=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RuntimeWarning: overflow
        with pytest.raises(ValueError):  # noqa: PT011 - scikit-learn's wording is its own
            clf.fit(X, y)


def test_predict_proba_binary() -> None:
    # sklearn: test_predict_proba_binary
    X = X_digits_binary[:50]
    y = y_digits_binary[:50]
    clf = TwoLayerClassifier(hidden=5, activation="logistic", random_state=1, alpha=SK_ALPHA)
    clf.fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)
    (n_samples, n_classes) = y.shape[0], 2
    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)
    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(proba_max, proba_log_max)
    # scikit-learn's log-probabilities are log(predict_proba); ours are computed from the scores
    # (log_sigmoid), more accurate where a probability rounds near 1: equal to 1e-9 absolute.
    assert_allclose(y_log_proba, np.log(y_proba), atol=1e-9)
    assert roc_auc_score(y, y_proba[:, 1]) == 1.0


def test_predict_proba_multiclass() -> None:
    # sklearn: test_predict_proba_multiclass
    X = X_digits_multi[:10]
    y = y_digits_multi[:10]
    clf = TwoLayerClassifier(hidden=5, alpha=SK_ALPHA)
    clf.fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)
    (n_samples, n_classes) = y.shape[0], np.unique(y).size
    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)
    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(proba_max, proba_log_max)
    # scikit-learn's log-probabilities are log(predict_proba); ours are computed from the scores
    # (log_sigmoid), more accurate where a probability rounds near 1: equal to 1e-9 absolute.
    assert_allclose(y_log_proba, np.log(y_proba), atol=1e-9)


def test_predict_proba_multilabel() -> None:
    # sklearn: test_predict_proba_multilabel
    # Multilabel outputs are independent sigmoids, not a softmax summing to 1.
    X, Y = make_multilabel_classification(n_samples=50, random_state=0, return_indicator=True)
    n_samples, n_classes = Y.shape
    clf = TwoLayerClassifier(optimizer="lbfgs", hidden=30, random_state=0, alpha=SK_ALPHA)
    clf.fit(X, Y)
    y_proba = clf.predict_proba(X)
    assert y_proba.shape == (n_samples, n_classes)
    assert_array_equal(y_proba > 0.5, Y)
    y_log_proba = clf.predict_log_proba(X)
    proba_max = y_proba.argmax(axis=1)
    proba_log_max = y_log_proba.argmax(axis=1)
    assert (y_proba.sum(1) - 1).dot(y_proba.sum(1) - 1) > 1e-10
    assert_array_equal(proba_max, proba_log_max)
    # scikit-learn's log-probabilities are log(predict_proba); ours are computed from the scores
    # (log_sigmoid), more accurate where a probability rounds near 1: equal to 1e-9 absolute.
    assert_allclose(y_log_proba, np.log(y_proba), atol=1e-9)


def test_shuffle() -> None:
    # sklearn: test_shuffle
    # The shuffle parameter changes training; two runs with the same setting agree.
    X, y = make_regression(n_samples=50, n_features=5, n_targets=1, random_state=0)
    params = {"hidden": 1, "iterations": 1, "batch_size": 1, "random_state": 0, "alpha": SK_ALPHA}
    for shuffle in [True, False]:
        mlp1 = TwoLayerRegressor(**params, shuffle=shuffle).fit(X, y)
        mlp2 = TwoLayerRegressor(**params, shuffle=shuffle).fit(X, y)
        assert np.array_equal(mlp1.coefs_[0], mlp2.coefs_[0])
    mlp1 = TwoLayerRegressor(**params, shuffle=True).fit(X, y)
    mlp2 = TwoLayerRegressor(**params, shuffle=False).fit(X, y)
    assert not np.array_equal(mlp1.coefs_[0], mlp2.coefs_[0])


@pytest.mark.parametrize("csr_container", [scipy.sparse.csr_matrix, scipy.sparse.csr_array])
def test_sparse_matrices(csr_container: Any) -> None:
    # sklearn: test_sparse_matrices (its CSR_CONTAINERS are these two)
    X = X_digits_binary[:50]
    y = y_digits_binary[:50]
    X_sparse = csr_container(X)
    mlp = TwoLayerClassifier(optimizer="lbfgs", hidden=15, random_state=1, alpha=SK_ALPHA)
    mlp.fit(X, y)
    pred1 = mlp.predict(X)
    mlp.fit(X_sparse, y)
    pred2 = mlp.predict(X_sparse)
    assert_almost_equal(pred1, pred2)
    pred1 = mlp.predict(X)
    pred2 = mlp.predict(X_sparse)
    assert_array_equal(pred1, pred2)


def test_tolerance() -> None:
    # sklearn: test_tolerance
    # tol stops the run when the loss no longer improves by it.
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = TwoLayerClassifier(
        tol=0.5, tol_mode="absolute", n_iter_no_change=10, iterations=3000, **SGD,
        alpha=SK_ALPHA,
    )  # fmt: skip
    clf.fit(X, y)
    assert clf.iterations > clf.n_iter_


def test_verbose_sgd(capsys: pytest.CaptureFixture[str]) -> None:
    # sklearn: test_verbose_sgd
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = TwoLayerClassifier(**SGD, iterations=2, verbose=True, hidden=2, alpha=SK_ALPHA)
    clf.fit(X, y)
    clf.partial_fit(X, y)
    out, _ = capsys.readouterr()
    assert "Iteration" in out


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_early_stopping(Estimator: Any) -> None:
    # sklearn: test_early_stopping
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    tol = 0.2
    params = {"tol": tol, "tol_mode": "absolute", "iterations": 3000, **SGD, "alpha": SK_ALPHA}
    mlp_estimator = Estimator(**params, early_stopping=True)
    mlp_estimator.fit(X, y)
    assert mlp_estimator.iterations > mlp_estimator.n_iter_

    assert mlp_estimator.best_loss_ is None
    assert isinstance(mlp_estimator.validation_scores_, list)

    valid_scores = mlp_estimator.validation_scores_
    best_valid_score = mlp_estimator.best_validation_score_
    assert max(valid_scores) == best_valid_score
    assert best_valid_score + tol > valid_scores[-2]
    assert best_valid_score + tol > valid_scores[-1]

    # Without early stopping both are None (n_iter_no_change: scikit-learn's default).
    mlp_estimator = Estimator(**params, early_stopping=False, n_iter_no_change=10)
    mlp_estimator.fit(X, y)
    assert mlp_estimator.validation_scores_ is None
    assert mlp_estimator.best_validation_score_ is None
    assert mlp_estimator.best_loss_ is not None


def test_adaptive_learning_rate() -> None:
    # sklearn: test_adaptive_learning_rate
    # "adaptive" -> schedule="plateau" dividing by 5 as scikit-learn's does; only the stop is
    # ported (the final-rate check cannot apply: see the module docstring).
    X = [[3, 2], [1, 6]]
    y = [1, 0]
    clf = TwoLayerClassifier(
        tol=0.5, tol_mode="absolute", n_iter_no_change=10, iterations=3000, **SGD,
        schedule="plateau", plateau_factor=0.2, alpha=SK_ALPHA,
    )  # fmt: skip
    clf.fit(X, y)
    assert clf.iterations > clf.n_iter_


Y_CLASSES = {
    "2classes": np.array([0] * 75 + [1] * 75),
    "3classes_alt": np.array([0] * 50 + [1] * 50 + [3] * 50),
    "4classes": np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38),
    "5classes": np.array([0] * 30 + [1] * 30 + [2] * 30 + [3] * 30 + [4] * 30),
}


@pytest.mark.parametrize(
    "y_i",
    [
        pytest.param(Y_CLASSES[k], id=k)
        for k in ("2classes", "3classes_alt", "4classes", "5classes")
    ],
)
def test_warm_start(y_i: Any) -> None:
    # sklearn: test_warm_start (its loop over the targets with other classes is the parameter)
    X = X_iris
    y = y_iris
    y_3classes = np.array([0] * 40 + [1] * 40 + [2] * 70)
    params = {"hidden": 2, "optimizer": "lbfgs", "warm_start": True, "random_state": 42,
              "tol": 1e-2, "alpha": SK_ALPHA}  # fmt: skip

    # No error raised: the same classes.
    clf = TwoLayerClassifier(**params).fit(X, y)
    clf.fit(X, y)
    clf.fit(X, y_3classes)

    # Other classes than the first fit's: an error (scikit-learn's message, "warm_start can
    # only be used where `y` has the same classes as in the previous call to fit. ...", is its
    # own; ours names the classes too).
    clf = TwoLayerClassifier(**params).fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        clf.fit(X, y_i)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_warm_start_full_iteration(Estimator: Any) -> None:
    # sklearn: test_warm_start_full_iteration
    # Each warm fit runs `iterations` epochs, and n_iter_ reports them (scikit-learn #16812).
    X, y = X_iris, y_iris
    max_iter = 3
    clf = Estimator(hidden=2, **SGD, warm_start=True, iterations=max_iter, alpha=SK_ALPHA)
    clf.fit(X, y)
    assert max_iter == clf.n_iter_
    clf.fit(X, y)
    assert max_iter == clf.n_iter_


def test_n_iter_no_change() -> None:
    # sklearn: test_n_iter_no_change
    # The run stops when n_iter_no_change + 1 epochs in a row have not improved on the best loss
    # by tol (scikit-learn's _no_improvement_count, recomputed from loss_curve_).
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    tol = 0.01
    max_iter = 3000
    for n_iter_no_change in [2, 5, 10, 50, 100]:
        clf = TwoLayerClassifier(
            tol=tol,
            tol_mode="absolute",
            iterations=max_iter,
            **SGD,
            n_iter_no_change=n_iter_no_change + 1,
            alpha=SK_ALPHA,
        )  # fmt: skip  (scikit-learn stops after n + 1 epochs without progress, ours after n)
        clf.fit(X, y)
        assert no_improvement_count(clf.loss_curve_, tol) == n_iter_no_change + 1
        assert max_iter > clf.n_iter_


def test_n_iter_no_change_inf() -> None:
    # sklearn: test_n_iter_no_change_inf
    # n_iter_no_change=None (scikit-learn's np.inf) never stops the run, even when no epoch
    # improves by tol.
    X = X_digits_binary[:100]
    y = y_digits_binary[:100]
    tol = 1e9
    max_iter = 3000
    clf = TwoLayerClassifier(
        tol=tol, tol_mode="absolute", iterations=max_iter, **SGD, n_iter_no_change=None,
        alpha=SK_ALPHA,
    )  # fmt: skip
    clf.fit(X, y)
    assert clf.n_iter_ == max_iter
    assert no_improvement_count(clf.loss_curve_, tol) == clf.n_iter_ - 1


def test_early_stopping_stratified() -> None:
    # sklearn: test_early_stopping_stratified
    # The early-stopping split is stratified: a class of one sample cannot be split.
    # (scikit-learn's message is train_test_split's; ours only has to name the class problem.)
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    y = [0, 0, 0, 1]
    mlp = TwoLayerClassifier(early_stopping=True, alpha=SK_ALPHA)
    with pytest.raises(ValueError, match=r"(?i)class"):
        mlp.fit(X, y)


def test_mlp_early_stopping_string_labels() -> None:
    # sklearn: test_mlp_early_stopping_string_labels
    # String labels with early stopping (scikit-learn #33760).
    X, y = make_classification(
        n_samples=200, n_features=10, n_classes=3, n_informative=5, random_state=42
    )
    labels = np.array(["class_a", "class_b", "class_c"], dtype=object)
    y = labels[y]
    mlp = TwoLayerClassifier(early_stopping=True, iterations=50, random_state=42, alpha=SK_ALPHA)
    mlp.fit(X, y)
    assert mlp.validation_scores_ is not None
    assert len(mlp.validation_scores_) == mlp.n_iter_
    assert np.isfinite(mlp.validation_scores_).all()


def test_mlp_classifier_dtypes_casting() -> None:
    # sklearn: test_mlp_classifier_dtypes_casting (hidden_layer_sizes=(5, 3) -> hidden=5)
    # Training on float32 gives the predictions of float64.
    params = {"alpha": 1e-5, "hidden": 5, "random_state": 1, "iterations": 100, "tol": 1e-1}
    mlp_64 = TwoLayerClassifier(**params)
    mlp_64.fit(X_digits[:300], y_digits[:300])
    pred_64 = mlp_64.predict(X_digits[300:])
    proba_64 = mlp_64.predict_proba(X_digits[300:])

    mlp_32 = TwoLayerClassifier(**params)
    mlp_32.fit(X_digits[:300].astype(np.float32), y_digits[:300])
    pred_32 = mlp_32.predict(X_digits[300:].astype(np.float32))
    proba_32 = mlp_32.predict_proba(X_digits[300:].astype(np.float32))

    assert_array_equal(pred_64, pred_32)
    assert_allclose(proba_64, proba_32, rtol=1e-02)


def test_mlp_regressor_dtypes_casting() -> None:
    # sklearn: test_mlp_regressor_dtypes_casting (hidden_layer_sizes=(5, 3) -> hidden=5)
    params = {"alpha": 1e-5, "hidden": 5, "random_state": 1, "iterations": 150, "tol": 1e-3}
    mlp_64 = TwoLayerRegressor(**params)
    mlp_64.fit(X_digits[:300], y_digits[:300])
    pred_64 = mlp_64.predict(X_digits[300:])

    mlp_32 = TwoLayerRegressor(**params)
    mlp_32.fit(X_digits[:300].astype(np.float32), y_digits[:300])
    pred_32 = mlp_32.predict(X_digits[300:].astype(np.float32))

    assert_allclose(pred_64, pred_32, rtol=5e-04)


@pytest.mark.parametrize(
    "dtype",
    [np.float32, np.float64],
    ids=["float32", "float64"],
)
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_mlp_param_dtypes(dtype: Any, Estimator: Any) -> None:
    # sklearn: test_mlp_param_dtypes (hidden_layer_sizes=(5, 3) -> hidden=5)
    # The input's dtype is the parameters' and the predictions'.
    X, y = X_digits.astype(dtype), y_digits
    mlp = Estimator(alpha=1e-5, hidden=5, random_state=1, iterations=50, tol=1e-1)
    mlp.fit(X[:300], y[:300])
    pred = mlp.predict(X[300:])
    assert all(intercept.dtype == dtype for intercept in mlp.intercepts_)
    assert all(coef.dtype == dtype for coef in mlp.coefs_)
    if Estimator == TwoLayerRegressor:
        assert pred.dtype == dtype


def test_mlp_loading_from_joblib_partial_fit(tmp_path: Any) -> None:
    # sklearn: test_mlp_loading_from_joblib_partial_fit
    # A loaded model keeps learning with partial_fit (scikit-learn #19626).  scikit-learn's
    # tolerance is met from its own Glorot-scale start (1.00006); from the smaller uniform
    # default the 200 steps end at 1.00014, still learning toward the new target.
    pre_trained_estimator = TwoLayerRegressor(
        hidden=42, random_state=42, lr=0.01, iterations=200, alpha=SK_ALPHA, init="glorot"
    )
    features, target = [[2]], [4]
    pre_trained_estimator.fit(features, target)

    pickled_file = tmp_path / "mlp.pkl"
    joblib.dump(pre_trained_estimator, pickled_file)
    load_estimator = joblib.load(pickled_file)

    fine_tune_features, fine_tune_target = [[2]], [1]
    for _ in range(200):
        load_estimator.partial_fit(fine_tune_features, fine_tune_target)
    predicted_value = load_estimator.predict(fine_tune_features)
    assert_allclose(predicted_value, fine_tune_target, rtol=1e-4)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_preserve_feature_names(Estimator: Any) -> None:
    # sklearn: test_preserve_feature_names
    # Early stopping raises no feature-name warning (scikit-learn gh-24846); pandas is optional
    # there too.
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.full(10, 1), name="colname_y")
    model = Estimator(early_stopping=True, validation_fraction=0.2, alpha=SK_ALPHA)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_mlp_warm_start_with_early_stopping(Estimator: Any) -> None:
    # sklearn: test_mlp_warm_start_with_early_stopping
    mlp = Estimator(
        iterations=10, random_state=0, warm_start=True, early_stopping=True, alpha=SK_ALPHA
    )
    mlp.fit(X_iris, y_iris)
    n_validation_scores = len(mlp.validation_scores_)
    mlp.set_params(iterations=20)
    mlp.fit(X_iris, y_iris)
    assert len(mlp.validation_scores_) > n_validation_scores


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_mlp_warm_start_no_convergence(Estimator: Any, optimizer: str) -> None:
    # sklearn: test_mlp_warm_start_no_convergence
    # A warm fit stops at `iterations` (scikit-learn #24764).
    solver = SGD if optimizer == "sgd" else {"optimizer": optimizer}
    model = Estimator(
        **solver, warm_start=True, early_stopping=False, iterations=10, n_iter_no_change=None,
        random_state=0, alpha=SK_ALPHA,
    )  # fmt: skip
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 10
    model.set_params(iterations=20)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 20


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_mlp_partial_fit_after_fit(Estimator: Any) -> None:
    # sklearn: test_mlp_partial_fit_after_fit
    # partial_fit after an early-stopping fit does not fail (scikit-learn gh-25693).  scikit-learn
    # then raises "partial_fit does not support early_stopping=True"; ours by design runs the
    # epoch without a held-out split (see the module docstring), so the port checks that it ran.
    mlp = Estimator(early_stopping=True, random_state=0, alpha=SK_ALPHA).fit(X_iris, y_iris)
    epochs = len(mlp.loss_curve_)
    mlp.partial_fit(X_iris, y_iris)
    assert len(mlp.loss_curve_) == epochs + 1


def test_mlp_sample_weight_with_early_stopping() -> None:
    # sklearn: test_mlp_sample_weight_with_early_stopping
    # Unit weights give the unweighted fit, through the validation split.
    X, y = make_regression(n_samples=100, n_features=2, n_informative=2, random_state=42)
    sw = np.ones_like(y)
    params = {
        "hidden": 10, "optimizer": "adam", "early_stopping": True, "tol": 1e-2, "lr": 0.01,
        "batch_size": 10, "random_state": 42, "alpha": SK_ALPHA,
    }  # fmt: skip
    m1 = TwoLayerRegressor(**params)
    m1.fit(X, y, sample_weight=sw)
    m2 = TwoLayerRegressor(**params).fit(X, y, sample_weight=None)
    assert_allclose(m1.predict(X), m2.predict(X))


def test_minimum_input_sample_size() -> None:
    # sklearn: test_minimum_input_sample_size
    X, y = make_regression(n_samples=2, n_features=5, random_state=0)
    model = TwoLayerRegressor(early_stopping=True, random_state=0, alpha=SK_ALPHA)
    with pytest.raises(ValueError, match="validation set is too small"):
        model.fit(X, y)
