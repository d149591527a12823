"""One sample followed through the network: its values and gradients are twolayer's own."""

from __future__ import annotations

import numpy as np
import pytest

from twolayer.errors import ConfigError
from twolayer.nn.activations import get_activation
from twolayer.nn.model import forward
from twolayer.nn.objective import loss_and_grads
from twolayer.playground.commands import Page
from twolayer.playground.session import Session
from twolayer.playground.settings import Settings
from twolayer.playground.trace import trace


@pytest.mark.parametrize(
    "settings",
    [Settings(dataset="spiral", samples=60, hidden=6, activation="tanh"),
     Settings(dataset="bumps", samples=60, hidden=5, bias=False, loss="sse"),
     Settings(dataset="circle", samples=60, hidden=4, features="x1,x2,x1sq,x2sq")],
)  # fmt: skip
def test_every_value_and_gradient_of_one_sample(settings: Settings) -> None:
    session = Session(settings)
    session.advance(20, seconds=60)
    t = trace(session, "train", 7)
    c, p = session.config, session.state.params
    x, y = session.data.arrays(session.data.train)
    x, y = x[7:8], y[7:8]
    y_pred, (_, h, a) = forward(p, x, c.activation)
    assert np.allclose(t["x"], x[0]) and np.allclose(t["h"], h[0]) and np.allclose(t["a"], a[0])
    assert np.allclose(t["y_pred"], y_pred[0]) and np.allclose(t["target"], y[0])
    loss, grads, _ = loss_and_grads(p, x, y, activation=c.activation, loss=c.loss)
    assert t["loss"] == pytest.approx(float(loss))
    g_a = np.asarray(t["G_y_pred"]) @ np.asarray(p.w2).T  # step 3 of backprop.md
    assert np.allclose(t["G_a"], g_a)
    g_h = get_activation(c.activation).backward(h, a, g_a[None, :])[0]  # step 4
    assert np.allclose(t["G_h"], g_h)
    assert np.allclose(grads.w1, np.outer(x[0], t["G_h"]))  # step 5: G_w1 = x.T @ G_h
    assert np.allclose(grads.w2, np.outer(a[0], t["G_y_pred"]))  # step 2
    assert t["point"] == session.data.train.x[7].tolist()


def test_the_gradient_of_y_pred_is_the_slope_of_the_loss() -> None:
    """G_y_pred checked against central differences of the one sample's loss."""
    session = Session(Settings(dataset="gaussians", samples=60, hidden=4))
    t = trace(session, "test", 2)
    from twolayer.nn.losses import get_loss

    y_pred, target = np.asarray([t["y_pred"]]), np.asarray([t["target"]])
    fn = get_loss(t["loss_name"]).fn
    for k in range(y_pred.shape[1]):
        step = np.zeros_like(y_pred)
        step[0, k] = 1e-6
        slope = (float(fn(y_pred + step, target)[0]) - float(fn(y_pred - step, target)[0])) / 2e-6
        assert slope == pytest.approx(t["G_y_pred"][k], abs=1e-6)
    assert np.allclose(np.sum(t["p"]), 1.0)


def test_a_page_follows_the_nearest_point_until_the_points_change() -> None:
    page = Page(Settings(), None, lambda: False)
    page.start({"settings": {"dataset": "xor", "samples": "40"}})
    session = page.session
    assert session is not None
    target = session.data.train.x[3]
    (message,) = page.handle("follow", {"point": (target + 1e-9).tolist()})
    assert message["trace"]["set"] == "train" and message["trace"]["index"] == 3
    assert page.handle("step", {})[0]["trace"]["index"] == 3  # it goes on with the training
    page.handle("edit", {"edit": "a,0.5,0.5,1"})
    assert "trace" not in page.handle("step", {})[0]
    with pytest.raises(ConfigError, match="finite"):
        page.handle("follow", {"point": [float("nan"), 0]})
    with pytest.raises(ConfigError, match="2 coordinates"):
        page.handle("follow", {"point": [1, 2, 3]})
    with pytest.raises(ConfigError, match="no test point 99"):
        trace(session, "test", 99)


def test_a_page_sets_a_weight() -> None:
    page = Page(Settings(), None, lambda: False)
    page.start({"settings": {"dataset": "xor"}})
    (message,) = page.handle("weight", {"name": "w2", "index": [0, 1], "value": -0.5})
    assert page.session is not None and page.session.state.params.w2[0, 1] == -0.5
    assert message["type"] == "frame"
    with pytest.raises(ConfigError, match="whole numbers"):
        page.handle("weight", {"name": "w2", "index": ["a"], "value": 1})
    with pytest.raises(ConfigError, match="a number"):
        page.handle("weight", {"name": "w2", "index": [0, 0], "value": "x"})
