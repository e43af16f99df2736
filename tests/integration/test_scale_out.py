"""Several server processes' worth of servers sharing one database and Redis."""

from __future__ import annotations

import asyncio

from novel_engine.graphql.pagination import position_cursor
from tests.integration.helpers import create_campaign
from tests.live_server import LiveServer, live_server, settings_for
from tests.redis_servers import OwnRedis, shared_redis_url

EVENTS = """
subscription($id: ID!, $after: String) {
  campaignEvents(campaignId: $id, after: $after) { cursor payload }
}
"""

UPDATE_WORLD = """
mutation($id: ID!, $patch: JSON!, $expected: Int!) {
  updateWorldState(campaignId: $id, patch: $patch, expectedVersion: $expected) { __typename }
}
"""


async def change_world(server: LiveServer, token: str, campaign_id: str, versions: range) -> None:
    for version in versions:
        data = await server.client.data(
            UPDATE_WORLD,
            {"id": campaign_id, "patch": {"n": version}, "expected": version},
            token=token,
        )
        assert data["updateWorldState"]["__typename"] == "Campaign"


def world_versions(payloads: list[dict]) -> list[int]:
    return [p["data"]["campaignEvents"]["payload"]["worldVersion"] for p in payloads]


async def test_a_change_on_one_server_reaches_subscribers_on_another(database_url: str) -> None:
    settings = settings_for(database_url, redis_url=shared_redis_url())
    async with live_server(settings) as a, live_server(settings) as b:
        ada = await a.client.sign_up("Ada")
        campaign = await create_campaign(b.client, ada)
        async with a.ws(ada) as on_a, b.ws(ada) as on_b:
            for ws in (on_a, on_b):
                await ws.subscribe("e", EVENTS, {"id": campaign["id"], "after": position_cursor(1)})

            await change_world(b, ada, campaign["id"], range(1, 4))
            await change_world(a, ada, campaign["id"], range(4, 6))

            for ws in (on_a, on_b):
                assert world_versions(await ws.next_payloads("e", 5)) == [2, 3, 4, 5, 6]


async def test_delivery_survives_redis_being_killed_and_restarted(
    database_url: str, own_redis: OwnRedis
) -> None:
    settings = settings_for(database_url, redis_url=own_redis.url)
    async with live_server(settings) as a, live_server(settings) as b:
        ada = await a.client.sign_up("Ada")
        campaign = await create_campaign(a.client, ada)
        async with a.ws(ada) as ws:
            await ws.subscribe("e", EVENTS, {"id": campaign["id"], "after": position_cursor(1)})
            await change_world(b, ada, campaign["id"], range(1, 4))
            assert world_versions(await ws.next_payloads("e", 3)) == [2, 3, 4]

            # Redis dies: writes still commit; the broker is reported unreachable
            own_redis.kill()
            await change_world(b, ada, campaign["id"], range(4, 7))
            ready = await a.client.http.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["broker"] == "unreachable"

            # Redis returns: the hub reconnects and the subscriber heals from the store
            own_redis.start()
            await change_world(b, ada, campaign["id"], range(7, 9))
            assert world_versions(await ws.next_payloads("e", 5, within=20)) == [5, 6, 7, 8, 9]
            with_nothing_twice = asyncio.wait_for(ws.receive(), 1)
            try:
                extra = await with_nothing_twice
            except TimeoutError:
                extra = None
            assert extra is None
        metrics = (await a.client.http.get("/metrics")).text
        reconnects = next(
            line for line in metrics.splitlines() if line.startswith("novel_engine_hub_reconnects")
        )
        assert reconnects.startswith("novel_engine_hub_reconnects_total ")
        assert float(reconnects.split()[1]) >= 1
        assert (await a.client.http.get("/ready")).status_code == 200
