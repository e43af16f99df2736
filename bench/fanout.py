"""Fan-out cost: server CPU per delivered message, and delivery latency (p50/p99), for
100, 1,000 and 5,000 subscribers of one campaign, beside a plain Strawberry
subscription server (built below) doing the same work the obvious way: one execution
and one serialization per subscriber.

    .venv/bin/python bench/fanout.py [--subscribers 100 1000 5000] [--events 10]

Both servers run as separate processes on loopback; their CPU time is read from
/proc. Subscribers are graphql-transport-ws subscriptions, up to 100 per connection.
It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import strawberry
from processes import cpu_seconds, free_port
from strawberry.asgi import GraphQL
from strawberry.scalars import JSON
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

PER_CONNECTION = 100


# ---------------------------------------------------------------- the baseline server
LISTENERS: set[asyncio.Queue[dict[str, Any]]] = set()


@strawberry.type
class Event:
    event_id: str
    event_type: str
    cursor: str
    payload: JSON


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Mutation:
    @strawberry.mutation
    def publish(self, payload: JSON) -> bool:
        event = {"event_id": str(uuid.uuid4()), "payload": payload}
        for queue in LISTENERS:
            queue.put_nowait(event)
        return True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def campaign_events(self) -> AsyncGenerator[Event, None]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        LISTENERS.add(queue)
        try:
            while True:
                item = await queue.get()
                yield Event(
                    event_id=item["event_id"],
                    event_type="campaigns.world.state-changed",
                    cursor="x",
                    payload=item["payload"],
                )
        finally:
            LISTENERS.discard(queue)


def baseline_app() -> GraphQL[Any, Any]:
    """A plain Strawberry server: an in-memory broadcast, one generator per subscriber."""
    return GraphQL(strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription))


# ---------------------------------------------------------------- measuring
@dataclass
class Figures:
    subscribers: int
    delivered: int
    cpu_per_message_us: float
    p50_ms: float
    p99_ms: float


async def measure(
    ws_url: str,
    init: dict[str, Any],
    document: str,
    variables: dict[str, Any],
    trigger: Callable[[int], Awaitable[None]],
    index_of: Callable[[dict[str, Any]], int],
    subscribers: int,
    events: int,
    pid: int,
) -> Figures:
    received: dict[int, list[float]] = {i: [] for i in range(-1, events)}
    arrived = {i: asyncio.Event() for i in received}
    sockets: list[ClientConnection] = []

    async def read(ws: ClientConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "next":
                index = index_of(message["payload"]["data"])
                received[index].append(time.perf_counter())
                if len(received[index]) == subscribers:
                    arrived[index].set()

    readers = []
    for start in range(0, subscribers, PER_CONNECTION):
        ws = await connect(
            ws_url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            max_size=None,
            compression=None,
        )
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        for n in range(start, min(start + PER_CONNECTION, subscribers)):
            await ws.send(
                json.dumps(
                    {
                        "id": str(n),
                        "type": "subscribe",
                        "payload": {"query": document, "variables": variables},
                    }
                )
            )
        sockets.append(ws)
        readers.append(asyncio.create_task(read(ws)))

    async def all_arrived(index: int) -> None:
        """Wait until every subscriber has event `index` (or a minute has passed)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived[index].wait(), 60)

    # warm-up: everyone is subscribed once everyone got event -1
    await asyncio.sleep(0.5)
    await trigger(-1)
    await all_arrived(-1)

    sent: dict[int, float] = {}
    cpu_before = cpu_seconds(pid)
    for index in range(events):
        sent[index] = time.perf_counter()
        await trigger(index)
        await all_arrived(index)
    cpu = cpu_seconds(pid) - cpu_before

    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    latencies = sorted(
        (at - sent[index]) * 1000 for index in range(events) for at in received[index]
    )
    delivered = len(latencies)
    return Figures(
        subscribers,
        delivered,
        cpu / max(delivered, 1) * 1e6,
        statistics.median(latencies) if latencies else float("nan"),
        latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
    )


# ---------------------------------------------------------------- the two servers
def start(command: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(command)}")


async def novel_engine(subscribers: int, events: int, workdir: Path) -> Figures:
    port = free_port()
    env = {
        **os.environ,
        "NOVEL_ENGINE_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/bench.db",
        "NOVEL_ENGINE_SECRET_KEY": "bench-secret-key-long-enough-for-hs256-signing",
    }
    env.pop("NOVEL_ENGINE_REDIS_URL", None)
    url = f"http://127.0.0.1:{port}"
    executable = str(Path(sys.executable).parent / "novel-engine")
    process = start([executable, "serve", "--port", str(port)], env, f"{url}/health")
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            email = f"{uuid.uuid4().hex[:8]}@example.com"
            signed = (
                await http.post(
                    "/graphql",
                    json={
                        "query": f"mutation {{ signUp(input: "
                        f'{{email: "{email}", password: "long enough", displayName: "B"}}) '
                        "{ ... on AuthPayload { token } } }"
                    },
                )
            ).json()
            token = signed["data"]["signUp"]["token"]
            http.headers["Authorization"] = f"Bearer {token}"
            created = (
                await http.post(
                    "/graphql",
                    json={
                        "query": "mutation { createCampaign("
                        'input: {name: "Bench"}) { ... on Campaign { id } } }'
                    },
                )
            ).json()
            campaign = created["data"]["createCampaign"]["id"]
            version = {"world": 1}

            async def trigger(index: int) -> None:
                body = await http.post(
                    "/graphql",
                    json={
                        "query": "mutation($c: ID!, $p: JSON!, $v: Int!) { updateWorldState("
                        "campaignId: $c, patch: $p, expectedVersion: $v) { __typename } }",
                        "variables": {"c": campaign, "p": {"i": index}, "v": version["world"]},
                    },
                )
                assert body.json()["data"]["updateWorldState"]["__typename"] == "Campaign"
                version["world"] += 1

            return await measure(
                f"ws://127.0.0.1:{port}/graphql",
                {"Authorization": f"Bearer {token}"},
                "subscription($c: ID!) { campaignEvents(campaignId: $c) "
                "{ eventId eventType cursor payload } }",
                {"c": campaign},
                trigger,
                lambda data: int(data["campaignEvents"]["payload"]["changes"]["i"]),
                subscribers,
                events,
                process.pid,
            )
    finally:
        process.terminate()
        process.wait()


async def baseline(subscribers: int, events: int) -> Figures:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start(
        [sys.executable, __file__, "--serve-baseline", str(port)],
        dict(os.environ),
        f"{url}/graphql",
    )
    try:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:

            async def trigger(index: int) -> None:
                await http.post(
                    "/graphql",
                    json={
                        "query": "mutation($p: JSON!) { publish(payload: $p) }",
                        "variables": {"p": {"changes": {"i": index}}},
                    },
                )

            return await measure(
                f"ws://127.0.0.1:{port}/graphql",
                {},
                "subscription { campaignEvents { eventId eventType cursor payload } }",
                {},
                trigger,
                lambda data: int(data["campaignEvents"]["payload"]["changes"]["i"]),
                subscribers,
                events,
                process.pid,
            )
    finally:
        process.terminate()
        process.wait()


async def main(counts: list[int], events: int) -> None:
    print(f"{events} events per run; CPU is the server process's user+system time\n")
    print(
        f"{'server':<18}{'subscribers':>12}{'delivered':>11}{'CPU µs/msg':>12}"
        f"{'p50 ms':>9}{'p99 ms':>9}"
    )
    with tempfile.TemporaryDirectory() as workdir:
        for count in counts:
            for name, run in [
                ("novel-engine", lambda c=count: novel_engine(c, events, Path(workdir))),
                ("plain strawberry", lambda c=count: baseline(c, events)),
            ]:
                f = await run()
                print(
                    f"{name:<18}{f.subscribers:>12}{f.delivered:>11}"
                    f"{f.cpu_per_message_us:>12.1f}{f.p50_ms:>9.1f}{f.p99_ms:>9.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-baseline":
        import uvicorn

        uvicorn.run(
            baseline_app(),
            host="127.0.0.1",
            port=int(sys.argv[2]),
            log_level="error",
            ws_ping_interval=None,
        )
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--events", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.events))
