"""scikit-learn estimators around the two-layer network: TwoLayerRegressor, TwoLayerClassifier.

Both follow scikit-learn's estimator contract (``fit``/``predict``/``score``, ``get_params``,
``n_features_in_``, validation with scikit-learn's own helpers) so they work in ``Pipeline``,
``GridSearchCV`` and ``cross_val_score``, and pass ``check_estimator``.  They train with
:func:`twolayer.train.train` and predict through :class:`twolayer.outputs.trained.Model`, the
same code the command line uses; ``model_`` can be saved with
:func:`twolayer.outputs.modelfile.save_model` (numeric class labels) and used by
``twolayer predict``.

Why the defaults differ from the seed's recipe
----------------------------------------------
The seed (``docs/seed/000_a9de79f32e810abc.txt``) trains on standard-normal data it drew
itself: no biases, standard-normal weights, full-batch gradient descent at lr = 1e-6 on the sum
of squared errors.  On real data that recipe fails: without biases the network cannot shift its
outputs to the targets' mean; standard-normal weights on 64 inputs give hidden activations in
the tens and a loss that explodes at any useful rate; the sum's gradient grows with the number
of samples, so no single learning rate suits every dataset; and full-batch steps are few.  The
defaults are therefore scikit-learn's ``MLPRegressor``/``MLPClassifier`` recipe, which is known
to work on many problems:

* ``bias=True``; ``init="uniform"`` (weights uniform on ``+-1 / sqrt(fan_in)``, PyTorch's
  ``nn.Linear`` default: smaller than He's or scikit-learn's Glorot scale, and the best scores
  of the four on short fits and on real tables, ``benchmarks/inits.py``);
* ``optimizer="adam"`` with ``lr=1e-3``, minibatches of ``min(200, n_samples)``
  (``batch_size="auto"``), reshuffled every epoch, ``iterations=200`` epochs;
* a loss averaged over samples (``half_mse`` for regression, as scikit-learn; softmax
  ``cross_entropy`` for classification), so the rate does not depend on the dataset's size;
* ``standardize=True``: inputs (and regression targets) scaled to mean 0 and standard deviation
  1 with the training data's statistics, which Adam's single rate needs to suit every column;
* early stopping off (``early_stopping=True`` holds out ``validation_fraction`` of the samples,
  stops after ``patience`` epochs without progress and keeps the best weights);
* ``alpha=0``: no L2 penalty, as in the earlier versions.  scikit-learn's default is 1e-4
  (scaled the same way, see :mod:`twolayer.nn.objective`): pass ``alpha=1e-4`` for it.
* ``n_iter_no_change=None``: every fit runs its ``iterations`` (or stops early with
  ``early_stopping``), as in the earlier versions.  scikit-learn stops a fit once the training
  loss has not improved by ``tol`` for 10 epochs: pass ``n_iter_no_change=10, tol_mode="absolute"``.
  Either way a fit that used every iteration while its loss was still improving (an improvement
  of ``tol`` within the last ``n_iter_no_change``, or ``patience``, epochs) ends with
  scikit-learn's ``ConvergenceWarning``.
* ``dtype=None``: float32 inputs train and predict in float32, every other input in float64
  (scikit-learn's MLP does the same).

scikit-learn's ``sample_weight`` is taken by ``fit`` and ``partial_fit`` (each sample counts
that many times in the loss, the penalty's factor, the validation loss and the scores: integer
weights train as repeated rows), and the classifier also takes ``class_weight``.  SciPy sparse
CSR/CSC inputs train and predict without being densified (``standardize`` then scales their
columns without centring them).

The seed's recipe is one parameter set away::

    TwoLayerRegressor(bias=False, init="normal", optimizer="gd", lr=1e-6, loss="sse",
                      batch_size=None, iterations=500, standardize=False)

scikit-learn is an optional extra: ``pip install 'twolayer[sklearn]'``.
"""

from __future__ import annotations

import copy
import dataclasses
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from twolayer._version import documentation_root
from twolayer.config import TrainConfig, check_value
from twolayer.data.prep import Task, fit_preprocessing
from twolayer.outputs.callbacks import PrintLosses, epoch_line
from twolayer.outputs.history import summarize
from twolayer.outputs.trained import Model
from twolayer.state import Callback, TrainState
from twolayer.train import train

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
        return estimator._validate_data(*args, **kwargs)


AUTO_BATCH = 200
"""``batch_size="auto"`` means ``min(200, n_samples)``, as in scikit-learn's MLP (the full batch
for ``optimizer="lbfgs"``, which works on it)."""


class TwoLayerEstimator(BaseEstimator):  # type: ignore[misc]
    """What the regressor and the classifier share: parameters, configuration, training."""

    _task: Task = "regression"
    _default_loss = "half_mse"
    # The "?" of scikit-learn's HTML diagram links to the estimator's page of the API reference
    # (docs/api.rst): scikit-learn's own mechanism, pointed at twolayer's site.
    _doc_link_module = "twolayer"
    _doc_link_template = "{root}generated/twolayer.{estimator_name}.html"

    def _doc_link_url_param_generator(self) -> dict[str, str]:
        return {"root": documentation_root(), "estimator_name": type(self).__name__}

    # Set by fit (declared for type checking; scikit-learn's convention: absent until fitted).
    model_: Model
    state_: TrainState
    seed_: int
    loss_curve_: list[float]
    validation_loss_curve_: list[float] | None
    validation_scores_: list[float] | None
    samples_seen_: int

    def __init__(
        self,
        hidden: int = 100,
        *,
        activation: str = "relu",
        loss: str | None = None,
        bias: bool = True,
        init: str = "uniform",
        optimizer: str = "adam",
        lr: float = 1e-3,
        iterations: int = 200,
        batch_size: int | str | None = "auto",
        momentum: float = 0.9,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        schedule: str = "constant",
        power_t: float = 0.5,
        step_size: int = 100,
        gamma: float = 0.1,
        lr_min: float = 0.0,
        plateau_patience: int = 10,
        plateau_factor: float = 0.5,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        tol: float = 1e-4,
        tol_mode: str = "relative",
        n_iter_no_change: int | None = None,
        divergence_factor: float = 1e8,
        alpha: float = 0.0,
        max_fun: int = 15000,
        shuffle: bool = True,
        dtype: str | None = None,
        standardize: bool = True,
        warm_start: bool = False,
        verbose: bool = False,
        random_state: int | np.random.Generator | np.random.RandomState | None = None,
        callbacks: Sequence[Callback] | None = None,
    ) -> None:
        self.hidden = hidden
        self.activation = activation
        self.loss = loss
        self.bias = bias
        self.init = init
        self.optimizer = optimizer
        self.lr = lr
        self.iterations = iterations
        self.batch_size = batch_size
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule = schedule
        self.power_t = power_t
        self.step_size = step_size
        self.gamma = gamma
        self.lr_min = lr_min
        self.plateau_patience = plateau_patience
        self.plateau_factor = plateau_factor
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.tol_mode = tol_mode
        self.n_iter_no_change = n_iter_no_change
        self.divergence_factor = divergence_factor
        self.alpha = alpha
        self.max_fun = max_fun
        self.shuffle = shuffle
        self.dtype = dtype
        self.standardize = standardize
        self.warm_start = warm_start
        self.verbose = verbose
        self.callbacks = callbacks  # each fit's too: a LivePlot redraws the curve as it fits
        self.random_state = random_state

    def _config(self, x: Any, seed: int) -> TrainConfig:
        """The :class:`TrainConfig` of these parameters for inputs ``x`` (a ConfigError, a
        ValueError, when one is out of range)."""
        names = set(self._get_param_names())  # (inspects the signature: once)
        shared = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(TrainConfig)
            if f.name in names
        }  # the estimator parameters named as TrainConfig fields, passed on as they are
        for name, value in shared.items():  # each as TrainConfig declares it, used or not
            if name != "batch_size" and not (value is None and name in ("loss", "dtype")):
                check_value(TrainConfig, name, value)
        return TrainConfig(**{
            **shared,
            "loss": self.loss or self._loss(),
            "batch_size": self._batch_size(x.shape[0]),
            "validation_fraction": self.validation_fraction if self.early_stopping else 0.0,
            "dtype": self.dtype or ("float32" if x.dtype == np.float32 else "float64"),
            "track": "loss",  # the estimators keep only the loss curves: skip the other statistics
            "scores": self.early_stopping,  # validation_scores_: R² or accuracy of each epoch
            "seed": seed,
        })  # fmt: skip

    def _loss(self) -> str:
        """The loss when ``loss`` is None: the task's."""
        return self._default_loss

    def _batch_size(self, n_samples: int) -> int | None:
        if self.batch_size == "auto":
            if self.optimizer == "lbfgs":  # full batch, as scikit-learn's lbfgs ignores it
                return None
            size = min(AUTO_BATCH, n_samples)
            return None if size >= n_samples else size
        if self.batch_size is None or isinstance(self.batch_size, numbers.Integral):
            return None if self.batch_size is None else int(self.batch_size)
        raise ValueError(f"batch_size must be 'auto', None or an integer, got {self.batch_size!r}")

    def _seed(self) -> int:
        """An integer seed from ``random_state``; None draws fresh entropy from the OS (never
        from NumPy's global generator)."""
        rs = self.random_state
        if rs is None:
            return int(np.random.SeedSequence().generate_state(1)[0])
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            if rs < 0:
                raise ValueError(f"random_state must be None, an integer >= 0 or a generator, "
                                 f"got {rs!r}")  # fmt: skip
            return int(rs)
        if isinstance(rs, np.random.Generator):
            return int(rs.integers(2**32))
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(2**31))
        raise ValueError(f"random_state must be None, an integer or a generator, got {rs!r}")

    def _fit(
        self, x: Any, y: NDArray[Any], *, epochs: int | None = None,
        classes: NDArray[Any] | None = None, sample_weight: Any = None,
    ) -> None:  # fmt: skip
        """Train on validated ``x`` (N, D_in), dense or SciPy sparse, and ``y`` ((N,) labels,
        (N, K) indicators or (N, D_out) values), each sample weighing ``sample_weight`` (N,).

        A fitted estimator continues its run, from its weights and the optimizer's, schedule's
        and shuffling state, when ``warm_start`` is set or for ``partial_fit`` (``epochs=1``);
        it keeps the scaling statistics and the classes of its first fit.  Otherwise the run
        starts afresh.
        """
        go_on = (self.warm_start or epochs is not None) and hasattr(self, "state_")
        weight = None if sample_weight is None else _check_sample_weight(sample_weight, x)
        if go_on:
            prep, state, seed = self.model_.preprocessing, copy.deepcopy(self.state_), self.seed_
        else:
            prep = fit_preprocessing(x, y, self._task, standardize=self.standardize,
                                     weight=weight)  # fmt: skip
            if classes is not None:  # partial_fit: every class, not only this batch's
                prep = dataclasses.replace(prep, classes=classes)
            state, seed = None, self._seed()
        changes: dict[str, Any] = {}  # to the parameters' configuration, applied at once
        if go_on:  # the dtype of the run so far
            changes["dtype"] = str(self.model_.dtype)
        if epochs is not None:  # one pass over the given data; no held-out split of it
            changes.update(early_stopping=False, validation_fraction=0.0, scores=False)
        done = state.iteration if state is not None else 0
        changes["iterations"] = done + (epochs or self.iterations)
        config = self._config(x, seed).replace(**changes)
        callbacks: list[Callback] = [PrintLosses(line=epoch_line)] if self.verbose else []
        callbacks.extend(self.callbacks or ())  # verbose: scikit-learn's lines, then the user's
        result = train(prep.inputs(x), prep.targets(y), config, state=state,
                       sample_weight=weight, callbacks=callbacks)  # fmt: skip
        rows = [r.to_dict() for r in result.history]
        self._extend_curves(result.history, go_on)
        self.model_ = Model(
            result.params, config.activation, config.loss, prep, config,
            summary=summarize(rows, stop_reason=result.stop_reason),
            losses=tuple(self.loss_curve_),
        )  # fmt: skip
        self.state_, self.seed_ = result.state, seed
        self.n_iter_ = len(result.history)  # this fit's epochs, as scikit-learn counts them
        self.stop_reason_ = result.stop_reason
        split = result.split  # the rows train held out for validation, if any
        trained_on = x.shape[0] if split is None else len(split.train)
        self.samples_seen_ = (self.samples_seen_ if go_on else 0) + trained_on * len(result.history)
        self._warn_unless_converged(config, result.state, result.stop_reason)

    def _extend_curves(self, history: list[Any], go_on: bool) -> None:
        """``loss_curve_``, ``validation_loss_curve_`` and ``validation_scores_``, after those of
        the run so far when it goes on."""

        def extend(name: str, values: list[float]) -> list[float] | None:
            before = (getattr(self, name, None) or []) if go_on else []
            return (before + values) or None

        self.loss_curve_ = extend("loss_curve_", [r.loss for r in history]) or []
        val = [r.val_loss for r in history if r.val_loss is not None]
        self.validation_loss_curve_ = extend("validation_loss_curve_", val)
        scores = [r.val_score for r in history if r.val_score is not None]
        self.validation_scores_ = extend("validation_scores_", scores)

    def _warn_unless_converged(self, config: TrainConfig, state: TrainState, reason: str) -> None:
        """scikit-learn's ConvergenceWarning when the iterations ran out (or L-BFGS's
        evaluations) while the training loss still improved by ``tol`` within the last
        ``n_iter_no_change`` (else ``patience``) epochs."""
        window = config.n_iter_no_change or config.patience
        if reason == "max_fun" or (reason == "completed" and state.convergence.wait < window):
            limit = f"max_fun ({config.max_fun})" if reason == "max_fun" else (
                f"iterations ({config.iterations})")  # fmt: skip
            warnings.warn(
                f"{type(self).__name__}: the maximum {limit} was reached and the optimization "
                "has not converged yet",
                ConvergenceWarning,
                stacklevel=3,
            )

    # scikit-learn's MLP names for what a fit leaves, where they apply to one hidden layer.
    @property
    def loss_(self) -> float:
        """The training loss of the last epoch (penalty included)."""
        check_is_fitted(self, "model_")
        return self.loss_curve_[-1]

    @property
    def best_validation_score_(self) -> float | None:
        """The best of ``validation_scores_`` (R² or accuracy); None without early stopping."""
        check_is_fitted(self, "model_")
        return max(self.validation_scores_) if self.validation_scores_ else None

    @property
    def best_loss_(self) -> float | None:
        """The lowest training loss of the run; None with early stopping, which watches the
        validation loss instead (as scikit-learn's)."""
        check_is_fitted(self, "model_")
        return None if self.early_stopping else min(self.loss_curve_)

    @property
    def coefs_(self) -> list[NDArray[Any]]:
        """``[w1 (D_in, H), w2 (H, D_out)]``."""
        check_is_fitted(self, "model_")
        return [self.model_.params.w1, self.model_.params.w2]

    @property
    def intercepts_(self) -> list[NDArray[Any]]:
        """``[b1 (H,), b2 (D_out,)]``: zeros for a network without biases."""
        check_is_fitted(self, "model_")
        p = self.model_.params
        if p.b1 is not None and p.b2 is not None:
            return [p.b1, p.b2]
        return [np.zeros(p.w1.shape[1], p.w1.dtype), np.zeros(p.w2.shape[1], p.w2.dtype)]

    @property
    def n_outputs_(self) -> int:
        """D_out: targets for regression, classes for classification."""
        check_is_fitted(self, "model_")
        return int(self.model_.params.w2.shape[1])

    @property
    def t_(self) -> int:
        """Training samples seen: the samples of every epoch of every fit of the run."""
        check_is_fitted(self, "model_")
        return self.samples_seen_

    def _inputs(self, X: Any) -> Any:
        check_is_fitted(self, "model_")
        return validate_data(self, X, reset=False, **INPUTS)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


INPUTS: dict[str, Any] = {"dtype": (np.float64, np.float32), "accept_sparse": ("csr", "csc")}
"""How the estimators validate ``X``: float64 or float32 (kept), dense or SciPy CSR/CSC."""


__all__ = ["AUTO_BATCH", "INPUTS", "TwoLayerEstimator", "validate_data"]
