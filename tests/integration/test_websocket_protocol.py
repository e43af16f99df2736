"""Protocol misuse gets the protocol's close codes; the legacy protocol works too."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from novel_engine.graphql.pagination import position_cursor
from novel_engine.web.security import JwtTokens
from tests.graphql_client import SECRET
from tests.integration.helpers import create_campaign, fragment_bomb
from tests.live_server import LiveServer, live_server, settings_for

VIEWER = "query { viewer { displayName } }"


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[LiveServer]:
    async with live_server(settings_for(database_url, ws_init_timeout=0.3)) as running:
        yield running


async def closed_with(
    server: LiveServer, messages: list[object], protocol: str = "graphql-transport-ws"
) -> tuple[int, str]:
    async with connect(server.ws_url, subprotocols=[protocol]) as socket:  # type: ignore[list-item]
        for message in messages:
            await socket.send(message if isinstance(message, str) else json.dumps(message))
        with pytest.raises(ConnectionClosed) as closed:
            await drain(socket)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


async def drain(socket: ClientConnection) -> None:
    """Read until the server closes (or 10 s pass)."""
    async with asyncio.timeout(10):
        while True:
            await socket.recv()


LEGACY_EVENTS = """
subscription($id: ID!, $after: String) {
  campaignEvents(campaignId: $id, after: $after) { eventType }
}
"""

INIT = {"type": "connection_init", "payload": {}}
SUBSCRIBE = {"id": "1", "type": "subscribe", "payload": {"query": VIEWER}}


async def test_protocol_misuse_closes_with_the_protocols_codes(server: LiveServer) -> None:
    assert await closed_with(server, []) == (4408, "Connection initialisation timeout")
    assert (await closed_with(server, [INIT, INIT]))[0] == 4429
    assert (await closed_with(server, [SUBSCRIBE]))[0] == 4401
    assert (await closed_with(server, ["{not json"]))[0] == 4400
    assert (await closed_with(server, [INIT, {"type": "next", "id": "1"}]))[0] == 4400
    assert (await closed_with(server, [INIT, {"type": "subscribe", "id": "1"}]))[0] == 4400
    bad_token = {"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}
    assert (await closed_with(server, [bad_token]))[0] == 4403


async def test_duplicate_operation_id_closes_4409(server: LiveServer) -> None:
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    live = {
        "id": "same",
        "type": "subscribe",
        "payload": {
            "query": "subscription($id: ID!) { campaignEvents(campaignId: $id) { eventType } }",
            "variables": {"id": campaign["id"]},
        },
    }
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {ada}"}}
    assert await closed_with(server, [init, live, live]) == (
        4409,
        "Subscriber for same already exists",
    )


async def test_unknown_subprotocol_is_refused(server: LiveServer) -> None:
    assert (await closed_with(server, [], protocol="chat"))[0] == 4406


async def test_queries_ping_and_complete_over_transport_ws(server: LiveServer) -> None:
    ada = await server.client.sign_up("Ada")
    async with server.ws(ada) as ws:
        await ws.send({"type": "ping"})
        assert (await ws.receive())["type"] == "pong"
        await ws.subscribe("q", VIEWER)
        assert (await ws.receive()) == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"viewer": {"displayName": "Ada"}}},
        }
        assert (await ws.receive()) == {"id": "q", "type": "complete"}
        await ws.subscribe("bad", "{ nope }")
        error = await ws.receive()
        assert error["type"] == "error"
        assert "nope" in error["payload"][0]["message"]


async def test_legacy_graphql_ws_protocol(server: LiveServer) -> None:
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    async with connect(server.ws_url, subprotocols=["graphql-ws"]) as socket:  # type: ignore[list-item]

        async def receive() -> dict:
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if message["type"] != "ka":
                    return message

        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {ada}"}})
        )
        assert (await receive())["type"] == "connection_ack"
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "start",
                    "payload": {
                        "query": LEGACY_EVENTS,
                        # replay from just after creation: no race with the start
                        "variables": {"id": campaign["id"], "after": position_cursor(1)},
                    },
                }
            )
        )
        data = await server.client.data(
            "mutation($id: ID!) { updateWorldState(campaignId: $id, patch: {a: 1}, "
            "expectedVersion: 1) { __typename } }",
            {"id": campaign["id"]},
            token=ada,
        )
        assert data["updateWorldState"]["__typename"] == "Campaign"
        message = await receive()
        assert message["type"] == "data"
        assert (
            message["payload"]["data"]["campaignEvents"]["eventType"]
            == "campaigns.world.state-changed"
        )
        await socket.send(json.dumps({"id": "1", "type": "stop"}))
        assert (await receive()) == {"id": "1", "type": "complete"}
        await socket.send(json.dumps({"type": "connection_terminate"}))
        with pytest.raises(ConnectionClosed):
            await receive()


async def test_legacy_refuses_a_bad_token_with_connection_error(server: LiveServer) -> None:
    async with connect(server.ws_url, subprotocols=["graphql-ws"]) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer x"}})
        )
        assert json.loads(await socket.recv())["type"] == "connection_error"
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403


async def test_a_signed_token_of_a_user_who_does_not_exist_closes_4403(
    server: LiveServer,
) -> None:
    token = JwtTokens(SECRET).issue(uuid.uuid4())
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    assert await closed_with(server, [init]) == (4403, "Forbidden")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            '{"type": "connection_init", "payload": {"x": ' + "[" * 5000 + "]" * 5000 + "}}",
            "The message is nested deeper than 64 levels.",
        ),
        (
            '{"type": "connection_init", "payload": {"x": ' + "7" * 4300 + "}}",
            "The message holds a number longer than 100 characters.",
        ),
        (
            '{"type": "connection_init", "payload": {"Authorization": "\\ud800"}}',
            "The message holds a lone UTF-16 surrogate (such as \\ud800), which is not text.",
        ),
    ],
)
async def test_hostile_json_closes_4400_with_the_reason(
    server: LiveServer, message: str, reason: str
) -> None:
    assert await closed_with(server, [message]) == (4400, reason)
    async with server.ws(None) as ws:  # the server answers the next client as before
        await ws.subscribe("q", VIEWER)
        assert (await ws.receive())["payload"] == {"data": {"viewer": None}}


async def test_hostile_variables_after_init_close_4400(server: LiveServer) -> None:
    subscribe = (
        '{"id": "1", "type": "subscribe", "payload": {"query": "{ viewer { displayName } }", '
        '"variables": {"name": "\\udc00"}}}'
    )
    code, reason = await closed_with(server, [INIT, subscribe])
    assert code == 4400
    assert "surrogate" in reason


async def test_fragment_bombs_over_websocket_are_answered_or_refused_at_once(
    server: LiveServer,
) -> None:
    async with server.ws(None) as ws:
        await ws.subscribe("wide", fragment_bomb(10, 8))
        assert await ws.receive() == {
            "id": "wide",
            "type": "next",
            "payload": {"data": {"viewer": None}},
        }
        assert await ws.receive() == {"id": "wide", "type": "complete"}
        await ws.subscribe("aliased", fragment_bomb(26, 2, leaf="me: viewer { id }"))
        refused = await ws.receive()
        assert refused["type"] == "error"
        assert refused["payload"][0]["message"] == f"{2**26} aliases found. Allowed: 30"


TWO_QUERIES = "query Name { viewer { displayName } } query Id { viewer { id } }"


async def test_a_document_with_several_operations_must_name_the_one_to_run(
    server: LiveServer,
) -> None:
    # given
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    live_and_query = (
        "subscription Live($id: ID!) { campaignEvents(campaignId: $id) { eventType } } "
        "query Name { viewer { displayName } }"
    )
    async with server.ws(ada) as ws:
        for id, query in [("two", TWO_QUERIES), ("mixed", live_and_query)]:
            # when
            await ws.send(
                {
                    "id": id,
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"id": campaign["id"]}},
                }
            )

            # then: refused, as over HTTP, rather than running the first
            refused = await ws.receive()
            assert refused["type"] == "error", refused
            assert refused["payload"][0]["message"] == (
                "Name the operation to run with operationName."
            )

        # and: naming one runs that one
        await ws.send(
            {
                "id": "named",
                "type": "subscribe",
                "payload": {"query": TWO_QUERIES, "operationName": "Name"},
            }
        )
        assert (await ws.receive())["payload"] == {"data": {"viewer": {"displayName": "Ada"}}}
        assert (await ws.receive()) == {"id": "named", "type": "complete"}
