"""What connections cost a server: CPU per connection in a connect storm (connect, the
upgrade, `connection_init`, one subscription) and memory per idle subscription.

Both take the fan-out's subscribers (bench/fanout.py): the storm counts the server's
CPU from before the first connection until it is quiet again after the last
subscription; memory is the server's VmRSS before and after, once the subscriptions are
live (proved by one event reaching every one of them) and the server is quiet. Before
either, one subscriber connects and gets an event, so what runs once per process (code
paths, caches) is not counted per connection.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from clients import Pool, Share, split
from fanout import PATH, Target
from processes import cpu_seconds, quiet, rss_bytes
from servers import HOST


def pool_of(target: Target, processes: int) -> Pool:
    return Pool(
        [
            Share(HOST, target.server.port, target.init, part, PATH)
            for part in split(target.payloads, processes)
        ]
    )


async def connect(pool: Pool, target: Target) -> None:
    if not await pool.start(within=60 + len(target.payloads) / 20):
        await pool.close()
        raise SystemExit(f"{target.server.name}: the clients did not connect in time")
    await quiet(target.server.pid)


async def reached(pool: Pool, target: Target, index: int) -> int:
    """How many of the pool's subscribers got event `index` (sent now)."""
    await asyncio.sleep(0.5)  # the last subscriptions are live before the event
    await target.trigger(index)
    await pool.until(pool.everyone_got(index), 30 + len(target.payloads) / 200)
    reports = await pool.collect(index + 1)
    return sum(1 for r in reports for i, _ in r["arrivals"] if i == index)


async def warm(target: Target) -> None:
    one = dataclasses.replace(target, payloads=target.payloads[:1])
    pool = pool_of(one, 1)
    await connect(pool, one)
    await reached(pool, one, 0)
    await pool.close()
    await quiet(target.server.pid)


async def storm(target: Target, processes: int) -> dict[str, Any]:
    await warm(target)
    pool = pool_of(target, processes)
    cpu = cpu_seconds(target.server.pid)
    try:
        await connect(pool, target)
        cpu = cpu_seconds(target.server.pid) - cpu
        live = await reached(pool, target, 1)
    finally:
        await pool.close()
    connected = sum(r["connected"] for r in pool.ready)
    return {
        "connections": len(target.payloads),
        "connected": connected,
        "live": live,
        "deflate_connections": sum(r["deflate"] for r in pool.ready),
        "server_cpu_s": cpu,
        "cpu_ms_per_connection": cpu / max(connected, 1) * 1000,
        "client_connect_s": max(r["seconds"] for r in pool.ready),
        "client_processes": processes,
    }


async def idle_memory(target: Target, processes: int) -> dict[str, Any]:
    await warm(target)
    before = rss_bytes(target.server.pid)
    pool = pool_of(target, processes)
    try:
        await connect(pool, target)
        live = await reached(pool, target, 1)
        await quiet(target.server.pid)
        after = rss_bytes(target.server.pid)
    finally:
        await pool.close()
    count = len(target.payloads)
    return {
        "subscriptions": count,
        "live": live,
        "rss_before_mb": before / 2**20,
        "rss_after_mb": after / 2**20,
        "kb_per_subscription": (after - before) / count / 1024,
        "client_processes": processes,
    }
