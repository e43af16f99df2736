"""No gap, no duplicate, bounded memory: live delivery under load and misbehaviour."""

from __future__ import annotations

import asyncio
import json
import os
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StreamId
from novel_engine.graphql.pagination import position_cursor
from novel_engine.persistence import event_store
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign
from tests.live_server import LiveServer, live_server, settings_for

EVENTS = """
subscription($id: ID!, $after: String) {
  campaignEvents(campaignId: $id, after: $after) { eventId eventType cursor payload }
}
"""

UPDATE_WORLD = """
mutation($id: ID!, $patch: JSON!, $expected: Int!) {
  updateWorldState(campaignId: $id, patch: $patch, expectedVersion: $expected) {
    __typename
    ... on Campaign { worldVersion }
    ... on VersionConflict { currentVersion }
  }
}
"""

ALL_EVENTS = """
query($id: ID!, $after: String) {
  campaign(id: $id) {
    events(first: 100, after: $after) {
      edges { node { eventId cursor } } pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def read_all(socket: ClientConnection, into: list[dict[str, Any]]) -> None:
    """Read until the server closes (or 20 s pass)."""
    async with asyncio.timeout(20):
        while True:
            into.append(json.loads(await socket.recv()))


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[LiveServer]:
    async with live_server(settings_for(database_url, subscriber_queue_limit=5)) as running:
        yield running


async def write_until_done(client: AppClient, token: str, campaign_id: str, writes: int) -> None:
    """Change the world `writes` times, retrying on VersionConflict with the current version."""
    version = 1
    done = 0
    while done < writes:
        data = await client.data(
            UPDATE_WORLD,
            {"id": campaign_id, "patch": {"by": token[-6:], "n": done}, "expected": version},
            token=token,
        )
        result = data["updateWorldState"]
        if result["__typename"] == "Campaign":
            version = result["worldVersion"]
            done += 1
        else:
            version = result["currentVersion"]


async def store_sequence(client: AppClient, token: str, campaign_id: str) -> list[tuple[str, str]]:
    sequence: list[tuple[str, str]] = []
    after = None
    while True:
        data = await client.data(ALL_EVENTS, {"id": campaign_id, "after": after}, token=token)
        events = data["campaign"]["events"]
        sequence += [(e["node"]["cursor"], e["node"]["eventId"]) for e in events["edges"]]
        if not events["pageInfo"]["hasNextPage"]:
            return sequence
        after = events["pageInfo"]["endCursor"]


async def test_readers_resuming_under_concurrent_writers_see_exactly_the_store(
    server: LiveServer,
) -> None:
    # given: four writers on one campaign
    owner = await server.client.sign_up("Owner")
    campaign = await create_campaign(server.client, owner)
    writers = []
    for i in range(4):
        email = f"w{i}@example.com"
        writers.append(await server.client.sign_up(f"W{i}", email))
        await server.client.data(
            "mutation($id: ID!, $e: String!) { addCampaignMember(campaignId: $id, email: $e, "
            "role: GAMEMASTER) { __typename } }",
            {"id": campaign["id"], "e": email},
            token=owner,
        )
    expected_total = 1 + 4 + 4 * 12  # created, members added, world changes
    rng = random.Random(7)

    # when: readers keep dropping and resuming with their last cursor while writes happen
    async def reader() -> list[tuple[str, str]]:
        seen: list[tuple[str, str]] = []
        after = position_cursor(0)
        while len(seen) < expected_total:
            async with server.ws(owner) as ws:
                await ws.subscribe("r", EVENTS, {"id": campaign["id"], "after": after})
                for _ in range(rng.randint(3, 9)):
                    if len(seen) == expected_total:
                        break
                    [payload] = await ws.next_payloads("r", 1, within=20)
                    event = payload["data"]["campaignEvents"]
                    seen.append((event["cursor"], event["eventId"]))
                    after = event["cursor"]
        return seen

    reading = [asyncio.create_task(reader()) for _ in range(3)]
    await asyncio.gather(*(write_until_done(server.client, w, campaign["id"], 12) for w in writers))
    sequences = await asyncio.wait_for(asyncio.gather(*reading), 60)

    # then
    store = await store_sequence(server.client, owner, campaign["id"])
    assert len(store) == expected_total
    for seen in sequences:
        assert seen == store


async def test_two_coauthors_racing_on_one_version_one_wins_both_see_it(
    server: LiveServer,
) -> None:
    ada = await server.client.sign_up("Ada")
    gim = await server.client.sign_up("Gim")
    campaign = await create_campaign(server.client, ada)
    await server.client.data(
        'mutation($id: ID!) { addCampaignMember(campaignId: $id, email: "gim@example.com", '
        "role: GAMEMASTER) { __typename } }",
        {"id": campaign["id"]},
        token=ada,
    )
    async with server.ws(ada) as ada_ws, server.ws(gim) as gim_ws:
        for ws in (ada_ws, gim_ws):
            await ws.subscribe("w", EVENTS, {"id": campaign["id"]})
        await asyncio.sleep(0.2)

        results = await asyncio.gather(
            *(
                server.client.data(
                    UPDATE_WORLD,
                    {"id": campaign["id"], "patch": {"weather": name}, "expected": 1},
                    token=token,
                )
                for name, token in [("sun", ada), ("storm", gim)]
            )
        )

        outcomes = sorted(r["updateWorldState"]["__typename"] for r in results)
        assert outcomes == ["Campaign", "VersionConflict"]
        winner = next(
            name
            for name, r in zip(["sun", "storm"], results, strict=True)
            if r["updateWorldState"]["__typename"] == "Campaign"
        )
        for ws in (ada_ws, gim_ws):
            [payload] = await ws.next_payloads("w", 1)
            assert payload["data"]["campaignEvents"]["payload"]["changes"] == {"weather": winner}
            with pytest.raises(TimeoutError):
                await ws.receive(within=0.5)


async def test_a_slow_consumer_is_disconnected_and_resumes_by_cursor(server: LiveServer) -> None:
    # given: a subscriber that stops reading
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    feeds = server.app.state.services.live.feeds
    async with server.ws(ada, max_queue=1, compression=None) as slow:
        await slow.subscribe("s", EVENTS, {"id": campaign["id"], "after": position_cursor(1)})
        await asyncio.sleep(0.2)

        # when: far more arrives than its queue and the socket's buffers hold
        for version in range(1, 81):
            blob = os.urandom(50_000).hex()  # incompressible, whatever the socket negotiates
            data = await server.client.data(
                UPDATE_WORLD,
                {"id": campaign["id"], "patch": {"blob": blob}, "expected": version},
                token=ada,
            )
            assert data["updateWorldState"]["__typename"] == "Campaign"

        # then: it is told to go away, and what it got before is a clean prefix
        received: list[dict[str, Any]] = []
        with pytest.raises(ConnectionClosed) as closed:
            await read_all(slow.socket, received)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1013
        assert "resume" in closed.value.rcvd.reason
    assert len(received) < 80
    assert feeds._feeds.get(uuid.UUID(campaign["id"])) is None  # nothing left behind

    # and: resuming after its last cursor delivers the rest, once each
    last = received[-1]["payload"]["data"]["campaignEvents"]["cursor"] if received else None
    async with server.ws(ada) as ws:
        await ws.subscribe("r", EVENTS, {"id": campaign["id"], "after": last or position_cursor(1)})
        rest = await ws.next_payloads("r", 80 - len(received), within=20)
    versions = [p["data"]["campaignEvents"]["payload"]["worldVersion"] for p in rest]
    assert versions == list(range(2 + len(received), 82))


async def test_an_event_that_cannot_be_sent_closes_the_connection_rather_than_being_skipped(
    server: LiveServer, database_url: str, engine: AsyncEngine
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL refuses to store a lone surrogate in the first place")
    # given: a subscriber, and an event in the store whose payload no UTF-8 frame can carry
    # (the API refuses such text now; data written before that, or by hand, may hold it)
    ada = await server.client.sign_up("Ada")
    campaign = await create_campaign(server.client, ada)
    campaign_id = uuid.UUID(campaign["id"])
    async with server.ws(ada) as ws:
        await ws.subscribe("e", EVENTS, {"id": campaign["id"]})
        await asyncio.sleep(0.2)
        poisoned = DomainEvent(
            event_type=EventType.WORLD_STATE_CHANGED,
            aggregate_id=campaign_id,
            aggregate_type=AggregateType.CAMPAIGN,
            payload={"changes": {"mark": "\ud800"}},
            user_id=None,
            stream=StreamId(AggregateType.CAMPAIGN, campaign_id),
        )
        async with engine.begin() as conn:
            stored = await event_store.append(conn, [poisoned])
        await server.app.state.services.live.publish(stored)

        # then: the subscriber is told to resume instead of silently missing the event
        with pytest.raises(ConnectionClosed) as closed:
            await ws.receive(within=5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1011
        assert "resume" in closed.value.rcvd.reason
