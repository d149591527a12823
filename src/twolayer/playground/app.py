"""The playground's web app (Starlette): the page, its assets, one WebSocket per page that
trains and streams frames, and the downloads.

Every page opens ``/ws`` and owns one :class:`~twolayer.playground.session.Session` for as long
as it stays connected.  The page sends commands (``start``, ``play``, ``pause``, ``step``,
``reset``, ``settings``, ``edit``); while it plays, the server trains a chunk of iterations in
a worker thread, sends one frame, and waits until at least :data:`FRAME_SECONDS` have passed
since the chunk began, so the page gets a smooth stream of at most 1 / FRAME_SECONDS frames a
second at any speed.  Commands wait for the chunk in progress (at most
:data:`~twolayer.playground.session.CHUNK_SECONDS`), so they are never interleaved with
training.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from twolayer.activations import ACTIVATIONS
from twolayer.data.prep import Dataset
from twolayer.errors import TwoLayerError
from twolayer.model import INITS
from twolayer.optim import STEP_OPTIMIZERS
from twolayer.playground.datasets import parse_edits
from twolayer.playground.exports import history_csv, model_bytes
from twolayer.playground.frames import data_message, frame
from twolayer.playground.session import Session
from twolayer.playground.settings import (
    BUNDLED_SETS,
    CLASSIFICATION_SETS,
    DATA_FIELDS,
    FILE_SET,
    LIVE_FIELDS,
    LOSSES_BY_TASK,
    NETWORK_FIELDS,
    REGRESSION_SETS,
    Settings,
)
from twolayer.schedules import SCHEDULES

STATIC = Path(__file__).parent / "static"
FRAME_SECONDS = 1 / 20  # at most 20 frames a second while playing


def create_app(file_data: Dataset | None = None) -> Starlette:
    """The app; ``file_data`` is the ``--data`` file, offered as the dataset ``"file"`` (and
    then the default one)."""
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
        async with connection.busy:  # between two chunks: the weights are not moving
            session = connection.session
            write = model_bytes if what == "model.npz" else lambda s: history_csv(s).encode()
            body = await asyncio.to_thread(write, session)
        media = "application/octet-stream" if what == "model.npz" else "text/csv"
        name = f"twolayer-{session.settings.dataset}"
        disposition = f'attachment; filename="{name}-{what}"'
        return Response(body, media_type=media, headers={"Content-Disposition": disposition})

    async def socket(websocket: WebSocket) -> None:
        if not _same_origin(websocket):
            await websocket.close(code=1008)  # a page of another site may not drive this one
            return
        await websocket.accept()
        await _Connection(websocket, connections, defaults, file_data).serve()

    routes = [
        Route("/", index),
        Route("/api/options", options),
        Route("/sessions/{sid}/{what}", download),
        WebSocketRoute("/ws", socket),
        Mount("/static", StaticFiles(directory=STATIC, follow_symlink=True), name="static"),
    ]
    return Starlette(routes=routes)


def _options(defaults: Settings, file_data: Dataset | None) -> dict[str, Any]:
    """What the page's controls offer, and which settings need a reset."""
    return {
        "datasets": {
            "classification": list(CLASSIFICATION_SETS),
            "regression": list(REGRESSION_SETS),
            "bundled": list(BUNDLED_SETS),
            "file": None if file_data is None else file_data.name,
        },
        "activations": list(ACTIVATIONS),
        "optimizers": list(STEP_OPTIMIZERS),
        "schedules": list(SCHEDULES),
        "inits": list(INITS),
        "losses": {task: list(names) for task, names in LOSSES_BY_TASK.items()},
        "defaults": defaults.to_text(),
        "fields": {"data": DATA_FIELDS, "network": NETWORK_FIELDS, "live": LIVE_FIELDS},
    }


def _same_origin(websocket: WebSocket) -> bool:
    """True when the handshake comes from a page of this server (or from no page at all)."""
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


class _Connection:
    """One page's WebSocket: its session, its commands and, while it plays, the training."""

    def __init__(
        self, websocket: WebSocket, connections: dict[str, _Connection], defaults: Settings,
        file_data: Dataset | None,
    ) -> None:  # fmt: skip
        self.websocket, self.connections, self.defaults = websocket, connections, defaults
        self.file_data = file_data
        self.sid = secrets.token_urlsafe(12)
        self.session: Session | None = None
        self.playing = asyncio.Event()
        self.busy = asyncio.Lock()  # held while the session trains or changes
        self.sending = asyncio.Lock()  # one message at a time on the socket

    async def serve(self) -> None:
        trainer = asyncio.create_task(self._train())
        try:
            while True:
                message = await self.websocket.receive_json()
                await self._command(message if isinstance(message, dict) else {})
        except WebSocketDisconnect:
            pass
        finally:
            trainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await trainer
            self.connections.pop(self.sid, None)

    async def _send(self, message: dict[str, Any]) -> None:
        async with self.sending:
            await self.websocket.send_json(message)

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
        """Carry out one command (in a worker thread, holding :attr:`busy`); the replies.  A
        ``playing`` reply starts or stops the training."""
        if cmd == "start":
            return self._start(message)
        session = self.session
        if session is None:
            return [{"type": "error", "message": "send 'start' first"}]
        if cmd == "play":
            if session.error is not None or session.finished:
                return [frame(session, []), {"type": "playing", "playing": False}]
            return [{"type": "playing", "playing": True}]
        if cmd == "step":
            return [frame(session, session.advance(1)), {"type": "playing", "playing": False}]
        if cmd == "reset":
            session.reset()
            return [data_message(session), frame(session, [])]
        if cmd == "settings":
            values = message.get("settings")
            if not isinstance(values, dict):
                return [{"type": "error", "message": "settings must be an object"}]
            changed = session.change(Settings.from_text(values, session.settings))
            if changed in ("network", "data"):
                note = {"type": "reset", "because": changed}
                return [note, data_message(session), frame(session, [])]
            return [{"type": "settings", "settings": session.settings.to_text()}]
        if cmd == "edit":
            for item in parse_edits(str(message.get("edit", "")), session.data.n_inputs):
                session.edit(item)
            return [data_message(session), frame(session, [])]
        return [{"type": "error", "message": f"unknown command {cmd!r}"}]

    def _start(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """A new session from the page's URL hash; the defaults when the hash does not fit."""
        values = message.get("settings")
        replies: list[dict[str, Any]] = []
        try:
            settings = Settings.from_text(values if isinstance(values, dict) else {}, self.defaults)
            session = Session(settings, self.file_data)
            for item in parse_edits(str(message.get("edits", "")), session.data.n_inputs):
                session.edit(item)
        except TwoLayerError as exc:
            replies.append({"type": "error", "message": f"the URL's settings: {exc}"})
            session = Session(self.defaults, self.file_data)
        self.session = session
        self.connections[self.sid] = self
        hello = {"type": "hello", "session": self.sid}
        stopped = {"type": "playing", "playing": False}
        return [hello, *replies, data_message(session), frame(session, []), stopped]

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

    @staticmethod
    def _chunk(session: Session) -> dict[str, Any]:
        return frame(session, session.advance(session.settings.speed))


__all__ = ["FRAME_SECONDS", "STATIC", "create_app"]
