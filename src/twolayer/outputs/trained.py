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
    feature_names : D_in input names; target_names : output names.
    summary : what the history said (iterations, final losses, stop reason, seconds).
    source : where the training data came from, as the command line described it.
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

    @property
    def task(self) -> str:
        return self.preprocessing.task

    @property
    def n_features(self) -> int:
        return self.params.sizes[0]

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype the weights were trained in, and of every answer: float64 or float32."""
        dtype: np.dtype[Any] = self.params.w1.dtype
        return dtype

    def outputs(self, x: Any) -> NDArray[Any]:
        """The network's raw outputs for raw inputs: (N, D_in) -> (N, D_out), in
        :attr:`dtype`.  ``x`` may be a SciPy sparse matrix."""
        x = x if is_sparse(x) else np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise DataError(
                f"the model expects inputs of shape (N, {self.n_features}), got {x.shape}"
            )
        xs = self.preprocessing.inputs(x).astype(self.dtype, copy=False)
        return np.asarray(predict(self.params, xs, self.activation), dtype=self.dtype)

    def predict(self, x: Any) -> NDArray[Any]:
        """Class labels (N,) for classification; the 0/1 indicator (N, K) for multilabel;
        values (N, D_out) in the targets' units, in :attr:`dtype`, for regression."""
        out = self.outputs(x)
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


__all__ = ["Model"]
