"""Who may use the playground: a Host allow-list, a per-run token, and pages that cannot be framed.

The playground can hold private data (``--data``), so every HTTP request and every WebSocket
handshake passes :class:`Guard`, an ASGI middleware, before it reaches the app:

1. **Host allow-list.**  The ``Host`` header must name this machine as the server knows it:
   ``localhost`` or a loopback address; when it serves on another address, also any IP address
   and this machine's own names.  A page of another site whose DNS name was pointed at
   127.0.0.1 (*DNS rebinding*) sends its own name as the Host, and is refused.
2. **Same origin.**  A request that carries an ``Origin`` header must come from a page of this
   very server (its origin's host and port are the request's Host).
3. **The token.**  ``twolayer playground`` draws a random token for each run and prints (and
   opens) the page's address with ``?token=...``.  The first visit with it sets a cookie
   (HttpOnly, SameSite=Lax: Strict would not come back with the redirect when the browser was
   sent here by the private file that ``twolayer playground`` opens, a navigation from another
   site) and redirects to the same address without the token, keeping the URL's ``#settings``
   hash; later requests carry the cookie.  Lax sends the cookie with another site's links to
   the page, never with its scripts' requests; and every request of another site's page is
   refused by its origin or its Host anyway.  Without either, the page is a short
   form that asks for the token; the API, the WebSocket and the downloads are refused.  The
   page's own scripts and styles under ``/static/`` need no token: they are the package's
   public files and hold no data.
4. **Headers.**  Every response says that no other site may frame it
   (``Content-Security-Policy: frame-ancestors 'none'``, ``X-Frame-Options: DENY``), sends no
   ``Referer`` and is not sniffed.

Each refusal writes one line to the ``twolayer.playground`` logger, never the token.  The same
rules are those of well-kept local servers (Jupyter Server checks Host and a token that becomes
a cookie; Bokeh checks the WebSocket's origin against an allow-list), written here for
Starlette.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

LOG = logging.getLogger("twolayer.playground")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PREFIX = "/static/"
"""Paths that need no token: the page's scripts, styles and the derivations it links."""
WILDCARDS = ("0.0.0.0", "::", "")
HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
     b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]  # fmt: skip
LOGIN_PAGE = Path(__file__).parent / "static" / "login.html"


@dataclass(frozen=True)
class Access:
    """What the guard lets in.

    Attributes
    ----------
    token : the run's secret; the ``token`` query parameter or the cookie must equal it.
    names : host names allowed in the Host header (lower case, without the port).
    any_address : also allow any IP address as the Host (the server listens on more than this
        machine's loopback, so other machines reach it by its addresses).
    cookie : the cookie's name; it holds the port, as cookies are shared between the ports of
        a host and two playgrounds may run side by side.
    """

    token: str
    names: frozenset[str] = frozenset({"localhost"})
    any_address: bool = False
    cookie: str = "twolayer-playground"

    @classmethod
    def serving(cls, host: str, port: int, token: str | None = None) -> Access:
        """The access rules of a server on ``host:port``, with a fresh token unless given."""
        names = {"localhost"}
        loopback = is_loopback(host)
        if not loopback:
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
            if host not in WILDCARDS and not _is_address(host):
                names.add(host.lower())  # served under a name: that name is the Host
        return cls(token or secrets.token_urlsafe(24), frozenset(names), not loopback,
                   f"twolayer-playground-{port}")  # fmt: skip

    def with_port(self, port: int) -> Access:
        """The same rules with the cookie named for ``port`` (known once the socket is bound)."""
        return dataclasses.replace(self, cookie=f"twolayer-playground-{port}")

    def host_allowed(self, host_header: str | None) -> bool:
        """Whether a Host header (``name``, ``name:port``, ``[v6]:port``) names this server."""
        host = host_name(host_header)
        if host is None:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self.names
        return address.is_loopback or self.any_address

    def token_matches(self, value: str | None) -> bool:
        return value is not None and secrets.compare_digest(value.encode(), self.token.encode())


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as given to ``--host``) is this machine only."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_name(header: str | None) -> str | None:
    """The host of a Host header, lower case, without the port or an IPv6 address's brackets;
    None when the header is missing or malformed."""
    if not header:
        return None
    header = header.strip().lower()
    if header.startswith("["):  # [v6] or [v6]:port
        end = header.find("]")
        rest = header[end + 1 :]
        if end < 0 or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return header[1:end]
    name, _, port = header.partition(":")
    if not name or (port and not port.isdigit()) or ":" in port:
        return None
    return name


class Guard:
    """ASGI middleware that lets a request reach ``app`` only under the rules of ``access``."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app, self.access = app, access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        why = self._refusal(scope, headers, query)
        if why is not None:
            await self._refuse(scope, receive, send, headers, why)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        if "token" in query and scope["method"] in ("GET", "HEAD") and scope["path"] == "/":
            await self._welcome(send, query)  # the cookie, and the address without the token
            return
        await self.app(scope, receive, _with_headers(send))

    def _refusal(self, scope: Scope, headers: dict[str, str], query: dict[str, str]) -> str | None:
        """Why this request is refused (None: it is not)."""
        host = headers.get("host")
        if not self.access.host_allowed(host):
            return f"Host {host!r} is not this server"
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():  # type: ignore[union-attr]
            return f"Origin {origin!r} is another site"
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC_PREFIX):
            return None
        if self.access.token_matches(query.get("token")):
            return None
        if self.access.token_matches(_cookies(headers.get("cookie", "")).get(self.access.cookie)):
            return None
        return "no token" if "token" not in query else "a wrong token"

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], why: str
    ) -> None:
        client = scope.get("client")
        where = f"{client[0]}" if client else "?"
        kind = "WebSocket" if scope["type"] == "websocket" else scope.get("method", "GET")
        LOG.warning("refused %s %s from %s: %s", kind, scope["path"], where, why)
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # 403 to the handshake
            return
        page = scope["path"] == "/" and why in ("no token", "a wrong token")
        body = LOGIN_PAGE.read_bytes() if page else f"refused: {why}\n".encode()
        kind_header = b"text/html; charset=utf-8" if page else b"text/plain; charset=utf-8"
        start = {"type": "http.response.start", "status": 403,
                 "headers": [(b"content-type", kind_header),
                             (b"content-length", str(len(body)).encode()), *HEADERS]}  # fmt: skip
        await send(start)
        await send({"type": "http.response.body", "body": body})

    async def _welcome(self, send: Send, query: dict[str, str]) -> None:
        """Set the cookie and send the browser to the same address without the token (a
        redirect keeps the URL's hash)."""
        rest = urlencode({k: v for k, v in query.items() if k != "token"})
        cookie = f"{self.access.cookie}={self.access.token}; Path=/; HttpOnly; SameSite=Lax"
        headers = [(b"location", ("/?" + rest if rest else "/").encode()),
                   (b"set-cookie", cookie.encode()), (b"content-length", b"0"),
                   (b"cache-control", b"no-store"), *HEADERS]  # fmt: skip
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _with_headers(send: Send) -> Send:
    """``send`` adding :data:`HEADERS` to the response's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *HEADERS]
        await send(message)

    return sending


def _cookies(header: str) -> dict[str, str]:
    """A Cookie header's name=value pairs."""
    pairs = (part.strip().partition("=") for part in header.split(";"))
    return {name: value for name, _, value in pairs if name}


__all__ = ["LOG", "Access", "Guard", "host_name", "is_loopback"]
