"""GraphQL over WebSocket: `graphql-transport-ws`, and the legacy `graphql-ws`.

Authentication travels in the `connection_init` payload ({"Authorization": "Bearer
<token>"}). Protocol misuse closes the socket with the protocol's codes; a subscriber
that falls too far behind is disconnected (1013) and resumes with its last cursor, and
a message that cannot be sent closes the connection (1011) rather than being skipped.
What an operation sends is decided by the live path (`graphql.events.live`); this
module only carries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from abc import ABC, abstractmethod
from contextlib import aclosing
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from novel_engine.domain.principal import Principal
from novel_engine.graphql.context import Services
from novel_engine.graphql.events.live import Failed, Frame, LiveOperations, Next, SendNow
from novel_engine.graphql.extensions import UNEXPECTED
from novel_engine.subscriptions.feeds import QUEUE_LIMIT, SlowConsumer
from novel_engine.web.auth import Authenticator, Refused
from novel_engine.web.frames import DIRECT_FRAMES, FrameWriter
from novel_engine.web.request_json import RequestJsonError, decode_request_json

log = logging.getLogger(__name__)

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
SLOW_CONSUMER = (1013, "Too slow: reconnect and resume after your last cursor.")
UNSENDABLE = (1011, "A message could not be sent: reconnect and resume after your last cursor.")


class ConnectionGone(Exception):
    """The connection is closed, or closing because a message could not be sent: what
    was sending stops here, and the client resumes by cursor."""


class WebSocketServer:
    def __init__(
        self,
        runner: LiveOperations,
        auth: Authenticator,
        init_timeout: float = 3.0,
        keepalive: float = 15.0,
        backlog_limit: int = QUEUE_LIMIT,
    ) -> None:
        self.runner = runner
        self.auth = auth
        self.init_timeout = init_timeout
        self.keepalive = keepalive
        # Live messages a connection may have waiting beyond its socket's buffer before
        # it is closed as too slow (as a subscriber's queue would overflow).
        self.backlog_limit = backlog_limit
        self.connections = 0
        self.direct_frames = 0  # live results written straight to a socket

    async def handle(self, websocket: WebSocket) -> None:
        offered = websocket.scope.get("subprotocols") or []
        if TRANSPORT_WS in offered:
            connection: Connection = TransportConnection(websocket, self)
        elif LEGACY_WS in offered:
            connection = LegacyConnection(websocket, self)
        else:
            await websocket.accept()
            await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=connection.protocol)
        self.connections += 1
        try:
            await connection.run()
        finally:
            self.connections -= 1

    async def authenticate(self, payload: Any, services: Services) -> Principal | None:
        """The principal the init payload's `Authorization` proves; None when it has none."""
        if payload is None:
            return None
        if not isinstance(payload, dict):
            raise Refused("connection_init payload must be an object.")
        header = payload.get("Authorization") or payload.get("authorization")
        return await self.auth.authenticate(
            None if header is None else str(header), services.queries
        )


class Connection(ABC):
    protocol = ""
    next_type = "next"  # the type of a message carrying a result

    def __init__(self, websocket: WebSocket, server: WebSocketServer) -> None:
        self.websocket = websocket
        self.server = server
        # Served by our own uvicorn protocol: live frames can be written at once.
        self.frames: FrameWriter | None = websocket.scope.get("extensions", {}).get(DIRECT_FRAMES)
        self.principal: Principal | None = None
        self.init_received = False
        self.acknowledged = False
        self.closed = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()
        self._closing: asyncio.Task[None] | None = None  # a close begun outside a task

    @property
    def services(self) -> Services:
        services: Services = self.websocket.app.state.services
        return services

    async def run(self) -> None:
        # A timer, not a task: a crowd of connections should cost no task each for this.
        watchdog = asyncio.get_running_loop().call_later(
            self.server.init_timeout, self._init_overdue
        )
        try:
            while not self.closed:
                try:
                    message = await self.websocket.receive()
                except (WebSocketDisconnect, RuntimeError):
                    break
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    await self.close(4400, "Send messages as text.")
                    break
                try:
                    data = decode_request_json(text)
                except RequestJsonError as exc:
                    await self.close(4400, f"The message {exc}."[:120])
                    break
                if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                    await self.close(4400, "Invalid message.")
                    break
                try:
                    await self.on_message(data)
                except ConnectionGone:
                    break
        finally:
            watchdog.cancel()
            for task in list(self.operations.values()):
                task.cancel()
            await asyncio.gather(*self.operations.values(), return_exceptions=True)
            self.closed = True

    def _init_overdue(self) -> None:
        if not self.init_received:
            self._closing = asyncio.create_task(
                self.close(4408, "Connection initialisation timeout")
            )

    @abstractmethod
    async def on_message(self, data: dict[str, Any]) -> None:
        """Handle one client message of this protocol."""

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            await self.websocket.close(code, reason)

    def slow_consumer(self) -> None:
        self._closing = asyncio.create_task(self.close(*SLOW_CONSUMER))

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_text(json.dumps(message, separators=(",", ":"), default=str))

    async def send_text(self, text: str) -> None:
        """Send, or raise ConnectionGone: a message is never dropped quietly."""
        if self.closed:
            raise ConnectionGone()
        async with self._send_lock:
            try:
                await self.websocket.send_text(text)
            except Exception as exc:
                # Carrying on would leave the client a silent gap in its stream.
                log.info("a WebSocket message could not be sent; closing", exc_info=True)
                await self.close(*UNSENDABLE)
                raise ConnectionGone() from exc

    async def initialise(self, payload: Any) -> tuple[int, str] | None:
        """Authenticate, once. On refusal, the close code and reason to answer with."""
        if self.init_received:
            return 4429, "Too many initialisation requests"
        self.init_received = True
        try:
            self.principal = await self.server.authenticate(payload, self.services)
        except Refused:
            return 4403, "Forbidden"
        self.acknowledged = True
        return None

    async def start(self, id: Any, payload: Any) -> None:
        if not self.acknowledged:
            await self.close(4401, "Unauthorized")
            return
        if (
            not isinstance(id, str)
            or not id
            or not isinstance(payload, dict)
            or not isinstance(payload.get("query"), str)
        ):
            await self.close(4400, "Invalid subscribe message.")
            return
        if id in self.operations:
            await self.close(4409, f"Subscriber for {id} already exists")
            return
        self.operations[id] = asyncio.create_task(self._operate(id, payload))

    async def _operate(self, id: str, payload: dict[str, Any]) -> None:
        frames = self.server.runner.run(
            payload, self.services, self.principal, self.slow_consumer, self._send_now(id)
        )
        try:
            async with aclosing(frames):
                async for frame in frames:
                    await self.send_frame(id, frame)
                    if isinstance(frame, Failed):
                        return
            await self.complete(id)
        except SlowConsumer:
            await self.close(*SLOW_CONSUMER)
        except ConnectionGone:
            return  # closed already; the client resumes by cursor
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("operation %s failed", id)
            unexpected = Failed(
                [{"message": UNEXPECTED, "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
            )
            with contextlib.suppress(ConnectionGone):
                await self.send_frame(id, unexpected)
        finally:
            if self.operations.get(id) is asyncio.current_task():
                del self.operations[id]

    def _send_now(self, id: str) -> SendNow | None:
        """Writes operation `id`'s results at once, framed like `next_frame`, without the
        send lock: frames are whole when written, and this operation's earlier messages
        were all sent before the live path hands it anything."""
        frames = self.frames
        if frames is None:
            return None
        prefix = f'{{"id":{json.dumps(id)},"type":"{self.next_type}","payload":'
        limit = self.server.backlog_limit

        def send_now(payload: str) -> bool:
            if self.closed:
                return False
            if self.operations.get(id) is None:
                return True  # stopped by the client; its task is on its way out
            if frames.backlog > limit:
                self.slow_consumer()
                return True  # the connection closes with 1013; the client resumes by cursor
            if not frames.write_text(f"{prefix}{payload}}}"):
                return False
            self.server.direct_frames += 1
            return True

        return send_now

    async def send_frame(self, id: str, frame: Frame) -> None:
        if isinstance(frame, Next):
            await self.send_text(self.next_frame(id, frame.payload))
        else:
            await self.send({"id": id, "type": "error", "payload": frame.errors})

    async def complete(self, id: str) -> None:
        await self.send({"id": id, "type": "complete"})

    def next_frame(self, id: str, payload: str) -> str:
        """A result message, around a payload that is already JSON (shared by a group)."""
        return f'{{"id":{json.dumps(id)},"type":"{self.next_type}","payload":{payload}}}'

    def stop(self, id: Any) -> bool:
        task = self.operations.pop(id, None) if isinstance(id, str) else None
        if task is None:
            return False
        task.cancel()
        return True


class TransportConnection(Connection):
    """graphql-transport-ws (the `graphql-ws` library's protocol)."""

    protocol = TRANSPORT_WS

    async def on_message(self, data: dict[str, Any]) -> None:
        kind = data["type"]
        if kind == "connection_init":
            refusal = await self.initialise(data.get("payload"))
            if refusal is not None:
                await self.close(*refusal)
            else:
                await self.send({"type": "connection_ack"})
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            await self.start(
                data.get("id"),
                data.get("payload"),
            )
        elif kind == "complete":
            self.stop(data.get("id"))
        else:
            await self.close(4400, f"Unknown message type: {kind}"[:120])


class LegacyConnection(Connection):
    """The legacy `graphql-ws` protocol (subscriptions-transport-ws)."""

    protocol = LEGACY_WS
    next_type = "data"

    async def run(self) -> None:
        keepalive = asyncio.create_task(self._keep_alive())
        try:
            await super().run()
        finally:
            keepalive.cancel()

    async def _keep_alive(self) -> None:
        with contextlib.suppress(ConnectionGone):
            while True:
                await asyncio.sleep(self.server.keepalive)
                if self.acknowledged:
                    await self.send({"type": "ka"})

    async def on_message(self, data: dict[str, Any]) -> None:
        kind = data["type"]
        if kind == "connection_init":
            refusal = await self.initialise(data.get("payload"))
            if refusal is None:
                await self.send({"type": "connection_ack"})
                await self.send({"type": "ka"})
                return
            if refusal[0] == 4403:
                await self.send({"type": "connection_error", "payload": {"message": refusal[1]}})
            await self.close(*refusal)
        elif kind == "start":
            await self.start(
                data.get("id"),
                data.get("payload"),
            )
        elif kind == "stop":
            if self.stop(data.get("id")):
                await self.complete(data["id"])
        elif kind == "connection_terminate":
            await self.close(1000, "Terminated")
        else:
            await self.close(4400, f"Unknown message type: {kind}"[:120])
