"""campaignEvents over graphql-transport-ws against a real server on a port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from novel_engine.graphql.pagination import position_cursor
from tests.integration.helpers import create_campaign
from tests.live_server import LiveServer, eventually, live_server, settings_for

EVENTS = """
subscription($id: ID!, $after: String) {
  campaignEvents(campaignId: $id, after: $after) { eventType cursor payload }
}
"""

FIRST = position_cursor(1)  # just after the campaign was created

UPDATE_WORLD = """
mutation($id: ID!, $patch: JSON!, $expected: Int!) {
  updateWorldState(campaignId: $id, patch: $patch, expectedVersion: $expected) {
    __typename ... on VersionConflict { currentVersion }
  }
}
"""


@pytest.fixture
async def server(database_url: str, hub_url: str | None) -> AsyncIterator[LiveServer]:
    settings = settings_for(database_url, ws_init_timeout=0.5, redis_url=hub_url)
    async with live_server(settings) as running:
        yield running


async def bump(server: LiveServer, token: str, campaign_id: str, version: int) -> None:
    data = await server.client.data(
        UPDATE_WORLD,
        {"id": campaign_id, "patch": {"n": version}, "expected": version},
        token=token,
    )
    assert data["updateWorldState"]["__typename"] == "Campaign", data


async def test_a_member_sees_changes_live(server: LiveServer) -> None:
    # given
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    async with server.ws(ada) as ws:
        await ws.subscribe("1", EVENTS, {"id": campaign["id"]})
        await asyncio.sleep(0.2)

        # when
        await bump(server, ada, campaign["id"], 1)

        # then
        [payload] = await ws.next_payloads("1", 1)
        event = payload["data"]["campaignEvents"]
        assert event["eventType"] == "campaigns.world.state-changed"
        assert event["payload"]["changes"] == {"n": 1}


async def test_after_replays_then_continues_live(server: LiveServer) -> None:
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    for version in range(1, 4):
        await bump(server, ada, campaign["id"], version)
    async with server.ws(ada) as ws:
        await ws.subscribe("all", EVENTS, {"id": campaign["id"], "after": FIRST})
        history = await ws.next_payloads("all", 3)
    cursors = [p["data"]["campaignEvents"]["cursor"] for p in history]

    async with server.ws(ada) as ws:
        await ws.subscribe("resume", EVENTS, {"id": campaign["id"], "after": cursors[0]})
        replayed = await ws.next_payloads("resume", 2)
        await bump(server, ada, campaign["id"], 4)
        [live] = await ws.next_payloads("resume", 1)

    assert [p["data"]["campaignEvents"]["cursor"] for p in replayed] == cursors[1:]
    assert live["data"]["campaignEvents"]["payload"]["changes"] == {"n": 4}


async def test_non_members_and_bad_cursors_are_refused(server: LiveServer) -> None:
    ada = await server.client.sign_up("Ada")
    eve = await server.client.sign_up("Eve")
    campaign = await create_campaign(server.client, ada)
    for token, variables, code in [
        (eve, {"id": campaign["id"]}, "NOT_FOUND"),
        (None, {"id": campaign["id"]}, "UNAUTHENTICATED"),
        (ada, {"id": "nonsense"}, "NOT_FOUND"),
        (ada, {"id": campaign["id"], "after": "bogus"}, "INVALID_INPUT"),
    ]:
        async with server.ws(token) as ws:
            await ws.subscribe("1", EVENTS, variables)
            message = await ws.receive()
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == code


async def test_same_document_is_executed_once_per_event(server: LiveServer) -> None:
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    sockets = [server.ws(ada) for _ in range(5)]
    clients = [await s.__aenter__() for s in sockets]
    try:
        for i, ws in enumerate(clients):
            # different cursors, same group: `after` only decides where replay starts
            await ws.subscribe(
                f"s{i}", EVENTS, {"id": campaign["id"], "after": FIRST if i else None}
            )
        other = clients[0]
        await other.subscribe(
            "other",
            "subscription($id: ID!) { campaignEvents(campaignId: $id) { eventId } }",
            {"id": campaign["id"]},
        )
        live = server.app.state.services.live
        await eventually(lambda: live.feeds.subscribers == 6)  # all registered with the feed
        before = live.stats.renders

        await bump(server, ada, campaign["id"], 1)

        received = [await ws.next_payloads(f"s{i}", 1) for i, ws in enumerate(clients[1:], 1)]
        assert len({str(r) for r in received}) == 1
        assert live.stats.renders - before == 2  # one per group: EVENTS, and the other document
        metrics = (await server.client.http.get("/metrics")).text
        assert "novel_engine_websocket_connections 5.0" in metrics
        assert "novel_engine_live_subscribers 6.0" in metrics
        assert f"novel_engine_live_renders_total {float(live.stats.renders)}" in metrics
    finally:
        for s in sockets:
            await s.__aexit__(None, None, None)


async def test_live_events_go_straight_to_each_socket_once_and_in_order(
    server: LiveServer,
) -> None:
    # given: ten browsers with a subscription each, and one with two
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    sockets = [server.ws(ada) for _ in range(11)]
    clients = [await s.__aenter__() for s in sockets]
    try:
        for i, ws in enumerate(clients):
            await ws.subscribe(f"s{i}", EVENTS, {"id": campaign["id"]})
        await clients[0].subscribe("twice", EVENTS, {"id": campaign["id"]})
        live = server.app.state.services.live
        await eventually(lambda: live.feeds.subscribers == 12)
        written = server.app.state.websockets.direct_frames

        # when: events committed one after another, without waiting for delivery
        for version in range(1, 21):
            await bump(server, ada, campaign["id"], version)

        # then: every subscription gets each event once, in commit order ...
        for i, ws in enumerate(clients[1:], start=1):
            received = await ws.next_payloads(f"s{i}", 20)
            assert [p["data"]["campaignEvents"]["payload"]["changes"]["n"] for p in received] == (
                list(range(1, 21))
            )
        both: dict[str, list[int]] = {"s0": [], "twice": []}
        while sum(map(len, both.values())) < 40:
            message = await clients[0].receive()
            assert message["type"] == "next", message
            both[message["id"]].append(
                message["payload"]["data"]["campaignEvents"]["payload"]["changes"]["n"]
            )
        assert both == {"s0": list(range(1, 21)), "twice": list(range(1, 21))}
        # ... written from the feed straight to the sockets, none the long way
        assert server.app.state.websockets.direct_frames - written == 12 * 20
        for ws in clients:
            with pytest.raises(TimeoutError):
                await ws.receive(within=0.2)
    finally:
        for s in sockets:
            await s.__aexit__(None, None, None)


async def test_a_completed_subscription_is_sent_nothing_more(server: LiveServer) -> None:
    # given: two subscriptions on one socket
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    async with server.ws(ada) as ws:
        await ws.subscribe("kept", EVENTS, {"id": campaign["id"]})
        await ws.subscribe("done", EVENTS, {"id": campaign["id"]})
        live = server.app.state.services.live
        await eventually(lambda: live.feeds.subscribers == 2)
        await bump(server, ada, campaign["id"], 1)
        first = [await ws.receive(), await ws.receive()]
        assert sorted(m["id"] for m in first) == ["done", "kept"]

        # when
        await ws.send({"id": "done", "type": "complete"})
        await eventually(lambda: live.feeds.subscribers == 1)
        await bump(server, ada, campaign["id"], 2)

        # then
        [payload] = await ws.next_payloads("kept", 1)
        assert payload["data"]["campaignEvents"]["payload"]["changes"] == {"n": 2}
        with pytest.raises(TimeoutError):
            await ws.receive(within=0.3)
