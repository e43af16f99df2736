"""Causality through GraphQL: DomainEvent.causes, effects and narrativeImpact, batched,
and only what the viewer may see of them."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StreamId
from novel_engine.graphql.pagination import position_cursor
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, settled_rows
from tests.integration.test_dataloaders import counting_statements
from tests.integration.test_facts_reader import append
from tests.integration.test_sessions_api import Table, act
from tests.live_server import LiveServer, live_server, settings_for

GRAPH = """
query($id: ID!, $first: Int!) {
  campaign(id: $id) {
    events(first: $first) { edges { node {
      eventId eventType causationId
      causes { eventId eventType }
      effects { eventId eventType payload causes { eventId } }
      narrativeImpact
    } } }
  }
}
"""

THROUGH_CHARACTERS = """
mutation($id: ID!) {
  updateCampaignSettings(campaignId: $id, input: {perspective: THROUGH_CHARACTERS}) {
    __typename
  }
}
"""

INITIATED = "interactions.interaction.initiated"


async def graph(table: Table, token: str, first: int = 100) -> list[dict[str, Any]]:
    data = await table.client.data(GRAPH, {"id": table.campaign["id"], "first": first}, token=token)
    return [e["node"] for e in data["campaign"]["events"]["edges"]]


def impact(*levels: int) -> float:
    """The documented score: level d counts 0.5^(d-1) per event."""
    return round(1 - math.exp(-sum(n * 0.5**d for d, n in enumerate(levels))), 4)


async def test_a_turn_links_its_events_as_causes_and_effects(app_client: AppClient) -> None:
    # given
    table = await Table(app_client).set()
    turn = await table.submit(
        table.bob,
        [
            act(table.tam, "DIALOGUE", "Who drew this map?", [table.mira]),
            act(table.tam, "MOVE", "the lighthouse"),
        ],
    )
    assert turn["__typename"] == "Turn", turn

    # when
    nodes = await graph(table, table.ada)

    # then
    [initiated] = [n for n in nodes if n["eventType"] == INITIATED]
    by_id = {n["eventId"]: n for n in nodes}
    assert [e["eventType"] for e in initiated["effects"]] == [
        "interactions.dialogue.exchanged",
        "interactions.action.performed",
        "campaigns.world.state-changed",
        "interactions.interaction.resolved",
    ]
    for effect in initiated["effects"]:
        assert effect["causes"] == [{"eventId": initiated["eventId"]}]
        assert by_id[effect["eventId"]]["causes"] == [
            {"eventId": initiated["eventId"], "eventType": INITIATED}
        ]
        assert by_id[effect["eventId"]]["narrativeImpact"] == 0.0
    assert initiated["causes"] == []  # caused by the command, not by an event
    assert initiated["narrativeImpact"] == impact(4) == 0.9817
    created = nodes[0]
    assert (created["causes"], created["effects"], created["narrativeImpact"]) == ([], [], 0.0)


async def test_a_coauthor_sees_only_the_effects_its_characters_perceived(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: seen through characters; Mira goes down to the cellar and opens a crate there,
    # unseen by Tam at the starting place
    table = await Table(app_client).set()
    await app_client.data(THROUGH_CHARACTERS, {"id": table.campaign["id"]}, token=table.ada)
    await table.submit(table.ada, [act(table.mira, "MOVE", "the cellar")])
    await table.submit(table.ada, [act(table.mira, "INTERACT", "Mira opens a crate")])
    await settled_rows(engine)

    # when
    as_gamemaster = await graph(table, table.ada)
    as_coauthor = await graph(table, table.bob)

    # then
    crate = [n for n in as_gamemaster if n["eventType"] == INITIATED][-1]
    [seen_by_bob] = [n for n in as_coauthor if n["eventId"] == crate["eventId"]]
    assert [e["eventType"] for e in crate["effects"]] == [
        "interactions.action.performed",
        "interactions.interaction.resolved",
    ]
    assert [e["eventType"] for e in seen_by_bob["effects"]] == ["interactions.interaction.resolved"]
    assert "Mira opens a crate" not in str(seen_by_bob)
    assert (crate["narrativeImpact"], seen_by_bob["narrativeImpact"]) == (impact(2), impact(1))
    # The resolved event reaches Bob as he perceives it: a skeleton.
    assert set(seen_by_bob["effects"][0]["payload"]) == {
        "interactionId",
        "campaignId",
        "sessionId",
        "turnNumber",
    }
    # Campaign.events does not show Bob the crate opened at all; the move he saw (Mira
    # leaving where Tam stands) names its own turn's start as its cause.
    assert "Mira opens a crate" not in str(as_coauthor)
    [move] = [n for n in as_coauthor if n["eventType"] == "interactions.action.performed"]
    move_turn = next(n for n in as_gamemaster if n["eventType"] == INITIATED)
    assert move["causes"] == [{"eventId": move_turn["eventId"], "eventType": INITIATED}]


async def test_causes_effects_and_impact_cost_a_statement_per_level_not_per_event(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: a campaign with a few turns of events
    table = await Table(app_client).set()
    for n in range(4):
        await table.submit(
            table.bob,
            [
                act(table.tam, "DIALOGUE", f"Line {n}", [table.mira]),
                act(table.tam, "MOVE", f"room {n}"),
            ],
        )
    await settled_rows(engine)

    # when
    # (the first 11 events: the campaign's set-up, the session's start and one turn)
    async with counting_statements(app_client) as few:
        small = await graph(table, table.ada, first=11)
    async with counting_statements(app_client) as many:
        large = await graph(table, table.ada, first=30)

    # then
    assert (len(small), len(large)) == (11, 30)
    assert sum(1 for n in small if n["effects"]) == 1  # the turn's initiated event
    assert sum(len(n["effects"]) for n in large) > sum(len(n["effects"]) for n in small)
    print(f"statements: {len(few)} for 11 events, {len(many)} for 30")
    # One per level, whatever the page's size: the viewer, its membership, the campaign,
    # the page, the page's causes, its effects, the effects' effects (those off the
    # page; the rest were read with it), the effects' causes. Per event, 30 events with
    # four turns in them would take dozens.
    assert len(few) <= LEVELS, few
    assert len(many) <= LEVELS, many


LEVELS = 8


@pytest.fixture
async def server(database_url: str, hub_url: str | None) -> AsyncIterator[LiveServer]:
    async with live_server(settings_for(database_url, redis_url=hub_url)) as running:
        yield running


LIVE = """
subscription($id: ID!, $after: String) {
  campaignEvents(campaignId: $id, after: $after) {
    eventId eventType causes { eventId } effects { eventType } narrativeImpact
  }
}
"""


async def test_campaign_events_carry_causes_effects_and_impact(server: LiveServer) -> None:
    # given
    table = await Table(server.client).set()
    await table.submit(table.bob, [act(table.tam, "DIALOGUE", "Evening.", [table.mira])])
    count = len(await graph(table, table.ada))

    # when
    async with server.ws(table.ada) as ws:
        await ws.subscribe("1", LIVE, {"id": table.campaign["id"], "after": position_cursor(0)})
        payloads = await ws.next_payloads("1", count)

    # then
    events = [p["data"]["campaignEvents"] for p in payloads]
    [initiated] = [e for e in events if e["eventType"] == INITIATED]
    [spoken] = [e for e in events if e["eventType"] == "interactions.dialogue.exchanged"]
    assert spoken["causes"] == [{"eventId": initiated["eventId"]}]
    assert [e["eventType"] for e in initiated["effects"]] == [
        "interactions.dialogue.exchanged",
        "interactions.interaction.resolved",
    ]
    assert initiated["narrativeImpact"] == impact(2)


async def test_causes_and_effects_in_a_campaign_the_viewer_is_not_in_are_left_out(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: Ada's and Eve's campaigns, with an event in each caused by one in the other
    ada, eve = await app_client.sign_up("Ada"), await app_client.sign_up("Eve")
    ours = await create_campaign(app_client, ada, "Ours")
    theirs = await create_campaign(app_client, eve, "Theirs")
    [our_start] = [n["eventId"] for n in await events_of(app_client, ada, ours["id"])]
    [their_start] = [n["eventId"] for n in await events_of(app_client, eve, theirs["id"])]
    await append(engine, [linked(ours["id"], their_start), linked(theirs["id"], our_start)])

    # when
    as_ada = await events_of(app_client, ada, ours["id"])
    as_eve = await events_of(app_client, eve, theirs["id"])

    # then
    assert [(n["causes"], n["effects"], n["narrativeImpact"]) for n in as_ada] == [
        ([], [], 0.0),
        ([], [], 0.0),
    ]
    assert as_eve[0]["effects"] == []
    assert as_eve[1]["causes"] == []


EVENTS_OF = """
query($id: ID!) {
  campaign(id: $id) { events { edges { node {
    eventId causes { eventId } effects { eventId } narrativeImpact
  } } } }
}
"""


async def events_of(client: AppClient, token: str, campaign_id: str) -> list[dict[str, Any]]:
    data = await client.data(EVENTS_OF, {"id": campaign_id}, token=token)
    return [e["node"] for e in data["campaign"]["events"]["edges"]]


def linked(campaign_id: str, cause: str) -> DomainEvent:
    stream = uuid.UUID(campaign_id)
    return DomainEvent(
        event_type=EventType.CAMPAIGN_SETTINGS_CHANGED,
        aggregate_id=stream,
        aggregate_type=AggregateType.CAMPAIGN,
        payload={"campaignId": campaign_id, "changes": {}},
        user_id=None,
        stream=StreamId(AggregateType.CAMPAIGN, stream),
        causation_id=uuid.UUID(cause),
    )
