"""A real server on a port, in this process: uvicorn serving the app, for WebSocket tests."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from novel_engine.domain.messagebus import Handlers
from novel_engine.web.app import create_app
from novel_engine.web.frames import uvicorn_options
from novel_engine.web.settings import Settings
from tests.graphql_client import SECRET, AppClient


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    def __init__(self, app: Starlette, url: str, client: AppClient) -> None:
        self.app = app
        self.url = url
        self.ws_url = url.replace("http", "ws", 1) + "/graphql"
        self.client = client

    @asynccontextmanager
    async def ws(
        self, token: str | None = None, protocol: str = "graphql-transport-ws", **options: Any
    ) -> AsyncIterator[GraphQLWS]:
        async with connect(self.ws_url, subprotocols=[protocol], **options) as socket_:  # type: ignore[list-item]
            ws = GraphQLWS(socket_)
            if token is not ...:
                await ws.init(token)
            yield ws


class GraphQLWS:
    """A small graphql-transport-ws client."""

    def __init__(self, socket_: ClientConnection) -> None:
        self.socket = socket_

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, within: float = 10) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), within))
        return message

    async def init(self, token: str | None) -> None:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        assert (await self.receive())["type"] == "connection_ack"

    async def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send(
            {
                "id": id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )

    async def next_payloads(self, id: str, count: int, within: float = 10) -> list[dict[str, Any]]:
        payloads = []
        while len(payloads) < count:
            message = await self.receive(within)
            assert message.get("id") == id, message
            assert message["type"] == "next", message
            payloads.append(message["payload"])
        return payloads


@asynccontextmanager
async def live_server(
    settings: Settings, handlers: Handlers | None = None
) -> AsyncIterator[LiveServer]:
    app = create_app(settings, handlers)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
        ws_ping_interval=None,
        **uvicorn_options(settings.ws_compression, settings.access_log),
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield LiveServer(app, url, AppClient(http))
    finally:
        server.should_exit = True
        await task


async def eventually(condition: Callable[[], bool], within: float = 10) -> None:
    """Wait until `condition()` holds: server state a test can only poll."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - nothing to await but the state itself
            await asyncio.sleep(0.02)


def settings_for(database_url: str, **overrides: Any) -> Settings:
    return Settings(database_url=database_url, secret_key=SECRET, **overrides)
