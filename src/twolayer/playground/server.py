"""Serving the playground: bind the address, open the page, run uvicorn until Ctrl-C.

The socket is bound here, before uvicorn starts, so that a port in use or a host that cannot be
served is one clear error (:class:`ServeError`) and so that port 0 (any free port) still gives
the page's address to print and to open.  That address carries the run's token
(:mod:`twolayer.playground.guard`): only who holds it (or the cookie its first visit sets) can
use the page.
"""

from __future__ import annotations

import contextlib
import errno
import html
import ipaddress
import logging
import os
import socket
import sys
import tempfile
import webbrowser
from pathlib import Path
from typing import Any

from twolayer.data.prep import Dataset
from twolayer.errors import TwoLayerError
from twolayer.playground.guard import LOG, Access, is_loopback

MAX_MESSAGE = 256 * 1024
"""The largest WebSocket message the server reads (bytes): commands are small; clicked points
are bounded by :data:`twolayer.playground.datasets.MAX_EDIT_TEXT`."""


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
    if os.name == "posix":  # restart at once on the same port after Ctrl-C (no TIME_WAIT wait)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


def page_address(host: str, port: int, token: str | None = None) -> str:
    """The page's URL (with ``?token=`` when given): a wildcard address becomes 127.0.0.1, an
    IPv6 one gets brackets."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        if ipaddress.ip_address(shown).version == 6:
            shown = f"[{shown}]"
    except ValueError:  # a host name
        pass
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(
    host: str = "127.0.0.1", port: int = 8000, *, open_browser: bool = True,
    file_data: Dataset | None = None, prog: str = "twolayer playground",
) -> int:  # fmt: skip
    """Serve the playground on ``host:port`` until Ctrl-C; return the exit code (0)."""
    from twolayer.playground.app import create_app

    sock = bind(host, port)
    bound = sock.getsockname()[1]
    access = Access.serving(host, bound)
    app = create_app(file_data, access)
    url = page_address(host, bound, access.token)
    print(f"{prog}: serving {url} (Ctrl-C stops)", flush=True)
    if not is_loopback(host):
        data = "your --data file's rows, " if file_data is not None else ""
        print(f"{prog}: warning: {host} is reachable from other machines: anyone on the network "
              f"who gets this address with its token can use the playground and read "
              f"{data}the data, the model and the history, which travel unencrypted (plain "
              "HTTP); serve on 127.0.0.1 unless you mean that", file=sys.stderr)  # fmt: skip
    _log_to_stderr(prog)
    with tempfile.TemporaryDirectory(prefix="twolayer-playground-") as private:
        if open_browser:
            with contextlib.suppress(webbrowser.Error):  # no browser: the address printed will do
                webbrowser.open(redirect_file(url, Path(private)).as_uri())
        try:
            run_server(app, sock)
        except KeyboardInterrupt:  # uvicorn stops on Ctrl-C, then passes the signal on
            pass
        finally:
            sock.close()
    print(f"{prog}: stopped", flush=True)
    return 0


def redirect_file(url: str, folder: Path) -> Path:
    """A page in ``folder`` (only its owner may read it) that sends the browser on to ``url``.

    The browser is opened on this file rather than on ``url``: a command line can be read by
    every account of the machine (``ps``), and ``url`` holds the run's token.  (Jupyter Server
    opens its pages the same way.)"""
    path = folder / "open.html"
    page = (f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url='
            f'{html.escape(url)}"><title>twolayer playground</title>'
            f'<p><a href="{html.escape(url)}">open the playground</a></p>\n')  # fmt: skip
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def run_server(app: Any, sock: socket.socket) -> None:
    """uvicorn on the bound socket, quiet but for warnings (apart, so tests can replace it)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", ws_max_size=MAX_MESSAGE)
    uvicorn.Server(config).run(sockets=[sock])


def _log_to_stderr(prog: str) -> None:
    """The playground's own log lines (one per refused request) on stderr, named by ``prog``."""
    if not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{prog}: %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
        LOG.propagate = False


__all__ = ["MAX_MESSAGE", "ServeError", "bind", "page_address", "serve"]
