"""Read paths of a campaign seen through characters: `Campaign.events` pages and a
session's turns show a co-author or viewer only what its characters perceived; the
owner and gamemasters see everything, and so does everyone in an omniscient campaign."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import AppClient
from tests.integration.helpers import create_character, settled_rows
from tests.integration.test_dataloaders import counting_statements
from tests.integration.test_perspective_streams import ADD, CELLAR, LATE, TOWER, Keep
from tests.integration.test_sessions_api import act

TURNS = """
query($id: ID!) {
  session(id: $id) { turns(first: 50) { edges { node {
    number
    actions { intent character { name } }
    outcomes { success action { intent } }
    reactions { action { intent character { name } } }
  } } } }
}
"""

PAGE = """
query($id: ID!, $first: Int, $after: String) {
  campaign(id: $id) { events(first: $first, after: $after) {
    edges { cursor node { eventType cursor payload } }
    pageInfo { hasNextPage endCursor }
  } }
}
"""


async def with_wren(keep: Keep) -> dict[str, Any]:
    """Old Wren, played by a persona agent, stands in the cellar with Tam."""
    wren = await create_character(keep.client, keep.ada, "Old Wren", visibility="PUBLIC")
    variables = {"id": keep.id, "c": wren["id"], "ai": True}
    added = await keep.client.data(ADD, variables, token=keep.ada)
    assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
    await keep.patch({"locations": {wren["id"]: "cellar"}})
    return wren


async def turns_for(keep: Keep, token: str) -> list[dict[str, Any]]:
    data = await keep.client.data(TURNS, {"id": keep.session}, token=token)
    return [e["node"] for e in data["session"]["turns"]["edges"]]


async def page(
    keep: Keep, token: str, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    variables = {"id": keep.id, "first": first, "after": after}
    data = await keep.client.data(PAGE, variables, token=token)
    events: dict[str, Any] = data["campaign"]["events"]
    return events


def intents(turn: dict[str, Any], field: str) -> list[str]:
    return [(x.get("action") or x)["intent"] for x in turn[field]]


async def test_turns_show_a_player_only_the_actions_its_characters_witnessed(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    keep = await Keep(app_client).set()
    await with_wren(keep)

    # when: Wren answers Tam before Tam leaves the cellar
    await keep.two_rooms(after_first=lambda: settled_rows(engine))
    await settled_rows(engine)

    # then
    by_gus, by_bob, by_cleo, by_vic = [
        await turns_for(keep, t) for t in (keep.gus, keep.bob, keep.cleo, keep.vic)
    ]
    assert [len(t["actions"]) for t in by_gus] == [1, 1, 1]
    assert by_gus[0]["reactions"][0]["action"]["character"] == {"name": "Old Wren"}

    tam_turn, iva_turn, late_turn = by_bob
    assert CELLAR in intents(tam_turn, "actions")[0]
    assert intents(tam_turn, "outcomes") == intents(tam_turn, "actions")
    assert tam_turn["reactions"] == by_gus[0]["reactions"]  # Tam saw Wren answer
    assert iva_turn["actions"] == iva_turn["outcomes"] == iva_turn["reactions"] == []
    assert late_turn["actions"] == []

    assert [intents(t, "actions") for t in by_cleo] == [
        [],
        intents(by_gus[1], "actions"),
        intents(by_gus[2], "actions"),
    ]
    assert by_cleo[0]["reactions"] == []  # Iva was not in the cellar
    assert all(t["actions"] == t["reactions"] == [] for t in by_vic)


async def test_campaign_events_pages_hold_only_what_a_player_perceived(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    keep = await Keep(app_client).set()
    await keep.two_rooms()
    await settled_rows(engine)
    await keep.patch({"locations": {keep.iva["id"]: "attic"}})  # last, and hidden from Bob

    # when
    everything = await page(keep, keep.gus, first=100)
    bobs = await page(keep, keep.bob, first=100)
    walked, after, pages = [], None, 0
    while True:
        part = await page(keep, keep.bob, first=2, after=after)
        walked += part["edges"]
        pages += 1
        if not part["pageInfo"]["hasNextPage"]:
            break
        after = part["pageInfo"]["endCursor"]

    # then
    all_cursors = [e["cursor"] for e in everything["edges"]]
    seen = [e["node"] for e in bobs["edges"]]
    assert CELLAR in json.dumps(seen)
    assert TOWER not in json.dumps(seen)
    assert LATE not in json.dumps(seen)
    [storm] = [e for e in seen if e["payload"].get("changes", {}).get("weather") == "storm"]
    assert storm["payload"]["changes"]["locations"] == {keep.tam["id"]: "hall"}
    # walking two at a time gives the same events: hidden ones take no place in a page
    assert [e["node"] for e in walked] == seen
    assert pages == (len(seen) + 1) // 2
    assert all(e["cursor"] == e["node"]["cursor"] for e in walked)
    # the gamemaster's log goes on past Bob's last event (Iva's move), yet Bob is told
    # there is nothing more for him, and a page with no room still says whether there is
    assert all_cursors.index(seen[-1]["cursor"]) < len(all_cursors) - 1
    assert bobs["pageInfo"]["hasNextPage"] is False
    empty = await page(keep, keep.bob, first=0)
    assert (empty["edges"], empty["pageInfo"]["hasNextPage"]) == ([], True)
    # a cursor of an event Bob does not see just starts after it
    seen_cursors = {e["cursor"] for e in seen}
    hidden = next(c for c in all_cursors if c not in seen_cursors)
    resumed = await page(keep, keep.bob, first=100, after=hidden)
    later = all_cursors[all_cursors.index(hidden) + 1 :]
    assert [e["cursor"] for e in resumed["edges"]] == [c for c in later if c in seen_cursors]


async def test_a_viewer_sees_only_the_frame_and_an_omniscient_campaign_hides_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    keep = await Keep(app_client).set(perspective="OMNISCIENT")
    await keep.two_rooms()
    await settled_rows(engine)

    # when
    whole = await page(keep, keep.gus, first=100)
    by_bob, by_vic = await page(keep, keep.bob, first=100), await page(keep, keep.vic, first=100)
    await keep.perspective("THROUGH_CHARACTERS")
    frame = await page(keep, keep.vic, first=100)

    # then
    assert by_bob == whole
    assert by_vic == whole
    types = {e["node"]["eventType"] for e in frame["edges"]}
    assert "interactions.action.performed" not in types
    assert "narratives.turn.narrated" not in types
    assert "campaigns.session.started" in types
    assert TOWER not in json.dumps(frame)
    assert CELLAR not in json.dumps(frame)
    assert await turns_for(keep, keep.bob) != await turns_for(keep, keep.gus)


async def test_a_players_turns_cost_the_same_statements_however_many_there_are(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    keep = await Keep(app_client).set()

    async def statements() -> int:
        await settled_rows(engine)
        async with counting_statements(app_client) as seen:
            await turns_for(keep, keep.bob)
        return len(seen)

    await keep.two_rooms()
    few = await statements()

    # when
    for i in range(4):
        await keep.play(keep.bob, [act(keep.tam, "WAIT", f"wait {i}")])
        await keep.play(keep.cleo, [act(keep.iva, "WAIT", f"wait {i}")])
    many = await statements()

    # then
    assert len(await turns_for(keep, keep.bob)) == 11
    assert many == few
