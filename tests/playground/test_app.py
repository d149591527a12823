"""The web app through Starlette's test client: the page, its assets, the WebSocket that trains,
and the downloads."""

from __future__ import annotations

import re
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
from twolayer.playground.app import create_app

TEST_IDS = (
    "play", "pause", "step", "reset", "iteration", "train-loss", "test-loss", "lr", "optimizer",
    "hidden", "dataset", "boundary", "download-model",
)  # fmt: skip


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


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
    with client.websocket_connect("/ws") as ws:
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
    with client.websocket_connect("/ws") as ws:
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
    with client.websocket_connect("/ws") as ws:
        start(ws, dataset="gaussians")
        ws.send_json({"cmd": "step"})
        until(ws, "frame")
        ws.send_json({"cmd": "settings", "settings": {"hidden": "3"}})
        assert until(ws, "reset")["because"] == "network"
        assert until(ws, "data")["hidden"] == 3
        assert until(ws, "frame")["iteration"] == 0


def test_bad_settings_are_an_error_message(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        start(ws)
        ws.send_json({"cmd": "settings", "settings": {"lr": "-1"}})
        assert "lr must be" in until(ws, "error")["message"]
        ws.send_json({"cmd": "bogus"})
        assert "unknown command" in until(ws, "error")["message"]


def test_a_bad_url_hash_falls_back_to_the_defaults(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"cmd": "start", "settings": {"hidden": "lots"}})
        until(ws, "hello")
        assert "hidden must be an integer" in until(ws, "error")["message"]
        assert until(ws, "data")["settings"]["hidden"] == "8"


def test_clicked_points_join_the_data(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        _, data, _ = start(ws, dataset="circle", samples="50")
        ws.send_json({"cmd": "edit", "edit": "a,0.1,0.2,1"})
        changed = until(ws, "data")
        assert changed["n_train"] == data["n_train"] + 1 and changed["edits"] == "a,0.1,0.2,1"
        assert changed["train"]["x"][-1] == [0.1, 0.2] and changed["train"]["y"][-1] == 1


def test_downloads(client: TestClient, tmp_path: Path) -> None:
    with client.websocket_connect("/ws") as ws:
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


def test_another_sites_page_may_not_connect(client: TestClient) -> None:
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("/ws", headers={"origin": "http://elsewhere.example"}) as ws,
    ):
        ws.receive_json()


def test_a_file_is_the_default_dataset() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    data = Dataset(x, x @ [[1.0], [2.0], [-1.0]], "mine.csv", ("a", "b", "c"), ("y",))
    with TestClient(create_app(data)) as c:
        assert c.get("/api/options").json()["datasets"]["file"] == "mine.csv"
        with c.websocket_connect("/ws") as ws:
            _, message, first = start(ws)
            assert message["features"] == ["a", "b", "c"] and message["task"] == "regression"
            assert first["train_loss"] > 0
