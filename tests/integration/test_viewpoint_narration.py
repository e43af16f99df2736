"""Viewpoint narration over a real server: in a campaign seen through its characters, two
players whose characters stand in different rooms each read, live and on the turn, only
the turn told from their own character's point of view; the gamemaster reads the
omniscient prose; a member with no character reads none of it. On a remote model each
telling is one more call, told only what its character perceived."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update

from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.tables import events
from novel_engine.web.cli import replay_session
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character
from tests.integration.test_dataloaders import counting_statements
from tests.integration.test_sessions_api import START, SUBMIT, act
from tests.live_server import LiveServer, live_server, settings_for
from tests.model_servers import FakeModelServer, openai_stream

HALL, CELLAR = "heliotrope", "quinsy"

STREAM = """
subscription($session: ID!, $after: String) {
  narrativeStream(sessionId: $session, after: $after) {
    turnId sequence text done cursor viewpointCharacterId
  }
}
"""

TURN = """
query($id: ID!) {
  session(id: $id) { turns { edges { node {
    id narrationStatus narrative usage { calls }
  } } } }
}
"""

MEMBER = """
mutation($id: ID!, $email: String!) {
  addCampaignMember(campaignId: $id, email: $email, role: COAUTHOR) { __typename }
}
"""

ADD = """
mutation($id: ID!, $c: ID!) {
  addCampaignCharacter(campaignId: $id, characterId: $c) {
    __typename ... on Error { code message }
  }
}
"""

SETTINGS = """
mutation($id: ID!, $input: CampaignSettingsInput!) {
  updateCampaignSettings(campaignId: $id, input: $input) { __typename }
}
"""


class TwoRooms:
    """Ada directs; Bob plays Tam in the hall, Eve plays Kit in the cellar; Cy co-authors
    with no character."""

    def __init__(self, server: LiveServer | AppClient) -> None:
        self.client = server.client if isinstance(server, LiveServer) else server

    async def set(self, perspective: str = "THROUGH_CHARACTERS") -> TwoRooms:
        c = self.client
        self.ada, self.bob = await c.sign_up("Ada"), await c.sign_up("Bob")
        self.eve, self.cy = await c.sign_up("Eve"), await c.sign_up("Cy")
        self.tam = await create_character(c, self.bob, "Tam", visibility="PUBLIC")
        self.kit = await create_character(c, self.eve, "Kit", visibility="PUBLIC")
        world = {
            "genre": "fantasy",
            "tone": "mysterious",
            "locations": {self.tam["id"]: "the hall", self.kit["id"]: "the cellar"},
        }
        self.campaign = await create_campaign(c, self.ada, world=world)
        campaign_id = self.campaign["id"]
        for email in ("bob@example.com", "eve@example.com", "cy@example.com"):
            await c.data(MEMBER, {"id": campaign_id, "email": email}, token=self.ada)
        for token, character in [(self.bob, self.tam), (self.eve, self.kit)]:
            added = await c.data(ADD, {"id": campaign_id, "c": character["id"]}, token=token)
            assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
        changed = await c.data(
            SETTINGS, {"id": campaign_id, "input": {"perspective": perspective}}, token=self.ada
        )
        assert changed["updateCampaignSettings"]["__typename"] == "Campaign", changed
        started = await c.data(START, {"id": campaign_id}, token=self.ada)
        self.session = started["startSession"]["id"]
        return self

    async def play(self) -> dict[str, Any]:
        actions = [
            act(self.tam, "SKILL", f"study the {HALL} tapestry"),
            act(self.kit, "SKILL", f"search the {CELLAR} barrels"),
        ]
        data = await self.client.data(
            SUBMIT, {"session": self.session, "input": {"actions": actions}}, token=self.ada
        )
        turn: dict[str, Any] = data["submitTurn"]
        assert turn["__typename"] == "Turn", turn
        self.play_id = turn["id"]
        return turn

    async def turns_as(self, token: str) -> list[dict[str, Any]]:
        data = await self.client.data(TURN, {"id": self.session}, token=token)
        return [e["node"] for e in data["session"]["turns"]["edges"]]

    async def turn_as(self, token: str) -> dict[str, Any]:
        [turn] = await self.turns_as(token)
        return turn

    async def narrated(self, count: int = 1, within: float = 60) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                turns = await self.turns_as(self.ada)
                if len(turns) == count and all(
                    t["narrationStatus"] in ("DONE", "FAILED") for t in turns
                ):
                    return turns[-1]
                await asyncio.sleep(0.05)


@pytest.fixture
async def server(database_url: str, hub_url: str | None) -> AsyncIterator[LiveServer]:
    async with live_server(settings_for(database_url, redis_url=hub_url)) as running:
        yield running


async def until_ended(ws: Any, id: str) -> list[dict[str, Any]]:
    """The chunks of subscription `id` until its telling of the turn ends."""
    chunks: list[dict[str, Any]] = []
    while not chunks or not chunks[-1]["done"]:
        [payload] = await ws.next_payloads(id, 1, within=30)
        chunks.append(payload["data"]["narrativeStream"])
    return chunks


def text_of(chunks: list[dict[str, Any]]) -> str:
    assert [c["sequence"] for c in chunks] == list(range(len(chunks))), chunks
    return "".join(c["text"] for c in chunks)


async def test_each_player_reads_only_its_characters_telling_and_the_gamemaster_all_of_it(
    server: LiveServer,
) -> None:
    # given: every reader subscribed before the turn is played
    rooms = await TwoRooms(server).set()
    async with (
        server.ws(rooms.ada) as ada,
        server.ws(rooms.bob) as bob,
        server.ws(rooms.eve) as eve,
        server.ws(rooms.cy) as cy,
    ):
        for ws in (ada, bob, eve, cy):
            await ws.subscribe("s", STREAM, {"session": rooms.session})
        await asyncio.sleep(0.3)

        # when
        played = await rooms.play()
        seen = {name: await until_ended(ws, "s") for name, ws in [("ada", ada), ("bob", bob)]}
        seen["eve"] = await until_ended(eve, "s")
        # a member with no character gets nothing of the prose
        with pytest.raises(TimeoutError):
            await cy.receive(within=1.0)

    # then: the gamemaster reads the omniscient prose, both rooms in it
    turn = await rooms.narrated()
    assert turn["narrationStatus"] == "DONE"
    assert {c["viewpointCharacterId"] for c in seen["ada"]} == {None}
    assert text_of(seen["ada"]) == turn["narrative"]
    assert HALL in turn["narrative"]
    assert CELLAR in turn["narrative"]
    # each player its own character's telling, never a word of the other room
    for name, mine, marker, other in [
        ("bob", rooms.tam, HALL, CELLAR),
        ("eve", rooms.kit, CELLAR, HALL),
    ]:
        chunks = seen[name]
        assert {c["turnId"] for c in chunks} == {played["id"]}
        assert {c["viewpointCharacterId"] for c in chunks} == {mine["id"]}
        told = text_of(chunks)
        assert marker in told
        assert other not in told
        assert told != turn["narrative"]
        # Turn.narrative is the same telling, never the omniscient one
        token = rooms.bob if name == "bob" else rooms.eve
        as_player = await rooms.turn_as(token)
        assert as_player["narrative"] == told
        assert as_player["narrationStatus"] == "DONE"
    assert "Kit" not in text_of(seen["bob"])
    assert "Tam" not in text_of(seen["eve"])
    assert (await rooms.turn_as(rooms.cy))["narrative"] is None


async def test_a_player_resuming_by_cursor_gets_exactly_the_rest_of_its_telling(
    server: LiveServer,
) -> None:
    rooms = await TwoRooms(server).set()
    async with server.ws(rooms.bob) as bob:
        await bob.subscribe("all", STREAM, {"session": rooms.session})
        await asyncio.sleep(0.3)
        await rooms.play()
        everything = await until_ended(bob, "all")
    await rooms.narrated()

    # when: Bob resumes after his first chunk
    async with server.ws(rooms.bob) as bob:
        cursor = everything[0]["cursor"]
        await bob.subscribe("rest", STREAM, {"session": rooms.session, "after": cursor})
        rest = await until_ended(bob, "rest")
        # and nothing after it: no other telling's chunk, no duplicate
        with pytest.raises(TimeoutError):
            await bob.receive(within=1.0)

    assert rest == everything[1:]
    assert {c["viewpointCharacterId"] for c in everything} == {rooms.tam["id"]}


async def test_an_omniscient_campaign_gives_every_member_the_one_telling(
    server: LiveServer,
) -> None:
    rooms = await TwoRooms(server).set(perspective="OMNISCIENT")
    async with server.ws(rooms.eve) as eve:
        await eve.subscribe("all", STREAM, {"session": rooms.session})
        await asyncio.sleep(0.3)
        await rooms.play()
        chunks = await until_ended(eve, "all")
    turn = await rooms.narrated()

    for token in (rooms.bob, rooms.eve, rooms.cy):
        assert (await rooms.turn_as(token))["narrative"] == turn["narrative"]
    assert turn["usage"]["calls"] == 1
    assert {c["viewpointCharacterId"] for c in chunks} == {None}
    assert text_of(chunks) == turn["narrative"]


async def test_on_a_remote_model_each_viewpoint_is_one_call_told_only_what_it_perceived(
    database_url: str,
) -> None:
    # given: an OpenAI-compatible server answering the omniscient prose, then each telling
    fake = FakeModelServer(
        [
            openai_stream(["Both rooms ", "stirred. "]),
            openai_stream(["Tam studied ", "the tapestry. "]),
            openai_stream(["Kit searched ", "the barrels."]),
        ]
    )
    model = {"llm_provider": "openai", "llm_base_url": f"{fake.url}/v1", "llm_model": "m"}
    with fake.running():
        async with live_server(settings_for(database_url, **model)) as server:
            rooms = await TwoRooms(server).set()
            await rooms.play()
            turn = await rooms.narrated()
            as_bob = await rooms.turn_as(rooms.bob)
            as_eve = await rooms.turn_as(rooms.eve)

    # then: three calls, in order, the two tellings told only their own room
    assert turn["narrative"] == "Both rooms stirred."
    assert as_bob["narrative"] == "Tam studied the tapestry."
    assert as_eve["narrative"] == "Kit searched the barrels."
    assert turn["usage"]["calls"] == 3
    assert len(fake.requests) == 3
    omniscient, tam, kit = (json.dumps(r.body["messages"]) for r in fake.requests)
    assert HALL in omniscient
    assert CELLAR in omniscient
    assert HALL in tam
    assert CELLAR not in tam
    assert "Kit" not in tam
    assert "Viewpoint: Tam" in tam
    assert CELLAR in kit
    assert HALL not in kit
    assert "Tam" not in kit


async def test_a_players_tellings_of_one_or_four_turns_cost_the_same_statements(
    app_client: AppClient,
) -> None:
    # given
    rooms = await TwoRooms(app_client).set()
    await rooms.play()
    await rooms.narrated(1)

    async def statements_as_bob(turns: int) -> int:
        async with counting_statements(app_client) as statements:
            read = await rooms.turns_as(rooms.bob)
        assert len(read) == turns
        assert all(HALL in t["narrative"] for t in read)
        assert all(CELLAR not in t["narrative"] for t in read)
        return len(statements)

    # when
    for_one = await statements_as_bob(1)
    for _ in range(3):
        await rooms.play()
    await rooms.narrated(4)
    for_four = await statements_as_bob(4)

    # then
    assert for_one == for_four


async def test_the_tellings_replay_identically_and_a_tampered_one_shows_where(
    database_url: str,
) -> None:
    # given: a turn told from both points of view with the offline model
    settings = settings_for(database_url)
    async with live_server(settings) as server:
        rooms = await TwoRooms(server).set()
        await rooms.play()
        await rooms.narrated()
    session = uuid.UUID(rooms.session)

    # when / then: replayed, identical
    out = io.StringIO()
    assert await replay_session(settings, session, out) == 0
    assert out.getvalue() == "turn 1: identical\n"

    # given: a word of Kit's telling changed in its event
    db = create_engine(database_url)
    try:
        async with db.begin() as conn:
            found = await conn.execute(
                select(events.c.event_id, events.c.payload).where(
                    events.c.event_type == "narratives.turn.viewpoint-narrated",
                    events.c.aggregate_id == uuid.UUID(rooms.play_id),
                )
            )
            [(event_id, payload)] = [
                (e, p) for e, p in found if p["viewpointCharacterId"] == rooms.kit["id"]
            ]
            tampered = {**payload, "text": payload["text"].replace(CELLAR, "attic")}
            await conn.execute(
                update(events).where(events.c.event_id == event_id).values(payload=tampered)
            )
    finally:
        await db.dispose()

    # when / then: the turn diverges at Kit's telling
    out = io.StringIO()
    assert await replay_session(settings, session, out) == 1
    assert out.getvalue().startswith(
        f"turn 1: diverges at viewpoint:{rooms.kit['id']} (viewpoint event)\n"
    )


COMPILE = """
mutation($session: ID!) {
  compileStory(sessionId: $session) {
    __typename ... on Story { content characters { name } } ... on Error { code }
  }
}
"""


async def test_a_story_compiled_by_a_player_is_made_of_its_characters_tellings(
    app_client: AppClient,
) -> None:
    # given
    rooms = await TwoRooms(app_client).set()
    await rooms.play()
    turn = await rooms.narrated()

    # when
    compiled = {
        name: (await app_client.data(COMPILE, {"session": rooms.session}, token=token))[
            "compileStory"
        ]
        for name, token in [("ada", rooms.ada), ("bob", rooms.bob), ("cy", rooms.cy)]
    }

    # then: the gamemaster's story is the omniscient prose, Bob's his telling only
    assert compiled["ada"]["content"] == turn["narrative"]
    told = (await rooms.turn_as(rooms.bob))["narrative"]
    assert compiled["bob"]["content"] == told
    assert CELLAR not in compiled["bob"]["content"]
    assert compiled["bob"]["characters"] == [{"name": "Tam"}]
    # a member with no character has nothing told to compile: a typed error, no story
    assert compiled["cy"]["code"] == "INVALID_INPUT"


async def test_a_co_author_reading_the_whole_story_stops_when_the_campaign_turns_to_characters(
    server: LiveServer,
) -> None:
    # given: Eve reads the one telling of an omniscient campaign
    rooms = await TwoRooms(server).set(perspective="OMNISCIENT")
    async with server.ws(rooms.eve) as eve:
        await eve.subscribe("all", STREAM, {"session": rooms.session})
        await asyncio.sleep(0.3)
        await rooms.play()
        first = await until_ended(eve, "all")

        # when: the owner has the campaign seen through characters, and a turn is played
        changed = await rooms.client.data(
            SETTINGS,
            {"id": rooms.campaign["id"], "input": {"perspective": "THROUGH_CHARACTERS"}},
            token=rooms.ada,
        )
        assert changed["updateCampaignSettings"]["__typename"] == "Campaign"
        await rooms.play()

        # then: her stream ends before the next telling, with the code to resubscribe by
        message = await eve.receive(within=30)
        assert (await eve.receive())["type"] == "complete"
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "VIEWPOINT_CHANGED"
    assert HALL in text_of(first)  # it was the whole story: both rooms
    assert CELLAR in text_of(first)
    # resubscribing after her last chunk, she reads only Kit's telling from then on
    await rooms.narrated(2)
    async with server.ws(rooms.eve) as again:
        await again.subscribe(
            "mine", STREAM, {"session": rooms.session, "after": first[-1]["cursor"]}
        )
        rest = await until_ended(again, "mine")
    assert {c["viewpointCharacterId"] for c in rest} == {rooms.kit["id"]}
    assert HALL not in text_of(rest)
