"""presence(campaignId): which members are connected, across servers, abrupt exits too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from tests.integration.helpers import create_campaign
from tests.live_server import GraphQLWS, LiveServer, live_server, settings_for
from tests.redis_servers import shared_redis_url

PRESENCE = """
subscription($id: ID!) {
  presence(campaignId: $id) { online { displayName } joined { displayName } left { displayName } }
}
"""
EVENTS = "subscription($id: ID!) { campaignEvents(campaignId: $id) { eventType } }"


async def next_presence(ws: GraphQLWS) -> dict[str, list[str]]:
    [payload] = await ws.next_payloads("p", 1)
    update = payload["data"]["presence"]
    return {k: [u["displayName"] for u in v] for k, v in update.items()}


async def with_members(server: LiveServer) -> tuple[str, str, dict]:
    ada = await server.client.sign_up("Ada")
    bob = await server.client.sign_up("Bob")
    campaign = await create_campaign(server.client, ada)
    await server.client.data(
        'mutation($id: ID!) { addCampaignMember(campaignId: $id, email: "bob@example.com", '
        "role: COAUTHOR) { __typename } }",
        {"id": campaign["id"]},
        token=ada,
    )
    return ada, bob, campaign


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[LiveServer]:
    async with live_server(settings_for(database_url)) as running:
        yield running


async def test_members_see_each_other_come_and_go(server: LiveServer) -> None:
    ada, bob, campaign = await with_members(server)
    async with server.ws(ada) as watcher:
        await watcher.subscribe("p", PRESENCE, {"id": campaign["id"]})
        assert await next_presence(watcher) == {"online": ["Ada"], "joined": ["Ada"], "left": []}

        async with server.ws(bob) as bob_ws:
            await bob_ws.subscribe("e", EVENTS, {"id": campaign["id"]})
            assert await next_presence(watcher) == {
                "online": ["Ada", "Bob"],
                "joined": ["Bob"],
                "left": [],
            }
        assert await next_presence(watcher) == {"online": ["Ada"], "joined": [], "left": ["Bob"]}

        # an abrupt disconnect: the TCP connection is cut, no close handshake
        socket = await connect(server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")])
        bob_ws = GraphQLWS(socket)
        await bob_ws.init(bob)
        await bob_ws.subscribe("p2", PRESENCE, {"id": campaign["id"]})
        assert (await next_presence(watcher))["joined"] == ["Bob"]
        socket.transport.abort()
        assert await next_presence(watcher) == {"online": ["Ada"], "joined": [], "left": ["Bob"]}


async def test_only_members_may_watch_presence(server: LiveServer) -> None:
    _, _, campaign = await with_members(server)
    eve = await server.client.sign_up("Eve")
    async with server.ws(eve) as ws:
        await ws.subscribe("p", PRESENCE, {"id": campaign["id"]})
        message = await ws.receive()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_an_anonymous_viewer_is_asked_to_log_in(server: LiveServer) -> None:
    # given: a campaign, and a viewer who has not logged in
    _, _, campaign = await with_members(server)
    async with server.ws(None) as ws:
        for id, document, campaign_id in [
            ("p", PRESENCE, campaign["id"]),
            ("e", EVENTS, campaign["id"]),
            ("unknown", PRESENCE, "00000000-0000-0000-0000-000000000000"),
        ]:
            # when
            await ws.subscribe(id, document, {"id": campaign_id})
            message = await ws.receive()

            # then: the same answer whether or not the campaign exists
            assert message["type"] == "error", message
            assert message["payload"][0]["message"] == "Log in to follow this campaign."
            assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_presence_spans_servers_through_redis(database_url: str) -> None:
    settings = settings_for(database_url, redis_url=shared_redis_url())
    async with live_server(settings) as a, live_server(settings) as b:
        ada, bob, campaign = await with_members(a)
        async with a.ws(ada) as watcher:
            await watcher.subscribe("p", PRESENCE, {"id": campaign["id"]})
            assert (await next_presence(watcher))["online"] == ["Ada"]
            async with b.ws(bob) as bob_ws:
                await bob_ws.subscribe("e", EVENTS, {"id": campaign["id"]})
                assert (await next_presence(watcher))["joined"] == ["Bob"]
            assert await next_presence(watcher) == {
                "online": ["Ada"],
                "joined": [],
                "left": ["Bob"],
            }
