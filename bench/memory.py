"""Memory retrieval and turn-brief latency as a character's memories and beliefs grow: a
ranked query (full-text rank, importance and recency candidates, scored in Python), a
newest-first page, and the character's turn brief (its newest beliefs and the events it
perceived last, as `turnBrief` builds it), at 1k, 10k and 100k memories and as many
beliefs per character, on SQLite and PostgreSQL.

    .venv/bin/python bench/memory.py [--sizes 1000 10000 100000] [--runs 30]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--no-postgres]

The fixture is written in bulk straight into a migrated scratch database (a temporary
SQLite file; a PostgreSQL database created for the run and dropped after, through the
admin URL given, never written into). A second character holds as many memories and
beliefs again, so the indexes are shared as in a real campaign; both witnessed every
event of the campaign's stream, an `interactions.action.performed` at each position (a
memory and a belief of each character per event). It prints a table of median and p95
milliseconds; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain import brief
from novel_engine.domain.campaign import Campaign
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.memories import MemoryReads
from novel_engine.persistence.migrate import upgrade
from novel_engine.persistence.tables import (
    beliefs,
    campaign_characters,
    campaign_members,
    campaigns,
    characters,
    event_streams,
    events,
    memories,
    projection_checkpoints,
    users,
)
from novel_engine.persistence.uow import SqlUnitOfWork

PEOPLE = ["Anna", "Bram", "Cora", "Dunn", "Esme", "Fenn", "Gale", "Hale"]
VERBS = ["struck", "greeted", "followed", "warned", "thanked", "robbed", "healed", "mocked"]
THINGS = ["lantern", "key", "map", "sword", "bell", "coin", "letter", "ring", "rope", "cup"]
PLACES = ["mill", "harbour", "lighthouse", "tavern", "bridge", "chapel", "market", "forge"]
QUERY = "who took the silver key at the harbour"
CHUNK = 5_000


def content(rng: random.Random) -> str:
    return (
        f"{rng.choice(PEOPLE)} {rng.choice(VERBS)} {rng.choice(PEOPLE)} over the "
        f"{rng.choice(['silver', 'old', 'red', 'small'])} {rng.choice(THINGS)} "
        f"near the {rng.choice(PLACES)}."
    )


async def fill(
    engine: AsyncEngine, campaign: uuid.UUID, cast: list[uuid.UUID], start: int, end: int
) -> None:
    """Memories and beliefs start..end-1 of each character and the campaign's events at
    those positions, in bulk, a memory and a belief of each character per event; game
    time is one turn per 10 positions."""
    rng = random.Random(start)
    async with engine.begin() as conn:
        for low in range(start, end, CHUNK):
            rows = [
                {
                    "campaign_id": campaign,
                    "character_id": character,
                    "kind": "observation",
                    "content": content(rng),
                    "importance": rng.randint(1, 10),
                    "created_at_turn": n // 10,
                    "last_accessed_turn": n // 10,
                    "position": n + 1,
                    "event_id": None,
                    "evidence": [],
                }
                for n in range(low, min(end, low + CHUNK))
                for character in cast
            ]
            await conn.execute(memories.insert(), rows)
            held = [
                {
                    "campaign_id": campaign,
                    "character_id": character,
                    "statement": content(rng),
                    "source": "direct_observation",
                    "reliability": 0.95,
                    "learned_at_turn": n // 10,
                    "told_by": None,
                    "event_id": uuid.uuid4(),
                    "position": n + 1,
                }
                for n in range(low, min(end, low + CHUNK))
                for character in cast
            ]
            await conn.execute(beliefs.insert(), held)
            await conn.execute(
                events.insert(),
                [performed(rng, campaign, cast, n + 1) for n in range(low, min(end, low + CHUNK))],
            )
        await conn.execute(
            event_streams.update().where(event_streams.c.stream_id == campaign).values(position=end)
        )
        await conn.execute(
            projection_checkpoints.update()
            .where(projection_checkpoints.c.campaign_id == campaign)
            .values(position=end, turn=end // 10)
        )
        if conn.dialect.name == "postgresql":
            for table in ("memories", "beliefs", "events"):
                await conn.execute(text(f"ANALYZE {table}"))


def performed(
    rng: random.Random, campaign: uuid.UUID, cast: list[uuid.UUID], position: int
) -> dict[str, object]:
    """The event a turn's action writes (domain/session.py), every character witnessing."""
    turn = uuid.uuid4()
    actor = cast[position % len(cast)]
    payload = {
        "interactionId": str(turn),
        "campaignId": str(campaign),
        "sessionId": str(campaign),
        "actingCharacterId": str(actor),
        "actionType": "item-interaction",
        "actionDescription": content(rng),
        "targetIds": [str(c) for c in cast if c != actor],
        "location": rng.choice(PLACES),
        "witnesses": [str(c) for c in cast],
        "outcome": {
            "success": True,
            "roll": round(rng.random(), 4),
            "difficulty": 0.5,
            "modifier": 0.1,
            "seed": str(rng.getrandbits(63)),
            "description": "It works.",
            "consequences": [],
        },
    }
    return {
        "stream_id": campaign,
        "position": position,
        "stream_type": "Campaign",
        "event_id": uuid.uuid4(),
        "event_type": "interactions.action.performed",
        "event_version": "1.0.0",
        "aggregate_id": turn,
        "aggregate_type": "Interaction",
        "occurred_at": datetime.now(UTC),
        "correlation_id": turn,
        "causation_id": None,
        "user_id": None,
        "payload": payload,
        "metadata": {},
    }


async def prepared(engine: AsyncEngine) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A campaign, its owner and two characters standing at the harbour, its stream and
    the checkpoints of its projections."""
    now = datetime.now(UTC)
    owner, campaign = uuid.uuid4(), uuid.uuid4()
    cast = [uuid.uuid4(), uuid.uuid4()]
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    async with engine.begin() as conn:
        await conn.execute(
            users.insert().values(
                id=owner,
                email="bench@example.com",
                display_name="Bench",
                password_hash="-",
                **stamps,
            )
        )
        await conn.execute(
            characters.insert(),
            [
                {
                    "id": character,
                    "owner_id": owner,
                    "name": name,
                    "kind": "protagonist",
                    "openness": 0.5,
                    "conscientiousness": 0.5,
                    "extraversion": 0.5,
                    "agreeableness": 0.5,
                    "neuroticism": 0.5,
                    "background": f"{name} keeps the harbour light.",
                    "visibility": "private",
                    **stamps,
                }
                for character, name in zip(cast, PEOPLE, strict=False)
            ],
        )
        await conn.execute(
            campaigns.insert().values(
                id=campaign,
                owner_id=owner,
                name="Bench",
                description="",
                world_state={
                    "place": "the harbour",
                    "locations": {str(c): "harbour" for c in cast},
                    "weather": "fog",
                },
                world_version=1,
                **stamps,
            )
        )
        await conn.execute(
            campaign_members.insert().values(
                campaign_id=campaign, user_id=owner, role="owner", joined_at=now
            )
        )
        await conn.execute(
            campaign_characters.insert(),
            [
                {"campaign_id": campaign, "character_id": c, "position": i}
                for i, c in enumerate(cast)
            ],
        )
        await conn.execute(
            event_streams.insert().values(stream_id=campaign, stream_type="Campaign", position=0)
        )
        await conn.execute(
            projection_checkpoints.insert(),
            [
                {"campaign_id": campaign, "projection": projection, "position": 0, "turn": 0}
                for projection in ("memories", "beliefs")
            ],
        )
    return campaign, cast


async def timed(run: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    await run()  # warm the caches once
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


async def stored(engine: AsyncEngine, campaign_id: uuid.UUID) -> Campaign:
    async with SqlUnitOfWork(engine, read_only=True) as uow:
        campaign = await uow.campaigns.get(campaign_id)
    if campaign is None:
        raise SystemExit("The bench campaign was not written.")
    return campaign


async def measure(name: str, url: str, sizes: list[int], runs: int) -> list[str]:
    engine = create_engine(url)
    lines = []
    try:
        await upgrade(engine)
        campaign_id, cast = await prepared(engine)
        campaign = await stored(engine, campaign_id)
        reads = MemoryReads(engine)
        done = 0
        for size in sizes:
            started = time.perf_counter()
            await fill(engine, campaign_id, cast, done, size)
            built = time.perf_counter() - started
            done = size
            turns = await reads.current_turns([campaign_id])

            def ranked_query(turns: dict[uuid.UUID, int] = turns) -> Awaitable[object]:
                return reads.ranked(turns, cast[0], QUERY)

            def inner_page(before: int = size) -> Awaitable[object]:
                # a page from inside the list, by keyset: ids below the first half's
                return reads.newest([campaign_id], cast[0], before, 20)

            async def turn_brief() -> object:
                # as `turnBrief` builds it: one read-only unit of work
                async with SqlUnitOfWork(engine, read_only=True) as uow:
                    return await brief.load(uow, campaign, cast[0])

            ranked = await timed(ranked_query, runs)
            page = await timed(inner_page, runs)
            held = await timed(turn_brief, runs)
            lines.append(
                f"{name:<11} {size:>8,} {ranked[0]:>10.2f} {ranked[1]:>9.2f} "
                f"{page[0]:>10.2f} {page[1]:>9.2f} {held[0]:>10.2f} {held[1]:>9.2f} "
                f"{built:>9.1f}"
            )
            print(lines[-1], flush=True)
    finally:
        await engine.dispose()
    return lines


@asynccontextmanager
async def scratch_postgres(admin_url: str) -> AsyncIterator[str]:
    name = f"novel_engine_bench_memory_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url)
    try:
        async with admin.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def main(sizes: list[int], runs: int, postgres_url: str | None) -> None:
    print(f"ranked query: {QUERY!r}; page: 20 newest below an id inside the list;")
    print(f"brief: a character's turn brief, as many beliefs as memories; {runs} runs each")
    print(
        f"{'database':<11} {'memories':>8} {'ranked p50':>10} {'p95 (ms)':>9} "
        f"{'page p50':>10} {'p95 (ms)':>9} {'brief p50':>10} {'p95 (ms)':>9} {'fill (s)':>9}"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        await measure("SQLite", f"sqlite+aiosqlite:///{path}", sizes, runs)
    if postgres_url:
        async with scratch_postgres(postgres_url) as url:
            await measure("PostgreSQL", url, sizes, runs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    asyncio.run(
        main(sorted(args.sizes), args.runs, None if args.no_postgres else args.postgres_url)
    )
