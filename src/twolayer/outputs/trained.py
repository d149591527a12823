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
from twolayer.data.prep import Preprocessing
from twolayer.display import loss_curve_svg, summary_html
from twolayer.errors import DataError
from twolayer.losses import log_sigmoid, softmax
from twolayer.model import Params, predict


@dataclass(frozen=True)
class Model:
    """A trained network and what turns raw data into its inputs and its outputs into answers.

    Attributes
    ----------
    params : the weights, w1 (D_in, H), w2 (H, D_out), optionally b1 (H,), b2 (D_out,).
    activation, loss : names in :data:`twolayer.activations.ACTIVATIONS` and
        :data:`twolayer.losses.LOSSES`.
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
        encoded = self.preprocessing.encoding is not None
        if not is_sparse(x):
            x = np.asarray(x, dtype=object if encoded else np.float64)
        width = len(self.input_names) if encoded else self.n_features
        if x.ndim != 2 or x.shape[1] != width:
            raise DataError(f"the model expects inputs of shape (N, {width}), got {x.shape}")
        xs = self.preprocessing.inputs(x, notes).astype(self.dtype, copy=False)
        return np.asarray(predict(self.params, xs, self.activation), dtype=self.dtype)

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
