"""The story engine over a real server with the offline model: turns get outcomes, an
AI-played character reacts in character, the chronicler's prose streams to subscribers
(from the start, joining mid-session, resuming by cursor) and is saved on the turn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.helpers import create_campaign, create_character
from tests.integration.test_sessions_api import START, SUBMIT, act
from tests.live_server import LiveServer, live_server, settings_for

STREAM = """
subscription($session: ID!, $after: String) {
  narrativeStream(sessionId: $session, after: $after) { turnId sequence text done cursor }
}
"""

TURNS = """
query($id: ID!) {
  session(id: $id) { turns { edges { node {
    id number narrationStatus narrative modelUsed fallback narrationError
    outcomes { success roll description action { kind intent character { name } } }
    reactions { success description action { kind intent character { name } targets { name } } }
  } } } }
}
"""

EVENTS = """
query($id: ID!) {
  campaign(id: $id) { events(first: 100) { edges { node {
    eventId eventType causationId payload
  } } } }
}
"""

ADD = """
mutation($id: ID!, $c: ID!, $ai: Boolean) {
  addCampaignCharacter(campaignId: $id, characterId: $c, aiControlled: $ai) {
    __typename ... on Error { code message }
  }
}
"""


@pytest.fixture
async def server(database_url: str, hub_url: str | None) -> AsyncIterator[LiveServer]:
    async with live_server(settings_for(database_url, redis_url=hub_url)) as running:
        yield running


class Game:
    """Ada (owner) plays Mira, Bob (co-author) plays Tam, and Old Wren is AI-played."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.client = server.client

    async def set(self) -> Game:
        c = self.client
        self.ada, self.bob = await c.sign_up("Ada"), await c.sign_up("Bob")
        self.campaign = await create_campaign(
            c, self.ada, world={"genre": "fantasy", "tone": "mysterious"}
        )
        await c.data(
            "mutation($id: ID!) { addCampaignMember(campaignId: $id, "
            'email: "bob@example.com", role: COAUTHOR) { __typename } }',
            {"id": self.campaign["id"]},
            token=self.ada,
        )
        self.mira = await create_character(
            c, self.ada, "Mira", visibility="PUBLIC", background="a cartographer"
        )
        self.tam = await create_character(c, self.bob, "Tam", visibility="PUBLIC")
        self.wren = await create_character(
            c,
            self.ada,
            "Old Wren",
            background="keeper of the ferry",
            personality={
                "openness": 0.4,
                "conscientiousness": 0.6,
                "extraversion": 0.9,
                "agreeableness": 0.8,
                "neuroticism": 0.2,
            },
        )
        for token, character, ai in [
            (self.ada, self.mira, False),
            (self.bob, self.tam, False),
            (self.ada, self.wren, True),
        ]:
            added = await c.data(
                ADD, {"id": self.campaign["id"], "c": character["id"], "ai": ai}, token=token
            )
            assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
        started = await c.data(START, {"id": self.campaign["id"]}, token=self.ada)
        self.session = started["startSession"]["id"]
        return self

    async def play(self, token: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
        data = await self.client.data(
            SUBMIT, {"session": self.session, "input": {"actions": actions}}, token=token
        )
        turn: dict[str, Any] = data["submitTurn"]
        assert turn["__typename"] == "Turn", turn
        return turn

    async def turns(self) -> list[dict[str, Any]]:
        data = await self.client.data(TURNS, {"id": self.session}, token=self.ada)
        return [e["node"] for e in data["session"]["turns"]["edges"]]

    async def narrated(self, count: int, within: float = 30) -> list[dict[str, Any]]:
        async with asyncio.timeout(within):
            while True:
                turns = await self.turns()
                if len(turns) >= count and all(
                    t["narrationStatus"] in ("DONE", "FAILED") for t in turns
                ):
                    return turns
                await asyncio.sleep(0.05)


def joined(payloads: list[dict[str, Any]]) -> dict[str, str]:
    """Chunk texts joined per turn, checking each turn's sequence has no gap."""
    texts: dict[str, list[str]] = {}
    for payload in payloads:
        chunk = payload["data"]["narrativeStream"]
        parts = texts.setdefault(chunk["turnId"], [])
        assert chunk["sequence"] == len(parts), (chunk, parts)
        parts.append(chunk["text"])
    return {turn: "".join(parts) for turn, parts in texts.items()}


async def until_done(ws: Any, id: str, turns: int) -> list[dict[str, Any]]:
    """Payloads of subscription `id` until `turns` turns have sent their done chunk."""
    payloads: list[dict[str, Any]] = []
    done = 0
    while done < turns:
        [payload] = await ws.next_payloads(id, 1, within=30)
        payloads.append(payload)
        done += payload["data"]["narrativeStream"]["done"]
    return payloads


async def test_turns_get_reactions_and_prose_streamed_to_every_kind_of_subscriber(
    server: LiveServer,
) -> None:
    # given
    game = await Game(server).set()
    async with server.ws(game.bob) as early:
        await early.subscribe("early", STREAM, {"session": game.session})
        await asyncio.sleep(0.2)

        # when: three turns, by two players, the AI character present for all
        first = await game.play(
            game.ada,
            [act(game.mira, "DIALOGUE", "Who keeps this ferry?", [game.wren])],
        )
        second = await game.play(
            game.bob,
            [
                act(game.tam, "SKILL", "read the river's current"),
                act(game.tam, "ATTACK", "shove the rival boat away", [game.mira]),
            ],
        )
        early_payloads = await until_done(early, "early", 2)
        third = await game.play(
            game.ada, [act(game.mira, "INTERACT", "unroll the old map", [game.tam])]
        )
        early_payloads += await until_done(early, "early", 1)

    # then: every turn narrated, once, by the offline model
    turns = await game.narrated(3)
    assert [t["id"] for t in turns] == [first["id"], second["id"], third["id"]]
    for turn in turns:
        assert turn["narrationStatus"] == "DONE", turn
        assert turn["modelUsed"] == "offline/offline-1"
        assert turn["fallback"] is False
        assert len(turn["narrative"].split()) > 20
    # the AI character answered each turn it witnessed, in character, resolved by the rules
    for turn in turns:
        [reaction] = turn["reactions"]
        assert reaction["action"]["character"] == {"name": "Old Wren"}
        assert reaction["description"]
    assert "Old Wren" in turns[0]["narrative"]
    # the stream joins to the saved text, turn by turn, with no gap
    assert joined(early_payloads) == {t["id"]: t["narrative"] for t in turns}

    # a subscriber resuming by cursor gets exactly what came after
    middle = len(early_payloads) // 2
    cursor = early_payloads[middle]["data"]["narrativeStream"]["cursor"]
    expected = early_payloads[middle + 1 :]
    async with server.ws(game.ada) as resumed:
        await resumed.subscribe("resume", STREAM, {"session": game.session, "after": cursor})
        rest = await until_done(
            resumed, "resume", sum(p["data"]["narrativeStream"]["done"] for p in expected)
        )
    assert rest == expected

    # the reaction events are caused by the events they answer
    events = await game.client.data(EVENTS, {"id": game.campaign["id"]}, token=game.ada)
    nodes = [e["node"] for e in events["campaign"]["events"]["edges"]]
    by_id = {n["eventId"]: n for n in nodes}
    reactions = [
        n
        for n in nodes
        if n["eventType"].startswith("interactions.") and n["payload"].get("aiControlled")
    ]
    assert len(reactions) == 3
    for reaction in reactions:
        assert reaction["payload"]["witnesses"]
        assert by_id[reaction["causationId"]]["eventType"].startswith("interactions.")
    narrated = [n for n in nodes if n["eventType"] == "narratives.turn.narrated"]
    assert [n["payload"]["text"] for n in narrated] == [t["narrative"] for t in turns]


async def test_a_stranger_cannot_follow_a_session_and_a_bad_cursor_is_refused(
    server: LiveServer,
) -> None:
    game = await Game(server).set()
    eve = await server.client.sign_up("Eve")
    async with server.ws(eve) as ws:
        await ws.subscribe("1", STREAM, {"session": game.session})
        message = await ws.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    async with server.ws(game.ada) as ws:
        await ws.subscribe("2", STREAM, {"session": game.session, "after": "bogus"})
        message = await ws.receive()
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "INVALID_INPUT"
