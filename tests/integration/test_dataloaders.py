"""Reads are batched: the statement count does not grow with the number of rows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event

from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character, settled_rows

NESTED = """
query($first: Int!) {
  campaigns(first: $first) {
    edges { node {
      name
      owner { displayName }
      members { role user { displayName } }
      characters { name owner { displayName } skills { name } relationships { type } }
      events(first: 3) { edges { node { eventType } } }
    } }
  }
}
"""


# The job workers poll the jobs table in the background of every server.
JOB_QUEUE = re.compile(r"\bFROM jobs\b")


@asynccontextmanager
async def counting_statements(app_client: AppClient) -> AsyncIterator[list[str]]:
    """The reads the server makes meanwhile, but for the job workers' polling. Counting
    starts once the work after earlier commits is done: a projection job still running
    would read alongside."""
    server = app_client.http._transport.app.state.engine  # type: ignore[attr-defined]
    await settled_rows(server)
    engine = server.sync_engine
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        reads = statement.lstrip().upper().startswith(("SELECT", "WITH"))
        if reads and not JOB_QUEUE.search(statement):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def make_campaigns(app_client: AppClient, token: str, count: int) -> None:
    await app_client.sign_up("Bob")
    hero = await create_character(app_client, token, "Hero", skills=[{"name": "swords"}])
    for i in range(count):
        campaign = await create_campaign(app_client, token, f"Campaign {i:02}")
        await app_client.data(
            """mutation($id: ID!, $c: ID!, $e: String!) {
                 addCampaignCharacter(campaignId: $id, characterId: $c) { __typename }
                 addCampaignMember(campaignId: $id, email: $e, role: VIEWER) { __typename }
               }""",
            {"id": campaign["id"], "c": hero["id"], "e": "bob@example.com"},
            token=token,
        )


async def statements_for(app_client: AppClient, token: str, first: int) -> int:
    async with counting_statements(app_client) as statements:
        data = await app_client.data(NESTED, {"first": first}, token=token)
    edges = data["campaigns"]["edges"]
    assert len(edges) == first
    assert all(len(e["node"]["members"]) == 2 for e in edges)
    assert all(e["node"]["characters"][0]["skills"] == [{"name": "swords"}] for e in edges)
    assert all(len(e["node"]["events"]["edges"]) == 3 for e in edges)
    return len(statements)


async def test_five_or_fifty_campaigns_cost_the_same_statements(app_client: AppClient) -> None:
    # given
    token = await app_client.sign_up("Ada")
    await make_campaigns(app_client, token, 50)

    # when
    for_five = await statements_for(app_client, token, 5)
    for_fifty = await statements_for(app_client, token, 50)

    # then
    assert for_five == for_fifty
    assert for_fifty <= 9, for_fifty  # one of them checks that the token's user exists
