"""The JSON messages the page draws from: the data after each reset or edit, and a frame of the
run every few iterations.

A frame holds what every view needs: the records since the last frame (the loss curves), the
current losses and scores, each parameter and its gradient, the dead units, and, for data with
one or two inputs, the network's output and every hidden unit's activation over the input
plane (or line).  All of it is computed with twolayer's own ``forward`` and
``loss_and_grads``: the page computes nothing but colours.  Arrays travel as base64 float32
(:func:`packed`), a fifth of the size of their JSON numbers.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.engines.portable import evaluate_loss, norm
from twolayer.nn import metrics
from twolayer.nn.losses import softmax
from twolayer.nn.model import forward
from twolayer.nn.objective import loss_and_grads
from twolayer.outputs.trained import Model
from twolayer.playground.datasets import DRAWN, Edit
from twolayer.playground.session import Session
from twolayer.playground.settings import LOSSES_BY_TASK
from twolayer.state import Record

PLANE = 40  # the output's grid over a plane of two inputs: PLANE x PLANE cells
UNIT_STEP = 2  # hidden units' heatmaps take every UNIT_STEP-th cell: 20 x 20
LINE = 120  # points along the line of one input
ROWS = 64  # weight and gradient matrices show at most this many rows (inputs)
SAMPLES = 48  # the hidden-activation view shows this many training samples


def packed(a: Any) -> dict[str, Any]:
    """An array as ``{"shape": [...], "data": base64 of its float32 bytes}`` (row-major)."""
    values = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
    return {"shape": list(values.shape), "data": base64.b64encode(values.tobytes()).decode()}


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def model_of(session: Session) -> Model:
    """The session's current network as a :class:`~twolayer.outputs.trained.Model`: weights
    (copied), scaling, classes, configuration and the data's names."""
    c, data = session.config, session.data
    params = session.state.params.map(lambda p: np.array(p, copy=True))
    train = data.train
    return Model(params, c.activation, c.loss, data.prep, c, data.feature_names,
                 train.target_names)  # fmt: skip


def extent(session: Session) -> list[list[float]]:
    """The box the plane views show, in the data's units: each input's range (and, with one
    input, the target's) over every point, widened by a tenth; drawn sets at least [-1, 1]."""
    data = session.data
    sets = [data.train] + ([data.test] if data.test is not None else [])
    columns = [np.concatenate([s.x for s in sets])[:, j] for j in range(data.n_inputs)]
    if data.n_inputs == 1 and data.task == "regression":
        columns.append(np.concatenate([s.targets()[:, 0] for s in sets]))
    box = []
    for values in columns[:2]:
        low, high = float(values.min()), float(values.max())
        if session.settings.dataset in DRAWN:
            low, high = min(low, -1.0), max(high, 1.0)
        pad = 0.1 * max(high - low, 1e-9)
        box.append([low - pad, high + pad])
    return box


def _points(session: Session, which: str) -> dict[str, Any] | None:
    """A set's points for the plane views: inputs and the class index or the first target."""
    data = session.data
    subset = data.train if which == "train" else data.test
    if subset is None or data.n_inputs > 2:
        return None
    y = subset.targets()
    if data.task == "classification":
        assert data.prep.classes is not None
        value = np.searchsorted(data.prep.classes, y).tolist()
    else:
        value = y[:, 0].tolist()
    return {"x": subset.x.tolist(), "y": value}


def data_message(session: Session) -> dict[str, Any]:
    """What the page needs after a reset, a new setting or an edit: the points, the names, the
    task, the network's sizes and the settings as the URL hash holds them."""
    data, c = session.data, session.config
    classes = data.prep.classes
    d_in, hidden, d_out = session.state.params.sizes
    return {
        "type": "data",
        "task": data.task,
        "n_inputs": data.n_inputs,
        "d_in": d_in,
        "hidden": hidden,
        "n_outputs": d_out,
        "inputs": list(data.train.feature_names),
        "features": list(data.feature_names),
        "feature_keys": list(data.features),
        "targets": list(data.train.target_names),
        "classes": None if classes is None else [str(k) for k in classes.tolist()],
        "loss": c.loss,
        "losses": list(LOSSES_BY_TASK[data.task]),
        "metric": "accuracy" if data.task == "classification" else "R²",
        "n_train": data.train.n_samples,
        "n_test": 0 if data.test is None else data.test.n_samples,
        "train": _points(session, "train"),
        "test": _points(session, "test"),
        "extent": extent(session) if data.n_inputs <= 2 else None,
        "editable": data.n_inputs <= 2 and (data.task == "classification" or d_out == 1),
        "settings": session.settings.to_text(),
        "edits": edits_text(session.edits),
    }


def edits_text(edits: list[Edit]) -> str:
    """The clicked points in the URL hash's form."""
    return ";".join(e.to_text() for e in edits)


def _scores(session: Session, model: Model) -> tuple[float | None, float | None]:
    """Accuracy (classification) or R² (regression) on the training and the test points."""
    out: list[float | None] = []
    for subset in (session.data.train, session.data.test):
        if subset is None:
            out.append(None)
            continue
        y, predicted = subset.targets(), model.predict(session.data.features_of(subset.x))
        if session.data.task == "classification":
            out.append(metrics.accuracy(y, predicted))
        else:
            with np.errstate(all="ignore"):
                out.append(_finite(metrics.r2(y, predicted)))
    return out[0], out[1]


def frame(session: Session, records: list[Record]) -> dict[str, Any]:
    """One frame of the run: the records since the last frame and the network as it is now."""
    c, data, params = session.config, session.data, session.state.params
    x, y = data.arrays(data.train)
    with np.errstate(all="ignore"):
        loss, grads, cache = loss_and_grads(params, x, y, activation=c.activation,
                                            loss=c.loss, alpha=c.alpha, l1=c.l1)  # fmt: skip
        test_loss = None
        if data.test is not None:
            x_test, y_test = data.arrays(data.test)
            test_loss = evaluate_loss(params, x_test, y_test, c) * session.test_scale
    model = model_of(session)
    train_score, test_score = _scores(session, model)
    active = cache[2]  # (N, H): each sample's hidden activations
    dead = np.flatnonzero(np.all(active == 0, axis=0))
    status = "error" if session.error else "finished" if session.finished else ""
    message: dict[str, Any] = {
        "type": "frame",
        "iteration": session.state.iteration,
        "status": status,
        "error": session.error,
        "diverged": None
        if session.diverged is None
        else [session.diverged[0], _finite(session.diverged[1])],
        "records": [[r.iteration, _finite(r.loss), _finite(r.val_loss), r.lr] for r in records],
        "lr": _current_lr(session, records),
        "train_loss": _finite(float(loss)),
        "test_loss": _finite(test_loss),
        "train_score": train_score,
        "test_score": test_score,
        "grad_norms": {name: _finite(norm(g)) for name, g in grads.named().items()},
        "dead": dead.tolist(),
        "weights": {name: packed(p[:ROWS]) for name, p in params.named().items()},
        "grads": {name: packed(g[:ROWS]) for name, g in grads.named().items()},
        "activations": packed(active[:SAMPLES]),
    }
    if data.n_inputs <= 2:
        message.update(_views(session, model))
    return message


def _current_lr(session: Session, records: list[Record]) -> float:
    """The rate of the last iteration trained (the base rate before the first)."""
    last = records[-1] if records else session.history.last
    return last.lr if last else session.config.lr


def _views(session: Session, model: Model) -> dict[str, Any]:
    """The network over its input plane (two inputs) or line (one): the output, in the data's
    units (class probabilities, or the fitted value), and each hidden unit's activation."""
    box = extent(session)
    if session.data.n_inputs == 2:
        u = np.linspace(box[0][0], box[0][1], PLANE)
        v = np.linspace(box[1][1], box[1][0], PLANE)  # top row first, as the canvas draws
        grid = np.stack(np.meshgrid(u, v), axis=-1).reshape(-1, 2)  # (PLANE^2, 2)
    else:
        grid = np.linspace(box[0][0], box[0][1], LINE)[:, None]  # (LINE, 1)
    inputs = session.data.inputs(grid)
    with np.errstate(all="ignore"):
        out, (_, _, hidden) = forward(model.params, inputs, model.activation)
    output = _answers(session, out)
    if session.data.n_inputs == 2:
        units = hidden.reshape(PLANE, PLANE, -1)[::UNIT_STEP, ::UNIT_STEP]  # (20, 20, H)
        units = np.moveaxis(units, -1, 0)  # (H, 20, 20)
        return {"plane": {"output": packed(output.reshape(PLANE, PLANE, -1)),
                          "units": packed(units)}}  # fmt: skip
    return {"line": {"x": packed(grid[:, 0]), "output": packed(output), "units": packed(hidden.T)}}


def _answers(session: Session, out: NDArray[Any]) -> NDArray[Any]:
    """Outputs as the page colours them: class probabilities (softmax for cross_entropy, the
    outputs clipped to [0, 1] for a squared loss), or regression values in the data's units."""
    if session.data.task == "regression":
        return np.asarray(session.data.prep.values(out))
    if session.config.loss == "cross_entropy":
        return np.asarray(softmax(out))
    clipped: NDArray[Any] = np.clip(out, 0.0, 1.0)
    return clipped


__all__ = ["data_message", "extent", "frame", "model_of", "packed"]
