"""campaignEvents has one path whatever the shape of its document: written out, spread
from a root fragment or wrapped in an inline fragment, it is for members only, counts
in presence, is rendered once per group and disconnects a slow consumer."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import ConnectionClosed

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StreamId
from novel_engine.graphql.pagination import position_cursor
from novel_engine.persistence import event_store
from tests.integration.helpers import create_campaign
from tests.live_server import GraphQLWS, LiveServer, eventually, live_server, settings_for

ROOT_FRAGMENT = """
subscription($id: ID!, $after: String) { ...Events }
fragment Events on Subscription {
  campaignEvents(campaignId: $id, after: $after) { eventType cursor payload }
}
"""

INLINE_FRAGMENT = """
subscription($id: ID!, $after: String) {
  ... on Subscription {
    campaignEvents(campaignId: $id, after: $after) { eventType cursor payload }
  }
}
"""

SHAPES = pytest.mark.parametrize(
    "document", [ROOT_FRAGMENT, INLINE_FRAGMENT], ids=["root-fragment", "inline-fragment"]
)

PRESENCE = "subscription($id: ID!) { presence(campaignId: $id) { online { displayName } } }"

UPDATE_WORLD = """
mutation($id: ID!) {
  updateWorldState(campaignId: $id, patch: {weather: "rain"}, expectedVersion: 1) { __typename }
}
"""

QUEUE_LIMIT = 5


async def read_until_closed(ws: GraphQLWS, into: list[dict[str, Any]]) -> None:
    """Read until the server closes (or 10 s pass)."""
    async with asyncio.timeout(10):
        while True:
            into.append(await ws.receive())


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[LiveServer]:
    settings = settings_for(database_url, subscriber_queue_limit=QUEUE_LIMIT)
    async with live_server(settings) as running:
        yield running


@SHAPES
async def test_only_members_may_follow_whatever_the_shape(
    server: LiveServer, document: str
) -> None:
    # given
    ada = await server.client.sign_up("Ada")
    eve = await server.client.sign_up("Eve")
    campaign = await create_campaign(server.client, ada)

    for token, code in [(eve, "NOT_FOUND"), (None, "UNAUTHENTICATED")]:
        # when
        async with server.ws(token) as ws:
            await ws.subscribe("e", document, {"id": campaign["id"]})
            message = await ws.receive()

        # then
        assert message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == code


@SHAPES
async def test_a_follower_counts_in_presence_and_shares_one_render_whatever_the_shape(
    server: LiveServer, document: str
) -> None:
    # given: Ada watches presence; Bob follows with two subscriptions of one document,
    # one of them resuming from a cursor
    ada = await server.client.sign_up("Ada")
    bob = await server.client.sign_up("Bob")
    campaign = await create_campaign(server.client, ada)
    await server.client.data(
        'mutation($id: ID!) { addCampaignMember(campaignId: $id, email: "bob@example.com", '
        "role: GAMEMASTER) { __typename } }",
        {"id": campaign["id"]},
        token=ada,
    )
    live = server.app.state.services.live
    async with server.ws(ada) as watcher, server.ws(bob) as first, server.ws(bob) as second:
        await watcher.subscribe("p", PRESENCE, {"id": campaign["id"]})
        [alone] = await watcher.next_payloads("p", 1)
        assert [u["displayName"] for u in alone["data"]["presence"]["online"]] == ["Ada"]

        # when
        await first.subscribe("e", document, {"id": campaign["id"]})
        await second.subscribe("e", document, {"id": campaign["id"], "after": position_cursor(1)})

        # then: Bob is online
        [joined] = await watcher.next_payloads("p", 1)
        online = [u["displayName"] for u in joined["data"]["presence"]["online"]]
        assert online == ["Ada", "Bob"]

        # and: one render of the change serves both subscriptions
        await eventually(lambda: live.feeds.subscribers == 2)
        await second.next_payloads("e", 1)  # Bob joining, replayed after the cursor
        renders = live.stats.renders
        data = await server.client.data(UPDATE_WORLD, {"id": campaign["id"]}, token=ada)
        assert data["updateWorldState"]["__typename"] == "Campaign"
        [seen_first] = await first.next_payloads("e", 1)
        [seen_second] = await second.next_payloads("e", 1)
        assert seen_first == seen_second
        assert seen_first["data"]["campaignEvents"]["eventType"] == "campaigns.world.state-changed"
        assert live.stats.renders - renders == 1


@SHAPES
async def test_a_follower_that_falls_behind_is_closed_with_1013_whatever_the_shape(
    server: LiveServer, engine: AsyncEngine, document: str
) -> None:
    # given: a follower receiving live events that stops reading, and more committed at
    # once than its socket's buffers and its backlog hold
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    campaign_id = uuid.UUID(campaign["id"])
    live = server.app.state.services.live
    async with server.ws(ada, max_queue=1, compression=None) as ws:
        await ws.subscribe("e", document, {"id": campaign["id"]})
        await eventually(lambda: live.feeds.subscribers == 1)
        data = await server.client.data(UPDATE_WORLD, {"id": campaign["id"]}, token=ada)
        assert data["updateWorldState"]["__typename"] == "Campaign"
        received = [await ws.receive()]
        burst = [
            DomainEvent(
                event_type=EventType.WORLD_STATE_CHANGED,
                aggregate_id=campaign_id,
                aggregate_type=AggregateType.CAMPAIGN,
                payload={"changes": {"n": n, "blob": os.urandom(50_000).hex()}},
                user_id=None,
                stream=StreamId(AggregateType.CAMPAIGN, campaign_id),
            )
            for n in range(QUEUE_LIMIT * 20)
        ]

        # when
        async with engine.begin() as conn:
            stored = await event_store.append(conn, burst)
        await live.publish(stored)

        # then: it is told to resume by cursor, never handed a stream with a hole
        with pytest.raises(ConnectionClosed) as closed:
            await read_until_closed(ws, received)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    cursors = [m["payload"]["data"]["campaignEvents"]["cursor"] for m in received]
    assert cursors == [position_cursor(2 + i) for i in range(len(cursors))]
