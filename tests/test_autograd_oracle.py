"""An oracle independent of our own code for the hand-written gradients: PyTorch's autograd.

Central differences (tests/test_gradcheck.py) agree only to about 1e-7; here every activation x
loss x biases x sample weights x penalty (L2 and L1) combination of :func:`twolayer.nn.objective.loss_and_grads` is
compared with the gradient autograd takes of the same objective, written again in PyTorch from
its definition (docs/backprop.md and the losses' docstrings), to 1e-12 in float64.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from twolayer.nn.activations import ACTIVATIONS, LEAKY_SLOPE
from twolayer.nn.losses import LOSSES
from twolayer.nn.model import Params
from twolayer.nn.objective import loss_and_grads

torch = pytest.importorskip("torch")

N, D_IN, H, D_OUT = 7, 5, 6, 3


def torch_activation(name: str, h: Any) -> Any:
    if name == "relu":
        return torch.relu(h)
    if name == "leaky_relu":
        return torch.nn.functional.leaky_relu(h, LEAKY_SLOPE)
    if name == "tanh":
        return torch.tanh(h)
    if name == "logistic":
        return torch.sigmoid(h)
    assert name == "identity"
    return h


def torch_loss(name: str, z: Any, y: Any, w: Any | None) -> Any:
    """The loss of scores ``z`` (N, D_out) against ``y``, each row counting ``w`` times."""
    rows = torch.ones(z.shape[0], dtype=z.dtype) if w is None else w
    if name in ("sse", "mse", "half_mse"):
        per_row = ((z - y) ** 2).sum(dim=1)
        total = (rows * per_row).sum()
        n = rows.sum()
        return {"sse": total, "mse": total / (n * z.shape[1]), "half_mse": total / (2 * n)}[name]
    if name == "cross_entropy":
        per_row = -(y * torch.log_softmax(z, dim=1)).sum(dim=1)
    else:
        assert name == "binary_cross_entropy"
        per_row = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none").sum(
            dim=1
        )
    return (rows * per_row).sum() / rows.sum()


def targets(loss: str, rng: np.random.Generator) -> np.ndarray:
    if loss == "cross_entropy":
        return np.eye(D_OUT)[rng.integers(0, D_OUT, N)]
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, (N, D_OUT)).astype(np.float64)
    return rng.standard_normal((N, D_OUT))


CASES = list(itertools.product(sorted(ACTIVATIONS), sorted(LOSSES), (False, True), (False, True),
                               (0.0, 0.3)))  # fmt: skip


@pytest.mark.parametrize(("activation", "loss", "bias", "weighted", "alpha"), CASES)
def test_the_hand_written_gradients_are_autograds(
    activation: str, loss: str, bias: bool, weighted: bool, alpha: float
) -> None:
    rng = np.random.default_rng(len(activation) * 31 + len(loss))
    x = rng.standard_normal((N, D_IN))
    y = targets(loss, rng)
    w = rng.uniform(0.5, 2.0, N) if weighted else None
    arrays = {"w1": rng.standard_normal((D_IN, H)) * 0.5, "w2": rng.standard_normal((H, D_OUT))}
    if bias:
        arrays |= {"b1": rng.standard_normal(H) * 0.1, "b2": rng.standard_normal(D_OUT) * 0.1}
    # no pre-activation exactly at a kink, where the two sides' slopes differ
    assert np.abs(x @ arrays["w1"] + arrays.get("b1", 0)).min() > 1e-9
    params = Params(**arrays)
    value, grads, _ = loss_and_grads(params, x, y, activation=activation, loss=loss, alpha=alpha,
                                     weight=w, l1=alpha / 3)  # fmt: skip

    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in arrays.items()}
    tx, ty = torch.tensor(x), torch.tensor(y)
    tw = None if w is None else torch.tensor(w)
    h = tx @ t["w1"] + (t["b1"] if bias else 0)
    z = torch_activation(activation, h) @ t["w2"] + (t["b2"] if bias else 0)
    objective = torch_loss(loss, z, ty, tw)
    if alpha:
        n = N if tw is None else tw.sum()
        factor = 1.0 if loss == "sse" else 1.0 / n
        objective = objective + factor * alpha / 2 * ((t["w1"] ** 2).sum() + (t["w2"] ** 2).sum())
        l1 = alpha / 3  # and an L1 penalty beside it (no weight is exactly 0, where |w| bends)
        objective = objective + factor * l1 * (t["w1"].abs().sum() + t["w2"].abs().sum())
    objective.backward()

    np.testing.assert_allclose(float(value), objective.item(), rtol=1e-12, atol=0)
    for name, ours in grads.named().items():
        theirs = t[name].grad.numpy()
        scale = max(1.0, float(np.abs(theirs).max()))
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12 * scale, err_msg=name)
