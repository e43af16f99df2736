"""Leaks found by probing a campaign seen through characters, kept closed: memories read
only by who plays the character, world changes to goals and whole-key deletions redacted
like the rest, and malformed or out-of-range cursors refused as INVALID_INPUT."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.graphql_client import AppClient
from tests.integration.helpers import create_character, settled_rows
from tests.integration.test_memories import MEMORIES_OF, engine_of
from tests.integration.test_perspective_reads import PAGE, page
from tests.integration.test_perspective_streams import ADD, CELLAR, Keep
from tests.integration.test_sessions_api import act

BRIEF = """
query($s: ID!, $c: ID!) { turnBrief(sessionId: $s, characterId: $c) { location } }
"""
WORLD = "query($id: ID!) { campaign(id: $id) { worldState } }"
FORK = """mutation($id: ID!, $at: String!) { forkCampaign(campaignId: $id, at: $at) {
  __typename ... on Error { code message } } }"""


def texts(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return [e["node"]["content"] for e in body["data"]["character"]["memories"]["edges"]]


async def test_the_owner_of_an_ai_played_character_does_not_read_its_memories(
    app_client: AppClient,
) -> None:
    keep = await Keep(app_client).set()
    # Echo (Cleo's, AI-played) stands in the cellar with Tam; Cleo plays only Iva (tower).
    await keep.patch({"locations": {keep.echo["id"]: "cellar"}})
    await keep.play(keep.bob, [act(keep.tam, "SKILL", f"search the cellar {CELLAR}")])
    await settled_rows(engine_of(app_client))
    brief = await app_client.execute(
        BRIEF, {"s": keep.session, "c": keep.echo["id"]}, token=keep.cleo
    )
    assert brief["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await app_client.execute(
        MEMORIES_OF, {"id": keep.echo["id"], "campaign": keep.id, "first": 50}, token=keep.cleo
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the gamemaster does read them
    gm = await app_client.execute(
        MEMORIES_OF, {"id": keep.echo["id"], "campaign": keep.id, "first": 50}, token=keep.gus
    )
    assert [t for t in texts(gm) if CELLAR in t]


async def test_an_outsider_owning_a_cast_character_reads_none_of_the_campaign(
    app_client: AppClient,
) -> None:
    keep = await Keep(app_client).set()
    zed = await create_character(app_client, keep.eve, "Zed", visibility="PUBLIC")
    added = await app_client.data(ADD, {"id": keep.id, "c": zed["id"], "ai": False}, token=keep.gus)
    assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
    await keep.patch({"locations": {zed["id"]: "cellar"}})
    await keep.play(keep.bob, [act(keep.tam, "SKILL", f"search the cellar {CELLAR}")])
    await settled_rows(engine_of(app_client))
    body = await app_client.execute(MEMORIES_OF, {"id": zed["id"], "first": 50}, token=keep.eve)
    assert texts(body) == []
    refused = await app_client.execute(
        MEMORIES_OF, {"id": zed["id"], "campaign": keep.id, "first": 50}, token=keep.eve
    )
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_world_change_of_anothers_goals_is_not_seen(app_client: AppClient) -> None:
    keep = await Keep(app_client).set()
    await keep.patch({"goals": {keep.tam["id"]: "goalmarker find the crown"}})
    world = (await app_client.data(WORLD, {"id": keep.id}, token=keep.cleo))["campaign"]
    assert "goalmarker" not in json.dumps(world)
    events = await page(keep, keep.cleo, first=100)
    assert "goalmarker" not in json.dumps([e["node"]["payload"] for e in events["edges"]])
    mine = await page(keep, keep.bob, first=100)
    assert "goalmarker" in json.dumps([e["node"]["payload"] for e in mine["edges"]])


async def test_taking_away_every_location_tells_no_one_where_others_were(
    app_client: AppClient,
) -> None:
    keep = await Keep(app_client).set()
    await keep.patch({"locations": None})
    events = await page(keep, keep.vic, first=100)  # a VIEWER sees no character's place
    shown = json.dumps([e["node"]["payload"] for e in events["edges"]])
    assert "cellar" not in shown
    assert "tower" not in shown


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("body", ["p:\u00b2", "p:" + "9" * 25, "p:" + "9" * 5000, "p:2147483648"])
async def test_a_malformed_or_out_of_range_cursor_is_invalid_input(
    app_client: AppClient, body: str
) -> None:
    keep = await Keep(app_client).set()
    at = cursor(body)
    for token in (keep.cleo, keep.ada):
        listed = await app_client.execute(
            PAGE, {"id": keep.id, "first": 5, "after": at}, token=token
        )
        assert listed["errors"][0]["extensions"]["code"] == "INVALID_INPUT", listed
    forked = await app_client.data(FORK, {"id": keep.id, "at": at}, token=keep.ada)
    assert forked["forkCampaign"]["code"] == "INVALID_INPUT", forked
    if body == "p:2147483648":
        return  # beyond a stream position, not beyond a memory's id
    for kind, query in (("m", None), ("r", "cellar")):
        memories = await app_client.execute(
            MEMORIES_OF,
            {
                "id": keep.tam["id"],
                "campaign": keep.id,
                "after": cursor(kind + body[1:]),
                "query": query,
            },
            token=keep.bob,
        )
        assert memories["errors"][0]["extensions"]["code"] == "INVALID_INPUT", memories
