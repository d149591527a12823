"""The playground's web app (Starlette): the page, its assets, one WebSocket per page that
trains and streams frames, the downloads, and the upload of a page's own file.

Every page opens ``/ws`` and owns one :class:`~twolayer.playground.session.Session` for as long
as it stays connected.  The page sends commands (``start``, ``play``, ``pause``, ``step``,
``reset``, ``settings``, ``edit``); while it plays, the server trains a chunk of iterations in
a worker thread, sends one frame, and waits until at least :data:`FRAME_SECONDS` have passed
since the chunk began, so the page gets a smooth stream of at most 1 / FRAME_SECONDS frames a
second at any speed.  Commands wait for the chunk in progress (at most
:data:`~twolayer.playground.session.CHUNK_SECONDS`), so they are never interleaved with
training.

Every request passes :class:`~twolayer.playground.guard.Guard` first (the Host allow-list, the
origin and the run's token).  Messages go out as strict JSON (a number that is not finite
travels as ``null``); a message that is not a JSON object is answered with an error and one log
line; when a page goes away, the replay of its clicked points stops.

A page uploads a file by sending its bytes as the body of ``POST /sessions/{sid}/upload?name=
&target=&task=``: the server stops reading past :data:`~twolayer.playground.userfile.MAX_UPLOAD`
bytes (a larger ``Content-Length`` is refused before anything is read), reads the file with the
table reader (:func:`~twolayer.playground.userfile.read_upload`) and offers it to that page
alone as its dataset ``"file"``, until the page goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from twolayer.data.prep import Dataset
from twolayer.errors import ConfigError, TwoLayerError
from twolayer.nn.activations import ACTIVATIONS
from twolayer.nn.model import INITS
from twolayer.nn.optim import STEP_OPTIMIZERS
from twolayer.nn.schedules import SCHEDULES
from twolayer.playground.commands import Page
from twolayer.playground.exports import history_csv, model_bytes
from twolayer.playground.guard import LOG, Access, Guard
from twolayer.playground.session import Session
from twolayer.playground.settings import (
    BUNDLED_SETS,
    CLASSIFICATION_SETS,
    DATA_FIELDS,
    FEATURES,
    FILE_SET,
    LIVE_FIELDS,
    LOSSES_BY_TASK,
    NETWORK_FIELDS,
    REGRESSION_SETS,
    Settings,
)
from twolayer.playground.userfile import (
    MAX_UPLOAD,
    TASKS,
    UPLOAD_SUFFIXES,
    read_capped,
    read_upload,
    too_large,
    upload_name,
)

STATIC = Path(__file__).parent / "static"
FRAME_SECONDS = 1 / 20  # at most 20 frames a second while playing
MAX_PAGES = 16
"""The most pages one server trains for at once (each holds its data and a training thread's
share of the machine)."""


def create_app(file_data: Dataset | None = None, access: Access | None = None) -> Starlette:
    """The app; ``file_data`` is the ``--data`` file, offered as the dataset ``"file"`` (and
    then the default one); ``access`` says who may use it (default: this machine's loopback,
    with a fresh random token)."""
    access = access or Access.serving("127.0.0.1", 0)
    defaults = Settings(dataset=FILE_SET) if file_data is not None else Settings()
    connections: dict[str, _Connection] = {}

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def options(request: Request) -> Response:
        return JSONResponse(_options(defaults, file_data))

    async def download(request: Request) -> Response:
        connection = connections.get(request.path_params["sid"])
        what = request.path_params["what"]
        if what not in ("model.npz", "history.csv"):
            return PlainTextResponse("model.npz or history.csv", 404)
        if connection is None or connection.session is None:
            return PlainTextResponse("no such session (is its page still open?)", 404)
        name = f"twolayer-{connection.session.settings.dataset}"
        headers = {"Content-Disposition": f'attachment; filename="{name}-{what}"'}
        async with connection.busy:  # between two chunks: the weights are not moving
            session = connection.session
            if what == "history.csv":  # the rows written by now, read a block at a time
                blocks = history_csv(session)
                return StreamingResponse(blocks, media_type="text/csv", headers=headers)
            body = await asyncio.to_thread(model_bytes, session)
        return Response(body, media_type="application/octet-stream", headers=headers)

    async def upload(request: Request) -> Response:
        """A file sent by the page (the body, at most MAX_UPLOAD bytes), read for its session
        and offered as its dataset "file"."""
        connection = connections.get(request.path_params["sid"])
        if connection is None:
            return JSONResponse({"error": "no such session (is its page still open?)"}, 404)
        query = request.query_params
        try:
            name = upload_name(query.get("name", ""))
            target = _column_number(query.get("target"))
            task = query.get("task", "auto")
            if task not in TASKS:
                raise ConfigError(f"unknown task {task!r}; use {', '.join(TASKS)}")
        except TwoLayerError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        declared = request.headers.get("content-length", "")
        if connection.uploading.locked():
            return JSONResponse({"error": "a file is being read already: wait for it"}, 409)
        async with connection.uploading:
            body = None if declared.isdigit() and int(declared) > MAX_UPLOAD else (
                await read_capped(request.stream())
            )  # fmt: skip
            if body is None:  # refused before reading all of it
                LOG.warning("refused an upload of page %s: over %d bytes", connection.sid[:6],
                            MAX_UPLOAD)  # fmt: skip
                return JSONResponse({"error": too_large(name)}, 413)
            read = await asyncio.to_thread(read_upload, body, name, target, task)
            if read.data is not None:
                async with connection.busy:  # between two chunks, not while a command runs
                    connection.page.file_data = read.data
        return JSONResponse(read.reply(), 200 if read.data is not None else 400)

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        if len(connections) >= MAX_PAGES:
            LOG.warning("refused a page: %d pages are open already", MAX_PAGES)
            message = f"{MAX_PAGES} pages of this playground are open already: close one"
            await websocket.send_text(strict_json({"type": "error", "message": message}))
            await websocket.close(code=1013)
            return
        await _Connection(websocket, connections, defaults, file_data).serve()

    routes = [
        Route("/", index),
        Route("/api/options", options),
        Route("/sessions/{sid}/upload", upload, methods=["POST"]),
        Route("/sessions/{sid}/{what}", download),
        WebSocketRoute("/ws", socket),
        Mount("/static", StaticFiles(directory=STATIC, follow_symlink=True), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, access=access)])


def strict_json(message: Any) -> str:
    """``message`` as strict JSON: floats that are not finite become ``null`` (JSON has no
    NaN or Infinity, and the page's parser refuses them)."""
    return json.dumps(_finite(message), allow_nan=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _column_number(text: str | None) -> int | None:
    """The target column chosen on the page: its number, from 1 (None: the last)."""
    if text is None or text == "":
        return None
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"target {text!r}: a column's number, from 1")
    return int(text)


def _options(defaults: Settings, file_data: Dataset | None) -> dict[str, Any]:
    """What the page's controls offer, and which settings need a reset."""
    return {
        "datasets": {
            "classification": list(CLASSIFICATION_SETS),
            "regression": list(REGRESSION_SETS),
            "bundled": list(BUNDLED_SETS),
            "file": None if file_data is None else Path(file_data.name).name,
        },
        "activations": list(ACTIVATIONS),
        "features": list(FEATURES),
        "optimizers": list(STEP_OPTIMIZERS),
        "schedules": list(SCHEDULES),
        "inits": list(INITS),
        "losses": {task: list(names) for task, names in LOSSES_BY_TASK.items()},
        "defaults": defaults.to_text(),
        "fields": {"data": DATA_FIELDS, "network": NETWORK_FIELDS, "live": LIVE_FIELDS},
        "upload": {"limit": MAX_UPLOAD, "suffixes": list(UPLOAD_SUFFIXES), "tasks": list(TASKS)},
    }


class _Connection:
    """One page's WebSocket: its session, its commands and, while it plays, the training."""

    def __init__(
        self, websocket: WebSocket, connections: dict[str, _Connection], defaults: Settings,
        file_data: Dataset | None,
    ) -> None:  # fmt: skip
        self.websocket, self.connections, self.defaults = websocket, connections, defaults
        self.file_data = file_data
        self.sid = secrets.token_urlsafe(12)
        self.playing = asyncio.Event()
        self.busy = asyncio.Lock()  # held while the session trains or changes
        self.sending = asyncio.Lock()  # one message at a time on the socket
        self.gone = threading.Event()  # the page went away: work in threads stops early
        self.page = Page(defaults, file_data, self.gone.is_set)
        self.commands: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=64)
        self.uploading = asyncio.Lock()  # one upload at a time

    async def serve(self) -> None:
        """Read the page's messages until it goes away, while the commands run one after
        another and the training streams frames."""
        self.connections[self.sid] = self
        workers = [asyncio.create_task(self._train()), asyncio.create_task(self._run_commands())]
        try:
            while True:
                message = await self._receive()
                if message is not None:
                    await self.commands.put(message)
        except WebSocketDisconnect:
            pass
        finally:
            self.gone.set()  # a replay in its worker thread stops at the next point
            for task in workers:
                task.cancel()
            for task in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self.connections.get(self.sid) is self:
                del self.connections[self.sid]
            if self.session is not None:
                self.session.history.close()
            self.page.file_data = None  # a file uploaded by this page lived for it only

    @property
    def session(self) -> Session | None:
        return self.page.session

    async def _receive(self) -> dict[str, Any] | None:
        """The next message as a command; None (after an error reply and one log line) when it
        is not a JSON object."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        try:
            command = json.loads(text) if text is not None else None
        except ValueError:
            command = None
        if isinstance(command, dict):
            return command
        what = "a binary message" if text is None else f"{len(text)} characters of no JSON object"
        LOG.warning("refused a message of page %s: %s", self.sid[:6], what)
        await self._send({"type": "error", "message": "a command must be a JSON object"})
        return None

    async def _run_commands(self) -> None:
        while True:
            message = await self.commands.get()
            try:
                await self._command(message)
            except Exception as exc:  # a bug: say so, log it, and keep the page working
                LOG.exception("command %r failed", str(message.get("cmd"))[:40])
                await self._send({"type": "error", "message": f"internal error: {exc!r}"})

    async def _send(self, message: dict[str, Any]) -> None:
        async with self.sending:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the page went away
                await self.websocket.send_text(strict_json(message))

    async def _command(self, message: dict[str, Any]) -> None:
        cmd = str(message.get("cmd"))
        if cmd in ("pause", "step", "start"):  # before waiting: no further chunk begins
            self.playing.clear()
        if cmd == "pause":
            await self._send({"type": "playing", "playing": False})
            return
        async with self.busy:
            try:
                replies = await asyncio.to_thread(self._handle, cmd, message)
            except TwoLayerError as exc:
                replies = [{"type": "error", "message": str(exc)}]
        for reply in replies:
            if reply["type"] == "playing" and reply["playing"]:  # the event loop's own event
                self.playing.set()
            elif reply["type"] == "playing":
                self.playing.clear()
            await self._send(reply)

    def _handle(self, cmd: str, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Carry out one command (in a worker thread, holding :attr:`busy`)."""
        replies = self.page.handle(cmd, message)
        if cmd == "start":
            replies.insert(0, {"type": "hello", "session": self.sid})
        return replies

    async def _train(self) -> None:
        """While playing: a chunk of iterations, one frame, then wait for the next frame."""
        while True:
            await self.playing.wait()
            begun = time.monotonic()
            async with self.busy:
                session = self.session
                if session is None or not self.playing.is_set():
                    continue
                reply = await asyncio.to_thread(self._chunk, session)
            await self._send(reply)
            if reply["status"]:  # finished, or diverged: stop playing
                self.playing.clear()
                await self._send({"type": "playing", "playing": False})
            await asyncio.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - begun)))

    def _chunk(self, session: Session) -> dict[str, Any]:
        return self.page.frame(session.advance(session.settings.speed))


__all__ = ["FRAME_SECONDS", "MAX_PAGES", "STATIC", "create_app", "strict_json"]
