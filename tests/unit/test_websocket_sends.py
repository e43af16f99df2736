"""A WebSocket message that cannot be sent ends its operation and the connection: the
client resumes by cursor, and nothing after the failed message is taken and dropped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable
from types import SimpleNamespace
from typing import Any

from novel_engine.graphql.events.live import Frame, Next
from novel_engine.web.websocket import UNSENDABLE, WebSocketServer


class UnsendableFrames:
    """An operation with three results; the socket below cannot send any of them."""

    def __init__(self) -> None:
        self.taken: list[int] = []

    async def run(
        self,
        payload: dict[str, Any],
        services: Any,
        principal: Any,
        on_overflow: Callable[[], None],
        send_now: Any = None,
    ) -> AsyncGenerator[Frame, None]:
        for n in (1, 2, 3):
            self.taken.append(n)
            yield Next(json.dumps({"data": {"n": n}}))


class Anyone:
    async def authenticate(self, header: str | None, queries: Any) -> None:
        return None


class SocketThatCannotSendResults:
    """Sends protocol messages; a result frame fails as a payload UTF-8 cannot carry would."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.scope = {"subprotocols": ["graphql-transport-ws"]}
        self.app = SimpleNamespace(state=SimpleNamespace(services=SimpleNamespace(queries=None)))
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for message in messages:
            self.inbox.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})
        self.sent: list[dict[str, Any]] = []
        self.closed_with: tuple[int, str] | None = None

    async def accept(self, subprotocol: str | None = None) -> None:
        return None

    async def receive(self) -> dict[str, Any]:
        return await self.inbox.get()

    async def send_text(self, text: str) -> None:
        message = json.loads(text)
        if message["type"] == "next":
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        self.sent.append(message)

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)
        self.inbox.put_nowait({"type": "websocket.disconnect"})


async def test_a_result_that_cannot_be_sent_closes_1011_and_takes_nothing_more() -> None:
    # given
    operations = UnsendableFrames()
    server = WebSocketServer(operations, Anyone())  # type: ignore[arg-type]
    socket = SocketThatCannotSendResults(
        [
            {"type": "connection_init", "payload": {}},
            {"id": "1", "type": "subscribe", "payload": {"query": "subscription { x }"}},
        ]
    )

    # when
    await asyncio.wait_for(server.handle(socket), 5)  # type: ignore[arg-type]

    # then
    assert socket.closed_with == UNSENDABLE
    assert operations.taken == [1]
    assert socket.sent == [{"type": "connection_ack"}]
