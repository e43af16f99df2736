"""No leak, over many random sessions: random casts (some AI-played), rooms, moves,
dialogue, deeds and AI reactions, with a unique marker word in every intent, half of
them told from their player characters' points of view too. What each
character may know is worked out here from the event log alone (the words of every
action or dialogue reach exactly the characters recorded as there to witness it); no
marker outside that set may reach the character's brief, its telling of a turn or any
prompt built for it."""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.persistence.tables import events, model_calls
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character, settled_rows
from tests.integration.test_campaigns_api import SETTINGS
from tests.integration.test_perception import BRIEF, WORLD
from tests.integration.test_sessions_api import START, SUBMIT
from tests.integration.test_story_engine import ADD

ROOMS = ("the hall", "the cellar", "the garden")
MARKER = re.compile(r"MK\d+X")
ACTED = ("interactions.action.performed", "interactions.dialogue.exchanged")


class RandomSession:
    def __init__(self, client: AppClient, seed: int) -> None:
        self.client = client
        self.rng = random.Random(seed)
        self.markers = 0
        # Half the sessions are told from their player characters' points of view too.
        self.through_characters = seed % 2 == 0

    def marker(self) -> str:
        self.markers += 1
        return f"MK{self.markers}X"

    async def set(self) -> RandomSession:
        c, rng = self.client, self.rng
        self.ada = await c.sign_up("Ada")
        self.campaign = await create_campaign(c, self.ada, world={"place": ROOMS[0]})
        self.cast: list[dict[str, Any]] = []
        for n in range(rng.randint(3, 5)):
            character = await create_character(c, self.ada, f"Hero{n}", visibility="PUBLIC")
            ai = n > 0 and rng.random() < 0.4
            added = await c.data(
                ADD, {"id": self.campaign["id"], "c": character["id"], "ai": ai}, token=self.ada
            )
            assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
            self.cast.append(character)
        places = {ch["id"]: rng.choice(ROOMS) for ch in self.cast}
        await c.data(
            WORLD,
            {"id": self.campaign["id"], "patch": {"locations": places}, "v": 1},
            token=self.ada,
        )
        if self.through_characters:
            changed = await c.data(
                SETTINGS,
                {"id": self.campaign["id"], "input": {"perspective": "THROUGH_CHARACTERS"}},
                token=self.ada,
            )
            assert changed["updateCampaignSettings"]["__typename"] == "Campaign", changed
        started = await c.data(START, {"id": self.campaign["id"]}, token=self.ada)
        self.session = started["startSession"]["id"]
        return self

    def action(self) -> dict[str, Any]:
        rng = self.rng
        actor = rng.choice(self.cast)
        others = [ch for ch in self.cast if ch is not actor]
        kind = rng.choice(["MOVE", "DIALOGUE", "DIALOGUE", "INTERACT", "ATTACK"])
        if kind == "MOVE":
            return {"characterId": actor["id"], "kind": kind, "intent": rng.choice(ROOMS)}
        intent = {
            "DIALOGUE": "Remember {m}, friend.",
            "INTERACT": "search the shelf for the {m}",
            "ATTACK": "strike with the {m} blade",
        }[kind].format(m=self.marker())
        targets = [rng.choice(others)["id"]] if kind != "INTERACT" else []
        return {"characterId": actor["id"], "kind": kind, "intent": intent, "targetIds": targets}

    async def play_and_return(self, turns: int) -> RandomSession:
        for _ in range(turns):
            actions = [self.action() for _ in range(self.rng.randint(1, 2))]
            data = await self.client.data(
                SUBMIT, {"session": self.session, "input": {"actions": actions}}, token=self.ada
            )
            assert data["submitTurn"]["__typename"] == "Turn", data
        return self


async def known_markers(engine: AsyncEngine, campaign_id: uuid.UUID) -> dict[str, set[str]]:
    """From the log alone: every marker said or done where a character was witness."""
    known: dict[str, set[str]] = {}
    async with engine.connect() as conn:
        found = await conn.execute(
            select(events.c.payload)
            .where(events.c.stream_id == campaign_id, events.c.event_type.in_(ACTED))
            .order_by(events.c.position)
        )
        for (payload,) in found:
            words = payload.get("message") or payload.get("actionDescription") or ""
            doer = payload.get("speakerId") or payload.get("actingCharacterId")
            for witness in {doer, *payload.get("witnesses", [])}:
                known.setdefault(witness, set()).update(MARKER.findall(words))
    return known


async def prompts_for(engine: AsyncEngine, campaign_id: uuid.UUID) -> dict[str, list[str]]:
    """Every prompt built for a character, by its id: as a persona, and the telling of a
    turn from its point of view."""
    asked: dict[str, list[str]] = {}
    async with engine.connect() as conn:
        found = await conn.execute(
            select(model_calls.c.step, model_calls.c.prompt).where(
                model_calls.c.campaign_id == campaign_id,
                model_calls.c.step.like("reaction:%") | model_calls.c.step.like("viewpoint:%"),
            )
        )
        for step, prompt in found:
            asked.setdefault(step.split(":", 1)[1], []).append(prompt)
    return asked


async def tellings_for(engine: AsyncEngine, campaign_id: uuid.UUID) -> dict[str, list[str]]:
    """Every turn told from a character's point of view, by its id."""
    told: dict[str, list[str]] = {}
    async with engine.connect() as conn:
        found = await conn.execute(
            select(events.c.payload).where(
                events.c.event_type == "narratives.turn.viewpoint-narrated",
                events.c.payload["campaignId"].as_string() == str(campaign_id),
            )
        )
        for (payload,) in found:
            told.setdefault(payload["viewpointCharacterId"], []).append(payload["text"])
    return told


@pytest.mark.parametrize("seed", range(4))
async def test_no_character_learns_a_marker_it_never_perceived(
    app_client: AppClient, engine: AsyncEngine, seed: int
) -> None:
    # given: a random campaign, played for a while, its work after commit done
    game = await (await RandomSession(app_client, seed).set()).play_and_return(8)
    await settled_rows(engine, within=60)
    campaign_id = uuid.UUID(game.campaign["id"])
    known = await known_markers(engine, campaign_id)
    asked = await prompts_for(engine, campaign_id)
    told = await tellings_for(engine, campaign_id)
    assert bool(told) is game.through_characters

    # then: nothing of what a character holds or is asked carries a marker it did not perceive
    leaks = []
    for character in game.cast:
        mine = known.get(character["id"], set())
        body = await app_client.execute(
            BRIEF, {"session": game.session, "character": character["id"]}, token=game.ada
        )
        brief = body["data"]["turnBrief"]
        for marker in set(MARKER.findall(str(brief))) - mine:
            leaks.append(f"{character['name']}'s brief holds {marker}")
        for prompt in asked.get(character["id"], []):
            for marker in set(MARKER.findall(prompt)) - mine:
                leaks.append(f"{character['name']} was prompted with {marker}")
        for telling in told.get(character["id"], []):
            for marker in set(MARKER.findall(telling)) - mine:
                leaks.append(f"{character['name']}'s telling of a turn holds {marker}")
        # and what it perceived lately is there to know
        if mine:
            assert MARKER.findall(str(brief["beliefs"])), brief
    assert leaks == []
    assert game.markers > 0
