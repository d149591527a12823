"""Serving the playground: bind the address, open the page, run uvicorn until Ctrl-C.

The socket is bound here, before uvicorn starts, so that a port in use or a host that cannot be
served is one clear error (:class:`ServeError`) and so that port 0 (any free port) still gives
the page's address to print and to open.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
import sys
import webbrowser
from typing import Any

from twolayer.data.prep import Dataset
from twolayer.errors import TwoLayerError


class ServeError(TwoLayerError):
    """The playground cannot be served at the address asked for."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: one the system picks)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise ServeError(f"cannot serve on host {host!r}: {why}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.bind(address)
        sock.listen(128)  # the browser may knock before uvicorn starts: let it wait
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is in use; choose another with --port (0: any free port)"
            ) from None
        raise ServeError(f"cannot serve on {host} port {port}: {exc.strerror or exc}") from None
    return sock


def page_address(host: str, port: int) -> str:
    """The page's URL: a wildcard address becomes 127.0.0.1, an IPv6 one gets brackets."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        if ipaddress.ip_address(shown).version == 6:
            shown = f"[{shown}]"
    except ValueError:  # a host name
        pass
    return f"http://{shown}:{port}/"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(
    host: str = "127.0.0.1", port: int = 8000, *, open_browser: bool = True,
    file_data: Dataset | None = None, prog: str = "twolayer playground",
) -> int:  # fmt: skip
    """Serve the playground on ``host:port`` until Ctrl-C; return the exit code (0)."""
    from twolayer.playground.app import create_app

    app = create_app(file_data)
    sock = bind(host, port)
    url = page_address(host, sock.getsockname()[1])
    print(f"{prog}: serving {url} (Ctrl-C stops)", flush=True)
    if not is_loopback(host):
        print(f"{prog}: note: {host} is reachable from other machines; anyone who can reach "
              "it can use the playground", file=sys.stderr)  # fmt: skip
    if open_browser:
        with contextlib.suppress(webbrowser.Error):  # no browser: the address printed will do
            webbrowser.open(url)
    try:
        run_server(app, sock)
    except KeyboardInterrupt:  # uvicorn stops on Ctrl-C, then passes the signal on
        pass
    finally:
        sock.close()
    print(f"{prog}: stopped", flush=True)
    return 0


def run_server(app: Any, sock: socket.socket) -> None:
    """uvicorn on the bound socket, quiet but for warnings (apart, so tests can replace it)."""
    import uvicorn

    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


__all__ = ["ServeError", "bind", "page_address", "serve"]
