"""A page's own file, uploaded: read by the table reader for that page alone, capped in size,
behind the same guard as every request, and gone with its page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient, WebSocketTestSession

from helpers import RAW_TABLE as RAW
from twolayer.playground.app import create_app
from twolayer.playground.guard import Access
from twolayer.playground.userfile import MAX_UPLOAD

ORIGIN = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000/ws"
ACCESS = Access("a-test-token", cookie="twolayer-playground-8000")


def signed_in(app: Any) -> TestClient:
    """A test client that opened the page with the token (so it holds the cookie)."""
    client = TestClient(app, base_url=ORIGIN)
    client.__enter__()
    assert client.get(f"/?token={ACCESS.token}").status_code == 200
    return client


def until(ws: WebSocketTestSession, kind: str, **match: Any) -> dict[str, Any]:
    """The next message of type ``kind`` (whose fields equal ``match``), skipping others."""
    for _ in range(500):
        message = ws.receive_json()
        if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
            return message
    raise AssertionError(f"no {kind} message")


def start(ws: WebSocketTestSession, **settings: str) -> tuple[str, dict[str, Any]]:
    """A session (its id) and its data message."""
    ws.send_json({"cmd": "start", "settings": settings})
    sid = until(ws, "hello")["session"]
    return sid, until(ws, "data")


@pytest.fixture
def client() -> Iterator[TestClient]:
    c = signed_in(create_app(access=ACCESS))
    yield c
    c.__exit__(None, None, None)


def train_on_the_file(ws: WebSocketTestSession) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start the page's run on its file: the data message and a frame after one step."""
    ws.send_json({"cmd": "start", "settings": {"dataset": "file"}})
    data = until(ws, "data")
    ws.send_json({"cmd": "step"})
    return data, until(ws, "frame", iteration=1)


def test_an_uploaded_table_trains_for_its_page(client: TestClient) -> None:
    assert client.get("/api/options").json()["upload"]["limit"] == MAX_UPLOAD
    with client.websocket_connect(WS) as ws:
        sid, _ = start(ws)
        reply = client.post(f"/sessions/{sid}/upload?name=raw.csv", content=RAW.encode())
        assert reply.status_code == 200
        told = reply.json()
        assert told["name"] == "raw.csv" and told["target"] == 6 and told["error"] is None
        assert told["columns"][0] == "name" and told["task"] == "classification"
        assert any("'name' is ignored" in note for note in told["notes"])
        data, frame = train_on_the_file(ws)
        assert data["problems"] == [] and data["task"] == "classification"
        assert "colour=red" in data["features"] and data["n_train"] + data["n_test"] == 12
        assert frame["train_loss"] > 0
        chosen = client.post(f"/sessions/{sid}/upload?name=raw.csv&target=5&task=regression",
                             content=RAW.encode())  # fmt: skip
        assert chosen.status_code == 200 and chosen.json()["target"] == 5
        data, _ = train_on_the_file(ws)
        assert data["task"] == "regression" and data["targets"] == ["score"]
    # the page closed: its upload is gone with it
    assert (
        client.post(f"/sessions/{sid}/upload?name=raw.csv", content=b"a,b\n1,2\n").status_code
        == 404
    )
    with client.websocket_connect(WS) as ws:  # another page never saw it
        _, data = start(ws, dataset="file")
        assert data["settings"]["dataset"] == "circle"
        assert any("no file was given: upload one" in p for p in data["problems"])


def test_a_bad_file_is_one_message_with_every_problem_and_keeps_the_data(
    client: TestClient,
) -> None:
    with client.websocket_connect(WS) as ws:
        sid, _ = start(ws)
        assert client.post(f"/sessions/{sid}/upload?name=raw.csv", content=RAW.encode()).is_success
        bad = client.post(f"/sessions/{sid}/upload?name=mine.csv", content=b"a,b,y\n1,2\n3\n")
        assert bad.status_code == 400
        assert bad.json()["error"] == ("mine.csv: 2 problems: row 2 has 2 columns, expected 3; "
                                       "row 3 has 1 columns, expected 3")  # fmt: skip
        text = client.post(f"/sessions/{sid}/upload?name=raw.csv&target=3&task=regression",
                           content=RAW.encode())  # fmt: skip
        assert text.status_code == 400 and len(text.json()["columns"]) == 6  # choose another
        assert "'colour'" in text.json()["error"] and "/tmp" not in text.json()["error"]
        data, _ = train_on_the_file(ws)  # the file read before is still the page's
        assert data["task"] == "classification" and data["n_train"] + data["n_test"] == 12
        for query, why in [("name=model.pkl", "upload a CSV file"),
                           ("name=a.csv&target=x", "a column's number"),
                           ("name=a.csv&task=guess", "unknown task 'guess'")]:  # fmt: skip
            refused = client.post(f"/sessions/{sid}/upload?{query}", content=b"a,b\n1,2\n")
            assert refused.status_code == 400 and why in refused.json()["error"]


def test_too_large_a_file_is_refused_before_it_is_read(client: TestClient) -> None:
    with client.websocket_connect(WS) as ws:
        sid, _ = start(ws)
        url = f"/sessions/{sid}/upload?name=big.csv"
        declared = client.post(url, content=b"0" * (MAX_UPLOAD + 1))
        assert declared.status_code == 413
        assert "big.csv: the file is larger than the 10.0 MiB" in declared.json()["error"]

        def pieces() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield from (b"0" * (1 << 20) for _ in range(11))

        streamed = client.post(url, content=pieces())
        assert streamed.status_code == 413 and "larger than" in streamed.json()["error"]
        fits = "x,y\n" + "".join(f"{i * 0.5},{i % 3}\n" for i in range(1000))
        assert client.post(url, content=fits.encode()).status_code == 200


def test_an_upload_passes_the_guard_first() -> None:
    app = create_app(access=ACCESS)
    with TestClient(app, base_url=ORIGIN) as stranger, TestClient(app, base_url=ORIGIN) as owner:
        assert owner.get(f"/?token={ACCESS.token}").status_code == 200  # the cookie
        with owner.websocket_connect(WS) as ws:
            sid, _ = start(ws)
            url = f"/sessions/{sid}/upload?name=raw.csv"
            body = RAW.encode()
            assert stranger.post(url, content=body).status_code == 403  # no token
            assert stranger.post(url + "&token=a-guess", content=body).status_code == 403
            rebinding = owner.post(url, content=body, headers={"Host": "evil.example:8000"})
            assert rebinding.status_code == 403
            framed = owner.post(url, content=body, headers={"Origin": "http://evil.example"})
            assert framed.status_code == 403
            assert owner.post(url, content=body, headers={"Origin": ORIGIN}).status_code == 200
            assert owner.get(url).status_code == 404  # only POST sends a file
    assert "refused" in framed.text
