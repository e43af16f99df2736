"""Shared documents and database look-ups for integration tests."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.persistence.tables import events, jobs, metadata
from tests.graphql_client import AppClient

CREATE_CHARACTER = """
mutation($input: CreateCharacterInput!) {
  createCharacter(input: $input) {
    __typename
    ... on Character { id name version visibility personality { openness } }
    ... on Error { code message field }
  }
}
"""

CREATE_CAMPAIGN = """
mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) {
    __typename
    ... on Campaign { id worldVersion worldState }
    ... on Error { code message field }
  }
}
"""


async def create_character(
    client: AppClient, token: str, name: str = "Mira", **fields: Any
) -> dict[str, Any]:
    data = await client.data(CREATE_CHARACTER, {"input": {"name": name, **fields}}, token=token)
    result: dict[str, Any] = data["createCharacter"]
    assert result["__typename"] == "Character", result
    return result


async def create_campaign(
    client: AppClient, token: str, name: str = "Gloom", world: dict[str, Any] | None = None
) -> dict[str, Any]:
    data = await client.data(
        CREATE_CAMPAIGN, {"input": {"name": name, "worldState": world or {}}}, token=token
    )
    result: dict[str, Any] = data["createCampaign"]
    assert result["__typename"] == "Campaign", result
    return result


async def count_rows(engine: AsyncEngine) -> dict[str, int]:
    """Rows per table: a snapshot to prove a failed command wrote nothing."""
    counts = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            counts[table.name] = (
                await conn.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts


async def settled_rows(engine: AsyncEngine, within: float = 30) -> dict[str, int]:
    """Rows per table once the work after earlier commits (reactions, narration) is done:
    a snapshot that only a new command can change."""
    unfinished = select(func.count()).where(jobs.c.status.in_(["pending", "running"]))
    async with asyncio.timeout(within):
        while True:
            async with engine.connect() as conn:
                if (await conn.execute(unfinished)).scalar_one() == 0:
                    break
            await asyncio.sleep(0.05)
    return await count_rows(engine)


async def event_types(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(events.c.event_type).order_by(events.c.occurred_at))
        return list(rows.scalars())


def fragment_bomb(levels: int, width: int, leaf: str = "viewer { id }") -> str:
    """Fragments that each spread the next `width` times: width**levels paths to the leaf."""
    fragments = [
        f"fragment F{i} on Query{{{' '.join([f'...F{i + 1}'] * width)}}}" for i in range(levels)
    ]
    return " ".join(["{...F0}", *fragments, f"fragment F{levels} on Query{{{leaf}}}"])
