"""Fan-out: N subscribers, one WebSocket connection each, follow one stream while events
are published one at a time (the next once every subscriber has the last, or a timeout
has passed). Server CPU per delivered message over the measured events only, delivery
latency from the trigger's send to the subscriber's read (p50/p99), and every message
checked: each event once per subscriber, in order.

Ours: `campaignEvents` of one campaign, the event an `updateWorldState`. The peer: its
`campaignEvents`, the event a `publish` into its broadcast. Both carry the event's
index in `payload.changes.i`.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from clients import Pool, Share, split
from processes import cpu_seconds
from servers import HOST, Server, call, sign_up

PATH = ("campaignEvents", "payload", "changes", "i")
OURS_DOCUMENT = (
    "subscription($c: ID!) { campaignEvents(campaignId: $c) { eventId eventType cursor payload } }"
)
PEER_DOCUMENT = "subscription { campaignEvents { eventId eventType cursor payload } }"
WARM_UPS = 30


@dataclass
class Target:
    """What differs between the servers: who subscribes to what, and how an event is made."""

    server: Server
    init: dict[str, Any]
    payloads: list[dict[str, Any] | None]
    trigger: Callable[[int], Awaitable[None]]


async def campaign(http: httpx.AsyncClient, token: str, name: str, **fields: Any) -> str:
    extra = "".join(f", {k}: {v}" for k, v in fields.items())
    data = await call(
        http,
        f"mutation($n: String!) {{ createCampaign(input: {{name: $n{extra}}}) "
        "{ ... on Campaign { id } ... on Error { code message } } }",
        token,
        n=name,
    )
    campaign_id: str = data["createCampaign"]["id"]
    return campaign_id


def world_trigger(
    http: httpx.AsyncClient,
    token: str,
    campaign_id: str,
    version: int = 1,
    patch: Callable[[int], dict[str, Any]] = lambda index: {"i": index},
) -> Callable[[int], Any]:
    """Events of our campaign: world-state changes carrying `i`, from world `version`."""
    current = {"world": version}

    async def trigger(index: int) -> None:
        data = await call(
            http,
            "mutation($c: ID!, $p: JSON!, $v: Int!) { updateWorldState(campaignId: $c, "
            "patch: $p, expectedVersion: $v) { __typename ... on Error { code message } } }",
            token,
            c=campaign_id,
            p=patch(index),
            v=current["world"],
        )
        if data["updateWorldState"]["__typename"] != "Campaign":
            raise SystemExit(f"updateWorldState refused: {data}")
        current["world"] += 1

    return trigger


async def ours(server: Server, http: httpx.AsyncClient, subscribers: int) -> Target:
    token = await sign_up(http, "Fan")
    campaign_id = await campaign(http, token, "Fan-out")
    payload = {"query": OURS_DOCUMENT, "variables": {"c": campaign_id}}
    return Target(
        server,
        {"Authorization": f"Bearer {token}"},
        [payload] * subscribers,
        world_trigger(http, token, campaign_id),
    )


def peer_trigger(
    http: httpx.AsyncClient, patch: Callable[[int], dict[str, Any]] = lambda index: {"i": index}
) -> Callable[[int], Any]:
    async def trigger(index: int) -> None:
        await call(
            http, "mutation($p: JSON!) { publish(payload: $p) }", p={"changes": patch(index)}
        )

    return trigger


async def peer(server: Server, http: httpx.AsyncClient, subscribers: int) -> Target:
    return Target(server, {}, [{"query": PEER_DOCUMENT}] * subscribers, peer_trigger(http))


async def measure(
    target: Target, events: int, processes: int, path: tuple[str, ...] = PATH
) -> dict[str, Any]:
    subscribers = len(target.payloads)
    shares = [
        Share(HOST, target.server.port, target.init, part, path)
        for part in split(target.payloads, processes)
    ]
    pool = Pool(shares)
    patience = 10 + subscribers / 200  # seconds for one event to reach everyone
    try:
        if not await pool.start(within=60 + subscribers / 20):
            raise SystemExit(f"{target.server.name}: the clients did not connect in time")
        connected = sum(r["connected"] for r in pool.ready)
        # Warm-ups until every subscription is live, then until the last one reached all.
        index = -1
        while pool.warm < len(shares) and index >= -WARM_UPS:
            await target.trigger(index)
            await pool.until(lambda: pool.warm == len(shares), 2)
            index -= 1
        await pool.until(pool.everyone_got(index + 1), patience)
        await asyncio.sleep(0.2)

        sent: dict[int, float] = {}
        cpu, clients_cpu = cpu_seconds(target.server.pid), pool.cpu_seconds()
        started = time.perf_counter()
        for index in range(events):
            sent[index] = time.perf_counter()
            await target.trigger(index)
            await pool.until(pool.everyone_got(index), patience)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(target.server.pid) - cpu
        clients_cpu = pool.cpu_seconds() - clients_cpu
        reports = await pool.collect(events)
    finally:
        await pool.close()

    latencies = sorted(
        (at - sent[index]) * 1000 for report in reports for index, at in report["arrivals"]
    )
    delivered = len(latencies)
    return {
        "subscribers": subscribers,
        "connected": connected,
        "connect_failures": sum(r["failed"] for r in pool.ready),
        "connect_failure_sample": next(
            (r["first_failure"] for r in pool.ready if r["first_failure"]), None
        ),
        "deflate_connections": sum(r["deflate"] for r in pool.ready),
        "client_processes": processes,
        "events": events,
        "expected": events * subscribers,
        "delivered": delivered,
        "lost": sum(r["lost"] for r in reports),
        "duplicated": sum(r["duplicated"] for r in reports),
        "out_of_order": sum(r["out_of_order"] for r in reports),
        "errors": sum(r["errors"] for r in reports),
        "error_sample": next((r["error_sample"] for r in reports if r["error_sample"]), None),
        "server_cpu_s": cpu,
        "cpu_us_per_message": cpu / max(delivered, 1) * 1e6,
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else None,
        "window_s": wall,
        "client_cpu_share": clients_cpu / wall / processes,
    }
