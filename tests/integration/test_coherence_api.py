"""The coherence check through GraphQL: warnings on submitTurn and Session.turns,
naming the events that established the facts; strict mode refusing, writing nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import AppClient
from tests.integration.helpers import settled_rows
from tests.integration.test_sessions_api import Table, act

SUBMIT = """
mutation($session: ID!, $input: TurnInput!) {
  submitTurn(sessionId: $session, input: $input) {
    __typename
    ... on Turn { id number warnings { message eventId severity rule actionIndex } }
    ... on CoherenceViolationError {
      code message field warnings { message eventId severity rule }
    }
    ... on Error { code message field }
  }
}
"""

TURNS = """
query($id: ID!) {
  session(id: $id) { turns { edges { node { number warnings { eventId severity rule } } } } }
}
"""

WORLD = """
mutation($id: ID!, $patch: JSON!, $expected: Int!) {
  updateWorldState(campaignId: $id, patch: $patch, expectedVersion: $expected) {
    __typename ... on Campaign { worldVersion }
  }
}
"""

SETTINGS = """
mutation($id: ID!) {
  updateCampaignSettings(campaignId: $id, input: {strictCoherence: true}) {
    __typename ... on Campaign { strictCoherence }
  }
}
"""

LAST_EVENT = """
query($id: ID!) {
  campaign(id: $id) { worldVersion events(first: 100) { edges { node { eventId eventType } } } }
}
"""


async def submit(table: Table, token: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
    data = await table.client.data(
        SUBMIT, {"session": table.session["id"], "input": {"actions": actions}}, token=token
    )
    result: dict[str, Any] = data["submitTurn"]
    return result


async def newest(table: Table, event_type: str) -> str:
    """The id of the campaign's newest event of this type."""
    data = await table.client.data(LAST_EVENT, {"id": table.campaign["id"]}, token=table.ada)
    nodes = [e["node"] for e in data["campaign"]["events"]["edges"]]
    found: str = [n["eventId"] for n in nodes if n["eventType"] == event_type][-1]
    return found


async def patch_world(table: Table, patch: dict[str, Any]) -> None:
    data = await table.client.data(LAST_EVENT, {"id": table.campaign["id"]}, token=table.ada)
    version = data["campaign"]["worldVersion"]
    changed = await table.client.data(
        WORLD, {"id": table.campaign["id"], "patch": patch, "expected": version}, token=table.ada
    )
    assert changed["updateWorldState"]["__typename"] == "Campaign", changed


async def test_speaking_to_someone_elsewhere_warns_naming_the_move_that_took_them_away(
    app_client: AppClient,
) -> None:
    # given: the gamemaster takes Mira down to the cellar
    table = await Table(app_client).set()
    moved = await submit(table, table.ada, [act(table.mira, "MOVE", "the cellar")])
    assert moved["warnings"] == []
    moved_by = await newest(table, "campaigns.world.state-changed")

    # when: Tam, in the hall, speaks to her
    turn = await submit(table, table.bob, [act(table.tam, "DIALOGUE", "Mira, wait!", [table.mira])])

    # then
    assert turn["__typename"] == "Turn", turn
    assert turn["warnings"] == [
        {
            "message": "Action 1: the listener is not at the campaign's starting place "
            "with the actor.",
            "eventId": moved_by,
            "severity": "WARNING",
            "rule": "LISTENER_ABSENT",
            "actionIndex": 0,
        }
    ]
    data = await app_client.data(TURNS, {"id": table.session["id"]}, token=table.bob)
    turns = [e["node"] for e in data["session"]["turns"]["edges"]]
    assert turns == [
        {"number": 1, "warnings": []},
        {
            "number": 2,
            "warnings": [{"eventId": moved_by, "severity": "WARNING", "rule": "LISTENER_ABSENT"}],
        },
    ]


async def test_an_unconscious_character_acting_is_an_error_that_names_what_felled_it(
    app_client: AppClient,
) -> None:
    # given
    table = await Table(app_client).set()
    await patch_world(table, {"conditions": {table.tam["id"]: "unconscious"}})
    felled_by = await newest(table, "campaigns.world.state-changed")

    # when
    turn = await submit(table, table.bob, [act(table.tam, "ATTACK", "I swing", [table.mira])])
    waiting = await submit(table, table.bob, [act(table.tam, "WAIT", "Tam lies still")])

    # then: played, with the error on record (the campaign is not strict)
    assert turn["__typename"] == "Turn", turn
    [warning] = turn["warnings"]
    assert (warning["rule"], warning["severity"], warning["eventId"]) == (
        "INCAPACITATED",
        "ERROR",
        felled_by,
    )
    assert waiting["warnings"] == []


async def test_strict_mode_refuses_an_incoherent_turn_and_writes_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: Tam said something, and the campaign turned strict
    table = await Table(app_client).set()
    said = await submit(
        table, table.bob, [act(table.tam, "DIALOGUE", "The lamp is lit.", [table.mira])]
    )
    assert said["warnings"] == []
    said_in = await newest(table, "interactions.dialogue.exchanged")
    strict = await app_client.data(SETTINGS, {"id": table.campaign["id"]}, token=table.ada)
    assert strict["updateCampaignSettings"] == {"__typename": "Campaign", "strictCoherence": True}
    before = await settled_rows(engine)

    # when
    refused = await submit(
        table, table.bob, [act(table.tam, "DIALOGUE", "The lamp is not lit.", [table.mira])]
    )

    # then
    assert refused["__typename"] == "CoherenceViolationError", refused
    assert (refused["code"], refused["field"]) == ("COHERENCE_VIOLATION", "actions.0")
    assert refused["warnings"] == [
        {
            "message": 'Action 1: the actor said earlier "lamp is lit"; now it says '
            '"lamp is not lit".',
            "eventId": said_in,
            "severity": "ERROR",
            "rule": "SELF_CONTRADICTION",
        }
    ]
    assert await settled_rows(engine) == before


async def test_strict_mode_plays_a_turn_that_only_warns(app_client: AppClient) -> None:
    table = await Table(app_client).set()
    await submit(table, table.ada, [act(table.mira, "MOVE", "the cellar")])
    await app_client.data(SETTINGS, {"id": table.campaign["id"]}, token=table.ada)

    turn = await submit(
        table, table.bob, [act(table.tam, "ATTACK", "I throw a stone", [table.mira])]
    )

    assert turn["__typename"] == "Turn", turn
    assert [(w["rule"], w["severity"]) for w in turn["warnings"]] == [("TARGET_ABSENT", "WARNING")]
