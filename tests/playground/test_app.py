"""The web app through Starlette's test client: the page, its assets, the WebSocket that trains,
and the downloads."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from twolayer.data.prep import Dataset
from twolayer.outputs.modelfile_reader import load_model
from twolayer.playground.app import create_app, strict_json
from twolayer.playground.datasets import MAX_EDITS, EditsCancelledError
from twolayer.playground.guard import Access

ORIGIN = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000/ws"
ACCESS = Access("a-test-token", cookie="twolayer-playground-8000")


def signed_in(app: Any) -> TestClient:
    """A test client of ``app`` at 127.0.0.1:8000 that opened the page with its token (so it
    holds the cookie)."""
    client = TestClient(app, base_url=ORIGIN)
    client.__enter__()
    assert client.get(f"/?token={ACCESS.token}").status_code == 200
    return client


TEST_IDS = (
    "play", "pause", "step", "reset", "iteration", "train-loss", "test-loss", "lr", "optimizer",
    "hidden", "dataset", "boundary", "download-model",
)  # fmt: skip


@pytest.fixture
def client() -> Iterator[TestClient]:
    c = signed_in(create_app(access=ACCESS))
    yield c
    c.__exit__(None, None, None)


def until(ws: WebSocketTestSession, kind: str, **match: Any) -> dict[str, Any]:
    """The next message of type ``kind`` (whose fields equal ``match``), skipping others."""
    for _ in range(500):
        message = ws.receive_json()
        if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
            return message
    raise AssertionError(f"no {kind} message")


def start(ws: WebSocketTestSession, **settings: str) -> tuple[str, dict, dict]:
    ws.send_json({"cmd": "start", "settings": settings})
    hello = until(ws, "hello")
    return hello["session"], until(ws, "data"), until(ws, "frame")


def test_the_page_carries_every_test_id(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for test_id in TEST_IDS:
        assert f'data-testid="{test_id}"' in page.text, test_id
    assert "http://" not in page.text and "https://" not in page.text  # no CDN: works offline


@pytest.mark.parametrize(
    "asset",
    ["app.js", "views.js", "chart.js", "style.css", "vendor/uPlot.iife.min.js",
     "vendor/uPlot.min.css", "vendor/uPlot.LICENSE", "backprop.md"],
)  # fmt: skip
def test_assets_ship_inside_the_package(client: TestClient, asset: str) -> None:
    response = client.get(f"/static/{asset}")
    assert response.status_code == 200 and response.content


def test_the_explanations_link_sections_of_backprop_md(client: TestClient) -> None:
    doc = client.get("/static/backprop.md").text
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line[3:].lower()).strip().replace(" ", "-")
        for line in doc.splitlines() if line.startswith("## ")
    }  # fmt: skip
    anchors = set(re.findall(r'href="/static/backprop\.md#([^"]+)"', client.get("/").text))
    assert anchors and anchors <= headings


def test_options_list_the_choices(client: TestClient) -> None:
    options = client.get("/api/options").json()
    assert "spiral" in options["datasets"]["classification"]
    assert "lr" in options["fields"]["live"] and "hidden" in options["fields"]["network"]
    assert options["defaults"]["dataset"] == "circle" and options["datasets"]["file"] is None


def test_start_step_reset(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        _, data, first = start(ws, dataset="xor", hidden="4", lr="0.05")
        assert data["settings"]["hidden"] == "4" and data["hidden"] == 4
        assert first["iteration"] == 0
        ws.send_json({"cmd": "step"})
        assert until(ws, "frame")["iteration"] == 1
        ws.send_json({"cmd": "step"})
        stepped = until(ws, "frame")
        assert stepped["iteration"] == 2 and [r[0] for r in stepped["records"]] == [1]
        ws.send_json({"cmd": "reset"})
        until(ws, "data")
        assert until(ws, "frame")["iteration"] == 0


def test_play_streams_frames_and_pause_stops_them(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        start(ws, dataset="circle", speed="3")
        ws.send_json({"cmd": "play"})
        until(ws, "playing", playing=True)
        iterations = [until(ws, "frame")["iteration"] for _ in range(4)]
        assert iterations == sorted(iterations) and iterations[-1] >= 12
        ws.send_json({"cmd": "settings", "settings": {"lr": "0.001"}})
        assert until(ws, "settings")["settings"]["lr"] == "0.001"
        assert until(ws, "frame")["lr"] == 0.001  # the next chunk trains at the new rate
        ws.send_json({"cmd": "pause"})
        until(ws, "playing", playing=False)


def test_network_settings_reset_and_say_so(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        start(ws, dataset="gaussians")
        ws.send_json({"cmd": "step"})
        until(ws, "frame")
        ws.send_json({"cmd": "settings", "settings": {"hidden": "3"}})
        assert until(ws, "reset")["because"] == "network"
        assert until(ws, "data")["hidden"] == 3
        assert until(ws, "frame")["iteration"] == 0


def test_bad_settings_are_an_error_message(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        start(ws)
        ws.send_json({"cmd": "settings", "settings": {"lr": "-1"}})
        assert "lr must be" in until(ws, "error")["message"]
        ws.send_json({"cmd": "bogus"})
        assert "unknown command" in until(ws, "error")["message"]


def test_a_bad_url_hash_keeps_every_setting_that_fits(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        settings = {"hidden": "lots", "lr": "0.07", "dataset": "xor", "seed": "-3"}
        ws.send_json({"cmd": "start", "settings": settings})
        until(ws, "hello")
        data = until(ws, "data")
    assert data["problems"] == ["seed must be between 0 and 4294967295, got -3",
                                "hidden must be an integer, got 'lots'"]  # fmt: skip
    kept = data["settings"]
    assert (kept["hidden"], kept["seed"], kept["lr"], kept["dataset"]) == ("8", "0", "0.07", "xor")


def test_a_hash_whose_loss_does_not_fit_its_data_keeps_the_rest(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        ws.send_json({"cmd": "start", "settings": {"dataset": "sine", "loss": "cross_entropy",
                                                   "hidden": "5"}})  # fmt: skip
        data = until(ws, "data")
    assert "does not fit regression" in data["problems"][0]
    assert (data["settings"]["dataset"], data["settings"]["hidden"], data["loss"]) == (
        "sine",
        "5",
        "mse",
    )


def test_clicked_points_join_the_data(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        _, data, _ = start(ws, dataset="circle", samples="50")
        ws.send_json({"cmd": "edit", "edit": "a,0.1,0.2,1"})
        changed = until(ws, "data")
        assert changed["n_train"] == data["n_train"] + 1 and changed["edits"] == "a,0.1,0.2,1"
        assert changed["train"]["x"][-1] == [0.1, 0.2] and changed["train"]["y"][-1] == 1


def test_downloads(client: TestClient, tmp_path: Path) -> None:
    with client.websocket_connect(WS) as ws:
        sid, _, _ = start(ws, dataset="spiral", samples="60")
        for _ in range(3):
            ws.send_json({"cmd": "step"})
            until(ws, "frame")
        model = client.get(f"/sessions/{sid}/model.npz")
        assert model.status_code == 200 and "attachment" in model.headers["content-disposition"]
        (tmp_path / "m.npz").write_bytes(model.content)
        assert load_model(tmp_path / "m.npz").predict(np.zeros((1, 2))).shape == (1,)
        history = client.get(f"/sessions/{sid}/history.csv")
        assert history.text.startswith("iteration,loss,test_loss") and history.text.count("\n") == 4
    assert client.get(f"/sessions/{sid}/model.npz").status_code == 404  # its page closed


def test_a_file_is_the_default_dataset() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    data = Dataset(x, x @ [[1.0], [2.0], [-1.0]], "mine.csv", ("a", "b", "c"), ("y",))
    c = signed_in(create_app(data, ACCESS))
    assert c.get("/api/options").json()["datasets"]["file"] == "mine.csv"
    with c.websocket_connect(WS) as ws:
        _, message, first = start(ws)
        assert message["features"] == ["a", "b", "c"] and message["task"] == "regression"
        assert first["train_loss"] > 0
    c.__exit__(None, None, None)


def test_messages_are_strict_json_even_when_the_loss_diverges(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        ws.send_json({"cmd": "start", "settings": {"dataset": "plane", "optimizer": "gd",
                                                   "lr": "1000", "loss": "sse"}})  # fmt: skip
        texts = []
        for _ in range(40):
            ws.send_json({"cmd": "step"})
            text = ws.receive_text()
            while '"type":"frame"' not in text:
                text = ws.receive_text()
            texts.append(text)
            if '"status":"error"' in text:
                break
    assert '"status":"error"' in texts[-1]  # it diverged

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in a message")

    for text in texts:
        json.loads(text, parse_constant=refuse)


def test_strict_json_turns_what_is_not_finite_into_null() -> None:
    message = {"a": math.nan, "b": [1.0, -math.inf, {"c": math.inf}], "d": (2.5,), "e": "NaN"}
    assert json.loads(strict_json(message)) == {"a": None, "b": [1.0, None, {"c": None}],
                                                "d": [2.5], "e": "NaN"}  # fmt: skip


def test_a_point_far_off_the_plane_is_refused_and_changes_nothing(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        _, data, _ = start(ws, dataset="circle", samples="50")
        ws.send_json({"cmd": "edit", "edit": "a,-1e308,0.2,1"})
        assert "outside the plane's reach" in until(ws, "error")["message"]
        ws.send_json({"cmd": "edit", "edit": "a,0.5,0.5,1"})
        after = until(ws, "data")
    assert after["n_train"] == data["n_train"] + 1 and after["edits"] == "a,0.5,0.5,1"
    assert all(math.isfinite(v) for box in after["extent"] for v in box)


def test_a_link_with_too_many_clicked_points_is_refused(client: TestClient) -> None:
    edits = ";".join(["a,0.1,0.1,1"] * (MAX_EDITS + 1))
    with client.websocket_connect(WS) as ws:
        ws.send_json({"cmd": "start", "settings": {"dataset": "circle"}, "edits": edits})
        data = until(ws, "data")
    assert f"at most {MAX_EDITS}" in data["problems"][0] and data["edits"] == ""
    assert data["settings"]["dataset"] == "circle"


def test_a_replay_stops_when_its_page_closes(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page that sent many clicked points and went away leaves no replay running."""
    import twolayer.playground.session as session_module

    asked: list[bool] = []
    started = threading.Event()

    def slow_replay(train: Any, test: Any, edits: Any, classes: Any, limits: Any, stop: Any) -> Any:
        started.set()
        for _ in range(500):  # up to 10 s, unless stopped
            asked.append(stop())
            if asked[-1]:
                raise EditsCancelledError("stopped")
            time.sleep(0.02)
        return train, test

    monkeypatch.setattr(session_module, "apply_edits", slow_replay)
    with client.websocket_connect(WS) as ws:
        start(ws, dataset="circle")
        ws.send_json({"cmd": "edit", "edit": "a,0.1,0.1,1"})
        assert started.wait(10)
    for _ in range(250):
        if asked and asked[-1]:
            break
        time.sleep(0.02)
    assert asked and asked[-1] and len(asked) < 400


def test_too_many_pages_are_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import twolayer.playground.app as app_module

    monkeypatch.setattr(app_module, "MAX_PAGES", 1)
    with client.websocket_connect(WS) as first:
        start(first)
        with client.websocket_connect(WS) as second:
            assert "pages of this playground are open" in second.receive_json()["message"]
            with pytest.raises(WebSocketDisconnect):
                second.receive_json()
        first.send_json({"cmd": "step"})
        assert until(first, "frame")["iteration"] == 1
