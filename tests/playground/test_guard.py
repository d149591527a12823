"""Who may use the playground: the Host allow-list, the origin, the run's token and its cookie,
the headers that forbid framing, and one log line per refused request.  Through Starlette's
test client with raw Host and Origin headers, then against a real uvicorn server."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx2")

from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from helpers import playground_server
from twolayer.playground.app import create_app
from twolayer.playground.guard import Access, host_name

TOKEN = "the-runs-token"
ACCESS = Access(TOKEN, cookie="twolayer-playground-8000")
HOME = "http://127.0.0.1:8000"
EVIL = "evil.example:8000"
HTTP_ROUTES = ["/", "/api/options", "/sessions/abc/model.npz", "/sessions/abc/history.csv"]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(access=ACCESS), base_url=HOME) as c:
        yield c


def signed_in(client: TestClient) -> TestClient:
    assert client.get(f"/?token={TOKEN}").status_code == 200
    return client


def ws_refused(client: TestClient, url: str = "ws://127.0.0.1:8000/ws", **headers: str) -> bool:
    """Whether the WebSocket handshake to ``url`` with ``headers`` is refused."""
    try:
        with client.websocket_connect(url, headers=headers) as ws:
            ws.send_json({"cmd": "start", "settings": {}})
            return ws.receive_json()["type"] != "hello"
    except (WebSocketDisconnect, WebSocketDenialResponse):
        return True


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]


# --- the Host allow-list ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [("localhost:8000", "localhost"), ("127.0.0.1", "127.0.0.1"), ("[::1]:8000", "::1"),
     ("LOCALHOST:1", "localhost"), ("", None), ("a:b", None), ("[::1", None), ("[::1]x", None),
     ("a:1:2", None), (":80", None)],
)  # fmt: skip
def test_host_names_are_read_strictly(header: str, name: str | None) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "127.9.9.9"])
def test_loopback_names_are_allowed(client: TestClient, host: str) -> None:
    signed_in(client)
    assert client.get("/api/options", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("route", [*HTTP_ROUTES, "/static/app.js"])
def test_another_host_is_refused_on_every_route_even_with_the_token(
    client: TestClient, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends its own
    name as the Host, and its own origin."""
    signed_in(client)
    caplog.clear()
    headers = {"host": EVIL, "origin": f"http://{EVIL}"}
    response = client.get(f"{route}?token={TOKEN}", headers=headers)
    assert response.status_code == 403 and TOKEN not in response.text
    assert refusals(caplog) == [
        f"refused GET {route} from testclient: Host {EVIL!r} is not this server"
    ]


def test_another_host_may_not_open_the_websocket(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    signed_in(client)
    caplog.clear()
    assert ws_refused(client, f"ws://{EVIL}/ws?token={TOKEN}", origin=f"http://{EVIL}")
    assert refusals(caplog) == [f"refused WebSocket /ws from testclient: Host {EVIL!r} is not "
                                "this server"]  # fmt: skip
    assert not ws_refused(client)  # the same client, from its own host: let in


def test_a_request_without_a_host_is_refused(client: TestClient) -> None:
    signed_in(client)
    assert client.get("/api/options", headers={"host": ""}).status_code == 403


def test_a_server_on_the_network_allows_addresses_but_not_other_names() -> None:
    access = Access.serving("0.0.0.0", 8000, token=TOKEN)
    assert access.any_address and access.cookie == "twolayer-playground-8000"
    assert access.host_allowed("192.168.1.20:8000") and access.host_allowed("[fe80::1]:8000")
    assert access.host_allowed("localhost:8000") and access.host_allowed(socket.gethostname())
    assert not access.host_allowed(EVIL)
    local = Access.serving("127.0.0.1", 8000)
    assert not local.any_address and not local.host_allowed("192.168.1.20:8000")
    assert local.token != Access.serving("127.0.0.1", 8000).token and len(local.token) == 32
    named = Access.serving("box.lan", 9000)
    assert named.host_allowed("box.lan:9000") and not named.host_allowed("other.lan:9000")


# --- the origin -----------------------------------------------------------------------------


@pytest.mark.parametrize("route", HTTP_ROUTES)
def test_a_page_of_another_site_is_refused(
    client: TestClient, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    signed_in(client)
    caplog.clear()
    response = client.get(route, headers={"origin": "http://elsewhere.example"})
    assert response.status_code == 403
    assert refusals(caplog) == [f"refused GET {route} from testclient: Origin "
                                "'http://elsewhere.example' is another site"]  # fmt: skip


@pytest.mark.parametrize("origin", ["http://elsewhere.example", "null", "http://127.0.0.1:9999"])
def test_another_sites_page_may_not_open_the_websocket(client: TestClient, origin: str) -> None:
    signed_in(client)
    assert ws_refused(client, origin=origin)
    assert not ws_refused(client, origin=HOME)


# --- the token ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", HTTP_ROUTES)
def test_without_the_token_nothing_but_the_public_assets(
    client: TestClient, route: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert client.get(route).status_code == 403
    assert client.get(f"{route}?token=guess").status_code == 403
    client.cookies.set(ACCESS.cookie, "guess", domain="127.0.0.1")
    assert client.get(route).status_code == 403
    assert refusals(caplog) == [f"refused GET {route} from testclient: {why}"
                                for why in ("no token", "a wrong token", "no token")]  # fmt: skip
    assert all("guess" not in line for line in refusals(caplog))


def test_the_public_assets_need_no_token(client: TestClient) -> None:
    for asset in ("app.js", "style.css", "login.js", "backprop.md"):
        assert client.get(f"/static/{asset}").status_code == 200


def test_the_websocket_needs_the_token(client: TestClient) -> None:
    assert ws_refused(client)
    assert ws_refused(client, "ws://127.0.0.1:8000/ws?token=guess")
    assert not ws_refused(client, f"ws://127.0.0.1:8000/ws?token={TOKEN}")  # scripts may


def test_without_the_token_the_page_asks_for_it(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert 'data-testid="token"' in page.text and "/static/login.js" in page.text
    assert TOKEN not in page.text


def test_the_token_sets_a_cookie_and_leaves_the_address(client: TestClient) -> None:
    visit = client.get(f"/?token={TOKEN}&x=1", follow_redirects=False)
    assert visit.status_code == 303 and visit.headers["location"] == "/?x=1"
    cookie = visit.headers["set-cookie"]
    assert cookie.startswith(f"{ACCESS.cookie}={TOKEN};")
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= {p.strip() for p in cookie.split(";")}
    assert client.get("/api/options").status_code == 200  # the cookie does it from now on
    with client.websocket_connect("ws://127.0.0.1:8000/ws") as ws:
        ws.send_json({"cmd": "start", "settings": {"dataset": "xor"}})
        sid = ws.receive_json()["session"]
        assert client.get(f"/sessions/{sid}/model.npz").status_code == 200


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "status"),
    [("/", 403), (f"/?token={TOKEN}", 303), ("/api/options", 403), ("/static/app.js", 200),
     ("/static/missing.js", 404)],
)  # fmt: skip
def test_no_response_may_be_framed(client: TestClient, route: str, status: int) -> None:
    response = client.get(route, follow_redirects=False)
    assert response.status_code == status
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    signed_in(client)
    assert client.get("/").headers["x-frame-options"] == "DENY"


# --- a real server: raw requests on its socket --------------------------------------------------


def _request(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def _handshake(port: int, headers: dict[str, str]) -> str:
    """The status line a raw WebSocket handshake on ``/ws`` gets."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET /ws HTTP/1.1", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.recv(4096).decode("latin-1").split("\r\n")[0]


def test_a_real_server_checks_host_origin_and_token() -> None:
    with playground_server() as served:
        port, token = served.port, served.token
        here = f"127.0.0.1:{port}"
        evil = f"evil.example:{port}"
        rebound = {"Host": evil, "Origin": f"http://{evil}"}
        assert _request(port, f"/?token={token}", rebound).status == 403
        assert _request(port, "/api/options", rebound).status == 403
        assert _request(port, "/api/options", {"Host": here}).status == 403  # no token
        welcome = _request(port, f"/?token={token}", {"Host": here})
        assert welcome.status == 303 and welcome.getheader("x-frame-options") == "DENY"
        cookie = welcome.getheader("set-cookie").split(";")[0]
        assert cookie == f"twolayer-playground-{port}={token}"
        options = _request(port, "/api/options", {"Host": here, "Cookie": cookie})
        assert options.status == 200
        assert _handshake(port, {**rebound, "Cookie": cookie}).split()[1] == "403"
        assert _handshake(port, {"Host": here}).split()[1] == "403"  # no token
        other = {"Host": here, "Origin": "http://elsewhere.example", "Cookie": cookie}
        assert _handshake(port, other).split()[1] == "403"
        good = {"Host": here, "Origin": f"http://{here}", "Cookie": cookie}
        assert _handshake(port, good).split()[1] == "101"
    lines = [line for line in served.errors.splitlines() if "refused" in line]
    assert lines == [
        f"twolayer playground: refused GET / from 127.0.0.1: Host {evil!r} is not this server",
        f"twolayer playground: refused GET /api/options from 127.0.0.1: Host {evil!r} is not "
        "this server",
        "twolayer playground: refused GET /api/options from 127.0.0.1: no token",
        f"twolayer playground: refused WebSocket /ws from 127.0.0.1: Host {evil!r} is not this "
        "server",
        "twolayer playground: refused WebSocket /ws from 127.0.0.1: no token",
        "twolayer playground: refused WebSocket /ws from 127.0.0.1: Origin "
        "'http://elsewhere.example' is another site",
    ]
    assert token not in served.errors and "Traceback" not in served.errors


def test_a_real_server_answers_malformed_messages_without_a_traceback() -> None:
    sync_client = pytest.importorskip("websockets.sync.client")
    with playground_server() as served:
        url = f"ws://127.0.0.1:{served.port}/ws?token={served.token}"
        with sync_client.connect(url, origin=served.origin) as ws:  # type: ignore[arg-type]
            replies: list[dict[str, Any]] = []
            for bad in ("{not json", b"\x00\x01", "[1, 2]", '"start"'):
                ws.send(bad)
                replies.append(json.loads(ws.recv(timeout=10)))
            ws.send(json.dumps({"cmd": "start", "settings": {"dataset": "xor"}}))
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"  # it still works
    assert [r["message"] for r in replies] == ["a command must be a JSON object"] * 4
    assert "Traceback" not in served.errors
    lines = [line for line in served.errors.splitlines() if "refused a message" in line]
    assert len(lines) == 4 and "binary" in lines[1], served.errors
