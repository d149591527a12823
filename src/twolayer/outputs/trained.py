"""A trained network, ready to use: raw inputs in, answers in the data's own units out.

:class:`Model` is what :func:`twolayer.outputs.modelfile.save_model` writes and
:func:`twolayer.outputs.modelfile_reader.load_model` gives back (also ``twolayer.Model``,
``twolayer.save_model`` and ``twolayer.load_model``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.backend import is_sparse
from twolayer.config import TrainConfig
from twolayer.data.prep import Preprocessing, as_numbers
from twolayer.display import loss_curve_svg, summary_html
from twolayer.errors import DataError
from twolayer.nn.losses import log_sigmoid, softmax
from twolayer.nn.model import Params, forward, input_gradient, predict


@dataclass(frozen=True)
class Model:
    """A trained network and what turns raw data into its inputs and its outputs into answers.

    Attributes
    ----------
    params : the weights, w1 (D_in, H), w2 (H, D_out), optionally b1 (H,), b2 (D_out,).
    activation, loss : names in :data:`twolayer.nn.activations.ACTIVATIONS` and
        :data:`twolayer.nn.losses.LOSSES`.
    preprocessing : input scaling, target scaling or class labels.
    config : the training configuration, when known.
    feature_names : D_in input names (of the network's inputs, a table's encoded columns);
        target_names : output names.
    summary : what the history said (iterations, final losses, stop reason, seconds).
    source : where the training data came from, as the command line described it.
    losses : the training loss of each iteration, when known (a fit, a model file with its
        history): the curve a notebook shows (:meth:`_repr_html_`).  Not compared.
    """

    params: Params
    activation: str = "relu"
    loss: str = "sse"
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    config: TrainConfig | None = None
    feature_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] | None = None
    losses: tuple[float, ...] = field(default=(), compare=False, repr=False)

    @property
    def task(self) -> str:
        return self.preprocessing.task

    @property
    def n_features(self) -> int:
        """D_in, the network's inputs."""
        return self.params.sizes[0]

    @property
    def input_names(self) -> tuple[str, ...]:
        """The columns the data must hold: a table's raw columns when the model encodes them
        (:attr:`Preprocessing.encoding`), else the network's inputs."""
        encoding = self.preprocessing.encoding
        if encoding is not None:
            return encoding.column_names
        return self.feature_names or tuple(f"x{j + 1}" for j in range(self.n_features))

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype the weights were trained in, and of every answer: float64 or float32."""
        dtype: np.dtype[Any] = self.params.w1.dtype
        return dtype

    def outputs(self, x: Any, notes: list[str] | None = None) -> NDArray[Any]:
        """The network's raw outputs for raw inputs: (N, D_in) -> (N, D_out), in
        :attr:`dtype`.  ``x`` may be a SciPy sparse matrix; for a model that encodes a table,
        it is the table's cells (N, len(input_names)): text, numbers, None where missing
        (``notes`` gathers what the encoding filled in or did not know)."""
        xs = self.preprocessing.inputs(self._checked(x), notes).astype(self.dtype, copy=False)
        return np.asarray(predict(self.params, xs, self.activation), dtype=self.dtype)

    def _checked(self, x: Any) -> Any:
        """Raw inputs as an array (a table's cells as objects, else numbers) of the model's
        width; SciPy sparse passes as it is."""
        encoded = self.preprocessing.encoding is not None
        if not is_sparse(x):
            x = np.asarray(x, dtype=object) if encoded else as_numbers(x)
        width = len(self.input_names) if encoded else self.n_features
        if x.ndim != 2 or x.shape[1] != width:
            raise DataError(f"the model expects inputs of shape (N, {width}), got {x.shape}")
        return x

    def features(self, x: Any, notes: list[str] | None = None) -> NDArray[np.float64]:
        """Raw inputs -> the network's D_in input columns in their own units, before scaling
        (a table's rows encoded: one-hot, filled cells, days), (N, D_in) float64, dense."""
        x = self._checked(x)
        encoding = self.preprocessing.encoding
        if encoding is not None:
            return encoding.transform(x, notes)
        return np.asarray(x.toarray() if is_sparse(x) else x, dtype=np.float64)

    def input_gradients(self, x: Any, notes: list[str] | None = None) -> NDArray[Any]:
        """How each answer moves with each input: (N, D_in, K), the derivative of answer k
        with respect to input column j (:meth:`features`, in its own units), at each sample.

        The answers are those :meth:`predict` and :meth:`predict_proba` give: for regression
        the D_out values in the targets' units; for classification the C class
        probabilities (the softmax's Jacobian ``p_c (e_c - p)``); for multilabel each
        label's probability (``p (1 - p)``).  Each column is one more backward pass,
        :func:`twolayer.nn.model.input_gradient`, then the input scaling's chain rule (a
        standardised input divides by its spread)."""
        prep = self.preprocessing
        scaler = prep.x_scaler
        xe = self.features(x, notes)
        xs = (xe if scaler is None else scaler.transform(xe)).astype(self.dtype, copy=False)
        z, cache = forward(self.params, xs, self.activation)  # z: (N, D_out)
        jac = self._answer_jacobian(np.asarray(z, dtype=np.float64))  # (N, K, D_out)
        grads = np.stack(
            [input_gradient(self.params, cache, jac[:, k, :].astype(self.dtype), self.activation)
             for k in range(jac.shape[1])], axis=2,
        )  # fmt: skip
        grads = np.asarray(grads, dtype=np.float64)
        return grads if scaler is None else grads / scaler.scale[None, :, None]

    def _answer_jacobian(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        """d answer_k / d z_m for each sample: (N, D_out) -> (N, K, D_out)."""
        prep = self.preprocessing
        n, d_out = z.shape
        if prep.multilabel:
            p = np.asarray(np.exp(log_sigmoid(z)))
            return np.asarray(np.einsum("nk,km->nkm", p * (1.0 - p), np.eye(d_out)))
        if prep.classes is not None:
            p = np.asarray(softmax(z))  # dp_c/dz_m = p_c (delta_cm - p_m)
            return np.asarray(p[:, :, None] * (np.eye(d_out)[None, :, :] - p[:, None, :]))
        scale = np.ones(d_out) if prep.y_scaler is None else prep.y_scaler.scale
        return np.broadcast_to(np.diag(scale), (n, d_out, d_out)).copy()

    def attributions(self, x: Any, notes: list[str] | None = None) -> NDArray[np.float64]:
        """Gradient times input, (N, D_in, K): each input's share in moving answer k away from
        its value at the training mean, ``input_gradients * (features - mean)`` (the mean of
        the training rows when inputs were standardised, else 0)."""
        scaler = self.preprocessing.x_scaler
        xe = self.features(x, notes)
        centred = xe if scaler is None else xe - scaler.mean
        return np.asarray(self.input_gradients(x) * centred[:, :, None])

    def predict(self, x: Any, notes: list[str] | None = None) -> NDArray[Any]:
        """Class labels (N,) for classification; the 0/1 indicator (N, K) for multilabel;
        values (N, D_out) in the targets' units, in :attr:`dtype`, for regression."""
        out = self.outputs(x, notes)
        classes = self.preprocessing.classes
        if self.preprocessing.multilabel:
            return (out > 0).astype(np.int64)  # sigmoid(z) > 1/2 exactly when z > 0
        if classes is not None:
            labels: NDArray[Any] = classes[np.argmax(out, axis=1)]
            return labels
        return self.preprocessing.values(out).astype(self.dtype, copy=False)

    def predict_proba(self, x: Any) -> NDArray[Any]:
        """Class probabilities (N, C), the softmax of the outputs; for multilabel, each label's
        probability (N, K), the sigmoid of its output (classification only)."""
        if self.preprocessing.classes is None:
            raise DataError("probabilities need a classification model")
        out = self.outputs(x)
        return np.asarray(
            np.exp(log_sigmoid(out)) if self.preprocessing.multilabel else softmax(out)
        )

    def _repr_html_(self) -> str:
        """What a notebook shows: the network, the task, how its training ended and its loss
        curve when known (:mod:`twolayer.display`)."""
        s = self.summary
        classes = self.preprocessing.classes
        return summary_html(f"Model ({self.task})", [
            ("D_in × H × D_out", self.params.sizes),
            ("activation, loss", f"{self.activation}, {self.loss}"),
            ("biases", "yes" if self.params.has_bias else "no"),
            ("dtype", str(self.dtype)),
            ("classes", None if classes is None else [str(c) for c in classes[:10]]
                        + (["..."] if len(classes) > 10 else [])),
            ("iterations", s.get("iterations")),
            ("final loss", s.get("final_loss")),
            ("best validation loss", s.get("best_val_loss")),
            ("stop reason", s.get("stop_reason")),
        ], loss_curve_svg([("training loss", self.losses)]))  # fmt: skip


__all__ = ["Model"]
