"""Character development through play: personality drifts with repeated outcomes, in the
turn's transaction, within bounds; relationships change type and strength."""

import random
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.persistence.tables import characters, events
from tests.graphql_client import AppClient
from tests.integration.helpers import count_rows, create_character, settled_rows
from tests.integration.test_sessions_api import PLAY, Table, act

EVOLVED = "characters.character.personality-evolved"

TRAITS = "openness conscientiousness extraversion agreeableness neuroticism"

READ_CHARACTER = f"""
query($id: ID!) {{
  character(id: $id) {{
    personality {{ {TRAITS} }}
    development {{ baseline {{ {TRAITS} }} drift {{ {TRAITS} }} }}
    relationships {{ type strength character {{ name }} }}
  }}
}}
"""

CAMPAIGN_EVENTS = """
query($id: ID!) {
  campaign(id: $id) { events(first: 100) { edges { node { eventId eventType payload } } } }
}
"""


async def join(table: Table, character: dict[str, Any]) -> None:
    await table.client.data(
        "mutation($id: ID!, $c: ID!) { addCampaignCharacter(campaignId: $id, "
        "characterId: $c) { __typename } }",
        {"id": table.campaign["id"], "c": character["id"]},
        token=table.ada,
    )


async def play(table: Table, *actions: dict[str, Any]) -> dict[str, Any]:
    data = await table.client.data(
        PLAY,
        {"session": table.session["id"], "input": {"actions": list(actions)}},
        token=table.ada,
    )
    turn: dict[str, Any] = data["submitTurn"]
    assert turn["__typename"] == "Turn", turn
    return turn


async def read(table: Table, character: dict[str, Any]) -> dict[str, Any]:
    data = await table.client.data(READ_CHARACTER, {"id": character["id"]}, token=table.ada)
    found: dict[str, Any] = data["character"]
    return found


async def evolutions(engine: AsyncEngine, character: dict[str, Any]) -> list[dict[str, Any]]:
    """The personality-evolved events on the character's stream, in order."""
    async with engine.connect() as conn:
        found = await conn.execute(
            select(events.c.stream_id, events.c.payload)
            .where(events.c.event_type == EVOLVED)
            .order_by(events.c.stream_id, events.c.position)
        )
        return [p for stream, p in found if str(stream) == character["id"]]


async def performed(table: Table) -> list[dict[str, Any]]:
    data = await table.client.data(CAMPAIGN_EVENTS, {"id": table.campaign["id"]}, token=table.ada)
    nodes = [e["node"] for e in data["campaign"]["events"]["edges"]]
    return [n for n in nodes if n["eventType"] == "interactions.action.performed"]


async def test_three_failed_attacks_evolve_the_attackers_personality_by_the_documented_step(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: a nervous brute (neuroticism 0.9: -0.16) and a vigilant guard
    # (conscientiousness 1.0: +0.2) who walks to the tower (+0.2 for a target elsewhere):
    # every attack needs 0.90 and reaches at most 0.84
    table = await Table(app_client).set()
    brute = await create_character(app_client, table.ada, "Brute", personality={"neuroticism": 0.9})
    guard = await create_character(
        app_client, table.ada, "Guard", personality={"conscientiousness": 1.0}
    )
    for c in (brute, guard):
        await join(table, c)
    await play(table, act(guard, "MOVE", "the tower"))
    assert (await read(table, brute))["development"] is None  # it has not played yet

    # when: three turns, one attack each
    turns = [
        await play(table, act(brute, "ATTACK", f"swings at the guard ({n})", [guard]))
        for n in range(3)
    ]

    # then: three failures, and after the third the brute has changed, once
    assert [t["outcomes"][0]["success"] for t in turns] == [False, False, False]
    attacks = [e["eventId"] for e in await performed(table)][1:]  # after the guard's move
    [evolved] = await evolutions(engine, brute)
    assert evolved["characterId"] == brute["id"]
    assert evolved["triggeringEvents"] == attacks
    assert evolved["traitChanges"] == {
        "openness": 0.0,
        "conscientiousness": 0.0,
        "extraversion": -0.02,
        "agreeableness": -0.03,
        "neuroticism": 0.02,
    }
    assert "3 of its own actions failed in a row" in evolved["evolutionReason"]
    assert "it attacked 3 times in a row" in evolved["evolutionReason"]
    shown = await read(table, brute)
    assert shown["personality"] == {
        "openness": 0.5,
        "conscientiousness": 0.5,
        "extraversion": 0.48,
        "agreeableness": 0.47,
        "neuroticism": 0.92,
    }
    assert shown["development"]["baseline"]["neuroticism"] == 0.9
    assert shown["development"]["drift"] == {
        "openness": 0.0,
        "conscientiousness": 0.0,
        "extraversion": -0.02,
        "agreeableness": -0.03,
        "neuroticism": 0.02,
    }


async def test_a_refused_turn_changes_no_ones_development(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: two failed attacks under way, and a character outside the campaign
    table = await Table(app_client).set()
    brute = await create_character(app_client, table.ada, "Brute")
    stranger = await create_character(app_client, table.ada, "Stranger")
    await join(table, brute)
    await play(table, act(brute, "ATTACK", "swings", [table.tam]))
    before_rows, before = await settled_rows(engine), await read(table, brute)

    # when: a turn naming the stranger is refused
    data = await app_client.data(
        PLAY,
        {
            "session": table.session["id"],
            "input": {
                "actions": [
                    act(brute, "ATTACK", "swings", [table.tam]),
                    act(brute, "ATTACK", "swings", [stranger]),
                ]
            },
        },
        token=table.ada,
    )

    # then: a typed error, and nothing changed
    refused = data["submitTurn"]
    assert (refused["code"], refused["field"]) == ("INVALID_INPUT", "actions.1.targetIds")
    assert await count_rows(engine) == before_rows
    assert await read(table, brute) == before


async def test_personality_stays_within_bounds_over_many_random_turns(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: a brute who attacks in every turn among others who talk, help and wander
    rng = random.Random(8)
    table = await Table(app_client).set()
    brute = await create_character(app_client, table.ada, "Brute")
    await join(table, brute)
    cast = [brute, table.mira, table.tam]
    others = [table.mira, table.tam]

    # when
    for n in range(30):
        someone = rng.choice(others)
        kind = rng.choice(["DIALOGUE", "INTERACT", "SKILL", "WAIT", "MOVE"])
        targets = [rng.choice([c for c in cast if c is not someone])] if kind != "MOVE" else []
        intent = rng.choice(["helps", "eyes", "the cellar", "the pier"])
        await play(
            table,
            act(brute, "ATTACK", f"strikes ({n})", [rng.choice(others)]),
            act(someone, kind, intent, targets),
        )

    # then: every trait of everyone within 0..1 and 0.25 of its baseline, and the events
    # on each stream add up to exactly how far the personality drifted
    for character in cast:
        shown = await read(table, character)
        drift, baseline = shown["development"]["drift"], shown["development"]["baseline"]
        changes = [e["traitChanges"] for e in await evolutions(engine, character)]
        for trait, value in shown["personality"].items():
            assert 0.0 <= value <= 1.0
            assert abs(value - baseline[trait]) <= 0.25 + 1e-9
            assert abs(drift[trait]) <= 0.25 + 1e-9
            assert all(abs(c[trait]) <= 0.05 + 1e-9 for c in changes)
            assert round(sum(c[trait] for c in changes), 4) == drift[trait]
    # sixty attacks in a row: agreeableness stops at its cap, a quarter below its start
    brute_shown = await read(table, brute)
    assert brute_shown["personality"]["agreeableness"] == 0.25
    assert brute_shown["development"]["drift"]["agreeableness"] == -0.25


async def test_kind_words_turn_an_enemy_neutral_and_then_an_ally(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: Ash's strike cannot fail (0.50 against 0.50) nor can its words
    # (extraversion 1.0 against Wren's agreeableness 1.0: 0.20 + 0.20 against 0.20)
    table = await Table(app_client).set()
    ash = await create_character(
        app_client,
        table.ada,
        "Ash",
        visibility="PUBLIC",
        personality={"neuroticism": 0.0, "extraversion": 1.0},
        skills=[{"name": "sword", "level": 100}],
    )
    wren = await create_character(app_client, table.ada, "Wren", personality={"agreeableness": 1.0})
    for c in (ash, wren):
        await join(table, c)

    async def regard() -> tuple[str, float]:
        [r] = (await read(table, wren))["relationships"]
        return r["type"], r["strength"]

    # when / then: struck, Wren is an enemy
    await play(table, act(ash, "ATTACK", "strikes with the sword", [wren]))
    assert await regard() == ("ENEMY", 0.6)
    # kind words bring the enmity down; under 0.2 Wren is neutral, warily
    seen = []
    for _ in range(10):
        turn = await play(table, act(ash, "DIALOGUE", "I am sorry.", [wren]))
        assert turn["outcomes"][0]["success"]
        seen.append(await regard())
    assert seen == [
        ("ENEMY", 0.5),
        ("ENEMY", 0.4),
        ("ENEMY", 0.3),
        ("ENEMY", 0.2),
        ("NEUTRAL", 0.3),
        ("NEUTRAL", 0.4),
        ("NEUTRAL", 0.5),
        ("NEUTRAL", 0.6),
        ("NEUTRAL", 0.7),
        ("ALLY", 0.8),
    ]
    # and the relationship events say so, each caused by the words that changed it
    async with engine.connect() as conn:
        formed = [
            (p["relationshipType"], p["relationshipStrength"])
            for stream, p in await conn.execute(
                select(events.c.stream_id, events.c.payload)
                .where(events.c.event_type == "characters.character.relationship-formed")
                .order_by(events.c.stream_id, events.c.position)
            )
            if str(stream) == wren["id"]
        ]
    assert formed == [("enemy", 0.6), *((t.lower(), s) for t, s in seen)]


async def test_successful_help_warms_the_one_helped(app_client: AppClient) -> None:
    # given: Mira tends to Tam; INTERACT 0.40, and an open mind (1.0: +0.20) with a roll
    # of at least 0.2 succeeds; tried until it does
    table = await Table(app_client).set()
    healer = await create_character(
        app_client, table.ada, "Healer", visibility="PUBLIC", personality={"openness": 1.0}
    )
    await join(table, healer)

    # when
    for _ in range(10):
        turn = await play(table, act(healer, "INTERACT", "bandages his wounds", [table.tam]))
        if turn["outcomes"][0]["success"]:
            break

    # then
    assert turn["outcomes"][0]["consequences"] == [
        "The target regards the actor as neutral (0.60)."
    ]
    [r] = (await read(table, table.tam))["relationships"]
    assert (r["type"], r["strength"], r["character"]["name"]) == ("NEUTRAL", 0.6, "Healer")


async def test_an_ai_played_characters_reaction_counts_towards_its_runs(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: Old Wren, played by a persona, watches Mira speak to Tam
    table = await Table(app_client).set()
    wren = await create_character(
        app_client, table.ada, "Old Wren", personality={"extraversion": 0.9}
    )
    added = await app_client.data(
        "mutation($id: ID!, $c: ID!) { addCampaignCharacter(campaignId: $id, "
        "characterId: $c, aiControlled: true) { __typename } }",
        {"id": table.campaign["id"], "c": wren["id"]},
        token=table.ada,
    )
    assert added["addCampaignCharacter"]["__typename"] == "Campaign", added

    # when: the turn is played and the persona has reacted
    await play(table, act(table.mira, "DIALOGUE", "Who drew this map?", [table.tam]))
    await settled_rows(engine)

    # then: Wren's reaction, judged like any action, began its run of outcomes
    data = await app_client.data(CAMPAIGN_EVENTS, {"id": table.campaign["id"]}, token=table.ada)
    [reaction] = [
        e["node"]
        for e in data["campaign"]["events"]["edges"]
        if e["node"]["eventType"].startswith("interactions.")
        and e["node"]["payload"].get("aiControlled")
    ]
    success = reaction["payload"]["outcome"]["success"]
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                select(characters.c.development).where(characters.c.id == uuid.UUID(wren["id"]))
            )
        ).scalar_one()
    assert stored["runs"]["outcome"] == {
        "streak": "success" if success else "failure",
        "events": [reaction["eventId"]],
    }
    assert stored["baseline"]["extraversion"] == 0.9
    assert (await read(table, wren))["development"]["drift"]["extraversion"] == 0.0
