"""A trained model as a TorchScript file: the forward pass with its scaling, in PyTorch.

Imported only for ``format="torch"`` (it needs PyTorch).  The module returns the answers in the
data's own units for a regressor, the class probabilities (N, C) for a classifier (its labels,
as text, in its ``classes`` attribute) and each label's probability (N, K) for multilabel.
"""

# No ``from __future__ import annotations`` here: TorchScript reads the annotations themselves.
import contextlib
import warnings
from collections.abc import Iterator
from typing import Any, List  # noqa: UP035 - TorchScript's annotation for a list of texts

import numpy as np
import torch
from torch import nn

from twolayer.outputs.trained import Model

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "logistic", "identity")
TASKS = ("regression", "classification", "multilabel")


class ExportedNetwork(nn.Module):
    """The two-layer network with its input scaling and its answers, scriptable."""

    classes: List[str]  # noqa: UP006
    w1: torch.Tensor
    b1: torch.Tensor
    w2: torch.Tensor
    b2: torch.Tensor
    x_mean: torch.Tensor
    x_scale: torch.Tensor
    y_mean: torch.Tensor
    y_scale: torch.Tensor

    def __init__(self, arrays: dict[str, torch.Tensor], activation: int, task: int,
                 classes: List[str], slope: float) -> None:  # noqa: UP006  # fmt: skip
        super().__init__()
        for name, value in arrays.items():
            self.register_buffer(name, value)
        self.activation = activation
        self.task = task
        self.classes = classes
        self.slope = slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x.to(self.w1.dtype) - self.x_mean) / self.x_scale
        h = x @ self.w1 + self.b1
        if self.activation == 0:
            a = torch.clamp_min(h, 0.0)
        elif self.activation == 1:
            a = torch.where(h > 0, h, self.slope * h)
        elif self.activation == 2:
            a = torch.tanh(h)
        elif self.activation == 3:
            a = 0.5 * (1.0 + torch.tanh(0.5 * h))
        else:
            a = h
        z = a @ self.w2 + self.b2
        if self.task == 0:
            return z * self.y_scale + self.y_mean
        if self.task == 1:
            return torch.softmax(z, dim=1)
        return torch.sigmoid(z)


def scripted(model: Model, slope: float) -> Any:
    """``model`` as a scripted :class:`ExportedNetwork`."""
    prep, p = model.preprocessing, model.params
    d_in, hidden, d_out = p.sizes
    dtype = p.w1.dtype

    def tensor(a: Any, fallback: float, size: int) -> torch.Tensor:
        values = np.full(size, fallback, dtype=dtype) if a is None else np.asarray(a, dtype)
        return torch.from_numpy(np.ascontiguousarray(values))

    arrays = {
        "w1": torch.from_numpy(np.ascontiguousarray(p.w1)),
        "b1": tensor(p.b1, 0.0, hidden),
        "w2": torch.from_numpy(np.ascontiguousarray(p.w2)),
        "b2": tensor(p.b2, 0.0, d_out),
        "x_mean": tensor(None if prep.x_scaler is None else prep.x_scaler.mean, 0.0, d_in),
        "x_scale": tensor(None if prep.x_scaler is None else prep.x_scaler.scale, 1.0, d_in),
        "y_mean": tensor(None if prep.y_scaler is None else prep.y_scaler.mean, 0.0, d_out),
        "y_scale": tensor(None if prep.y_scaler is None else prep.y_scaler.scale, 1.0, d_out),
    }
    task = "multilabel" if prep.multilabel else model.task
    labels = prep.classes
    classes = [] if labels is None or prep.multilabel else [str(c) for c in labels.tolist()]
    module = ExportedNetwork(arrays, ACTIVATIONS.index(model.activation), TASKS.index(task),
                             classes, slope)  # fmt: skip
    with _torchscript():
        return torch.jit.script(module)


@contextlib.contextmanager
def _torchscript() -> Iterator[None]:
    """PyTorch 2.13 calls TorchScript deprecated in favour of torch.export; it still is what
    torch.jit.load and LibTorch (C++) load with no Python at all, which is the point here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def save(model: Model, path: str, slope: float) -> None:
    with _torchscript():
        torch.jit.save(scripted(model, slope), path)


def save_with(model: Model, path: str, slope: float, header: str) -> None:
    """:func:`save`, with ``header`` (JSON: what the export measured) as the file's extra
    ``twolayer.json``."""
    with _torchscript():
        torch.jit.save(scripted(model, slope), path, _extra_files={"twolayer.json": header})


RUNNER = (
    "import json, sys, numpy as np, torch\n"
    "m = torch.jit.load(sys.argv[1])\n"
    "rows = np.load(sys.argv[2])\n"
    "with torch.no_grad():\n"
    "    out = m(torch.from_numpy(rows)).numpy()\n"
    "print(json.dumps({'answers': out.tolist(), 'classes': list(m.classes)}))\n"
)
"""The fresh process that loads the file with ``torch.jit.load`` and runs it on check rows."""


__all__ = ["RUNNER", "ExportedNetwork", "save", "save_with", "scripted"]
