"""``twolayer playground`` on the command line: ports, hosts, the browser, the data, and the
server run once as a real process."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from helpers import playground_server, run_cli

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace uvicorn and the browser: record what would have been served and opened."""
    import twolayer.playground.server as server

    seen: dict[str, Any] = {"opened": []}

    def run_server(app: Any, sock: socket.socket) -> None:
        seen["app"], seen["address"] = app, sock.getsockname()

    monkeypatch.setattr(server, "run_server", run_server)

    def open_page(url: str) -> None:  # what the browser would read, while it is there
        path = Path(urlsplit(url).path)
        seen["opened"].append((url, path.stat().st_mode & 0o777, path.read_text()))

    monkeypatch.setattr(server.webbrowser, "open", open_page)
    return seen


@pytest.mark.parametrize(
    ("port", "message"),
    [
        ("abc", "argument --port: must be an integer, got 'abc'"),
        ("-1", "argument --port: must be between 0 and 65535, got -1"),
        ("65536", "argument --port: must be between 0 and 65535, got 65536"),
        ("80.5", "argument --port: must be an integer, got '80.5'"),
    ],
)
def test_bad_ports_are_one_error_line(
    port: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["playground", f"--port={port}"], capsys)
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert (code, out) == (2, "") and errors == [f"twolayer playground: error: {message}"]


def test_a_port_in_use_is_one_error_line(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run_cli(["playground", "--port", str(port), "--no-browser"], capsys)
    assert code == 2 and out == "" and "app" not in served
    assert err.splitlines() == [
        f"twolayer playground: error: port {port} on 127.0.0.1 is in use; choose another with "
        "--port (0: any free port)"
    ]


def test_a_host_that_cannot_be_served_is_one_error_line(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["playground", "--host", "256.1.1.1", "--port", "0"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "cannot serve on" in err


def test_no_browser_serves_on_loopback_and_opens_nothing(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(["playground", "--port", "0", "--no-browser"], capsys)
    host, port = served["address"]
    assert (code, err, host, served["opened"]) == (0, "", "127.0.0.1", [])
    first = out.splitlines()[0]
    assert re.fullmatch(rf"twolayer playground: serving http://127\.0\.0\.1:{port}/\?token="
                        r"[A-Za-z0-9_-]{32} \(Ctrl-C stops\)", first), first  # fmt: skip


def test_the_browser_opens_the_page_with_the_runs_own_token(
    served: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = []
    for _ in range(2):
        out = run_cli(["playground", "--port", "0"], capsys)[1]
        url = out.split("serving ")[1].split()[0]
        assert url.startswith(f"http://127.0.0.1:{served['address'][1]}/?token=")
        opened, mode, text = served["opened"][-1]
        assert opened.startswith("file://") and url.split("token=")[1] not in opened
        assert mode == 0o600 and f'content="0;url={url}"' in text  # only its owner reads it
        tokens.append(url.split("token=")[1])
    assert tokens[0] != tokens[1]  # a new secret every run
    assert not any(Path(urlsplit(o).path).exists() for o, _, _ in served["opened"])  # removed


def test_another_host_is_served_with_a_warning_that_the_data_can_be_read(
    served: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "private.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
    args = ["playground", "--host", "0.0.0.0", "--port", "0", "--no-browser", "--data", str(path)]
    code, _, err = run_cli(args, capsys)
    assert code == 0 and "reachable from other machines" in err
    assert "read your --data file's rows" in err and "unencrypted" in err


def test_data_and_target_offer_the_file(
    served: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from starlette.testclient import TestClient

    path = tmp_path / "mine.csv"
    path.write_text("a,b,kind\n" + "".join(f"{i},{i % 4},{i % 2}\n" for i in range(20)))
    args = ["playground", "--port", "0", "--no-browser", "--data", str(path), "--target", "kind"]
    code, out, _ = run_cli(args, capsys)
    url = out.split("serving ")[1].split()[0]
    with TestClient(served["app"], base_url=url.split("/?")[0]) as client:
        assert client.get("/api/options").status_code == 403  # not without the token
        options = client.get("/api/options?" + url.split("?")[1]).json()
    assert code == 0 and options["datasets"]["file"] == "mine.csv"  # not its whole path
    assert options["defaults"]["dataset"] == "file"


def test_target_without_data_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["playground", "--target", "y"], capsys)
    assert code == 2 and "--target chooses columns of a --data file" in err


def test_without_the_extra_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "starlette", None)  # as if it were not installed
    code, _, err = run_cli(["playground"], capsys)
    assert code == 2
    assert "Starlette is not installed; install it with: pip install 'twolayer[playground]'" in err


def test_import_and_help_never_import_the_web_stack() -> None:
    import twolayer

    code = (
        "import sys, twolayer; from twolayer.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in ('starlette', 'uvicorn') if m in sys.modules))"
    )
    source = str(Path(twolayer.__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": source, "PATH": ""})  # fmt: skip
    assert out.stdout.strip() == "[]"


def test_a_real_server_serves_the_page_and_stops_on_ctrl_c() -> None:
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with playground_server() as served, browser.open(served.url, timeout=10) as page:
        assert b'data-testid="boundary"' in page.read()  # after the redirect that sets the cookie
    assert served.returncode == 0, served.errors
    assert served.output.strip().endswith("twolayer playground: stopped")


def test_the_port_can_be_served_again_at_once_after_a_stop() -> None:
    """After Ctrl-C the port is in TIME_WAIT for its connections; binding it again must not
    wait for them to expire (about 60 s without address reuse)."""
    from twolayer.playground.server import bind

    server = bind("127.0.0.1", 0)
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server closes first: its side of the connection waits in TIME_WAIT
    server.close()
    client.close()
    again = bind("127.0.0.1", port)
    assert again.getsockname()[1] == port
    again.close()
