"""Subjective reality through the API: two players whose characters stand in different
rooms each learn only their own room's events; one tells the other and the listener
holds it as hearsay, attributed; the gamemaster reads every brief; the projection
rebuilds to the same beliefs."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.narrative.beliefs import BeliefProjection
from novel_engine.persistence.event_store import SqlEventReader
from novel_engine.persistence.uow import SqlUnitOfWork
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character
from tests.integration.test_sessions_api import START, SUBMIT, act
from tests.integration.test_story_engine import ADD

BRIEF = """
query($session: ID!, $character: ID!) {
  turnBrief(sessionId: $session, characterId: $character) {
    character { name } location present { name } goals
    beliefs { statement source reliability learnedAtTurn toldBy { name } eventId }
    recentEvents { eventType payload }
  }
}
"""

WORLD = """
mutation($id: ID!, $patch: JSON!, $v: Int!) {
  updateWorldState(campaignId: $id, patch: $patch, expectedVersion: $v) {
    __typename ... on Campaign { worldVersion }
  }
}
"""


class Rooms:
    """Ada (owner) plays Mira in the hall; Bob (co-author) plays Tam in the cellar; Gil is
    a gamemaster and plays no one."""

    def __init__(self, client: AppClient) -> None:
        self.client = client

    async def set(self) -> Rooms:
        c = self.client
        self.ada, self.bob, self.gil = [await c.sign_up(n) for n in ("Ada", "Bob", "Gil")]
        self.campaign = await create_campaign(c, self.ada, world={"place": "the manor"})
        for email, role in (("bob@example.com", "COAUTHOR"), ("gil@example.com", "GAMEMASTER")):
            await c.data(
                "mutation($id: ID!, $e: String!, $r: CampaignRole!) { addCampaignMember("
                "campaignId: $id, email: $e, role: $r) { __typename } }",
                {"id": self.campaign["id"], "e": email, "r": role},
                token=self.ada,
            )
        self.mira = await create_character(c, self.ada, "Mira", visibility="PUBLIC")
        self.tam = await create_character(c, self.bob, "Tam", visibility="PUBLIC")
        for token, character in ((self.ada, self.mira), (self.bob, self.tam)):
            added = await c.data(
                ADD, {"id": self.campaign["id"], "c": character["id"], "ai": False}, token=token
            )
            assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
        places = {self.mira["id"]: "the hall", self.tam["id"]: "the cellar"}
        moved = await c.data(
            WORLD,
            {"id": self.campaign["id"], "patch": {"locations": places}, "v": 1},
            token=self.ada,
        )
        assert moved["updateWorldState"]["__typename"] == "Campaign", moved
        started = await c.data(START, {"id": self.campaign["id"]}, token=self.ada)
        self.session = started["startSession"]["id"]
        return self

    async def play(self, token: str, *actions: dict[str, Any]) -> None:
        data = await self.client.data(
            SUBMIT, {"session": self.session, "input": {"actions": list(actions)}}, token=token
        )
        assert data["submitTurn"]["__typename"] == "Turn", data

    async def brief(self, token: str, character: dict[str, Any]) -> dict[str, Any]:
        body = await self.client.execute(
            BRIEF, {"session": self.session, "character": character["id"]}, token=token
        )
        return body

    async def brief_knowing(
        self, character: dict[str, Any], marker: str, within: float = 20
    ) -> dict[str, Any]:
        """The character's brief once the beliefs projection has taken in `marker`."""
        async with asyncio.timeout(within):
            while True:
                found = (await self.brief(self.ada, character))["data"]["turnBrief"]
                if marker in str(found["beliefs"]):
                    return dict(found)
                await asyncio.sleep(0.05)


def text(brief: dict[str, Any]) -> str:
    return str(brief)


async def test_each_room_learns_only_its_own_events_and_words_told_travel_as_hearsay(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: Mira in the hall, Tam in the cellar
    rooms = await Rooms(app_client).set()

    # when: each acts in its own room
    await rooms.play(rooms.ada, act(rooms.mira, "INTERACT", "lift the ALPHAKEY from the altar"))
    await rooms.play(rooms.bob, act(rooms.tam, "INTERACT", "count the BETABARREL casks"))

    # then: each brief holds its own room's deed and not the other's
    mira = await rooms.brief_knowing(rooms.mira, "ALPHAKEY")
    tam = await rooms.brief_knowing(rooms.tam, "BETABARREL")
    assert "BETABARREL" not in text(mira)
    assert "ALPHAKEY" not in text(tam)
    assert (mira["location"], tam["location"]) == ("the hall", "the cellar")
    assert (mira["present"], tam["present"]) == ([], [])
    assert {e["eventType"] for e in mira["recentEvents"]} == {"interactions.action.performed"}

    # when: Mira goes down to the cellar and tells Tam
    await rooms.play(rooms.ada, act(rooms.mira, "MOVE", "the cellar"))
    await rooms.play(
        rooms.ada,
        act(rooms.mira, "DIALOGUE", "The GAMMAVAULT opens at midnight.", [rooms.tam]),
    )

    # then: Tam holds the words as hearsay, told by Mira, as reliable as Mira is
    tam = await rooms.brief_knowing(rooms.tam, "GAMMAVAULT")
    [hearsay] = [b for b in tam["beliefs"] if b["source"] == "HEARSAY"]
    assert hearsay["statement"] == "The GAMMAVAULT opens at midnight."
    assert hearsay["toldBy"] == {"name": "Mira"}
    assert 0.3 <= hearsay["reliability"] <= 0.9
    assert hearsay["learnedAtTurn"] == 4
    observed = [b for b in tam["beliefs"] if b["source"] == "DIRECT_OBSERVATION"]
    assert any("Mira said to Tam" in b["statement"] for b in observed)
    assert any("Mira is now at the cellar" in b["statement"] for b in observed)
    # what Tam never perceived stays unknown to it; its old beliefs decay with turns
    assert "ALPHAKEY" not in text(tam)
    [counted] = [b for b in tam["beliefs"] if "BETABARREL" in b["statement"]]
    assert counted["learnedAtTurn"] == 2
    assert counted["reliability"] < 1.0
    tam_now = (await rooms.brief(rooms.bob, rooms.tam))["data"]["turnBrief"]
    assert tam_now["present"] == [{"name": "Mira"}]

    # the gamemaster reads both briefs; Bob may not read Mira's; an outsider sees nothing
    assert (await rooms.brief(rooms.gil, rooms.mira))["data"]["turnBrief"]["character"] == {
        "name": "Mira"
    }
    refused = await rooms.brief(rooms.bob, rooms.mira)
    assert refused["data"]["turnBrief"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    outsider = await app_client.sign_up("Oz")
    hidden = await rooms.brief(outsider, rooms.tam)
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    # and the projection rebuilt from the log holds exactly the same beliefs
    before = (await rooms.brief(rooms.ada, rooms.tam))["data"]["turnBrief"]["beliefs"]
    campaign_id = uuid.UUID(rooms.campaign["id"])
    async with SqlUnitOfWork(engine) as uow:
        await BeliefProjection(SqlEventReader(engine)).rebuild(uow, campaign_id)
        await uow.commit()
    after = (await rooms.brief(rooms.ada, rooms.tam))["data"]["turnBrief"]["beliefs"]
    assert after == before


CUT = """
query($id: ID!) {
  campaign(id: $id) {
    events(first: 100) { edges { node { eventType cursor payload } } }
    sessions { id }
  }
}
"""

MEMORIES = """
query($character: ID!, $campaign: ID!) {
  character(id: $character) {
    memories(campaignId: $campaign, first: 50) { edges { node { content } } }
  }
}
"""


def held(brief: dict[str, Any]) -> list[tuple[Any, ...]]:
    """A brief's beliefs without the ids a branch renames."""
    return [
        (b["statement"], b["source"], b["learnedAtTurn"], b["toldBy"]) for b in brief["beliefs"]
    ]


async def test_a_fork_taken_before_the_telling_knows_exactly_what_was_known_then(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: two rooms; Mira walks down to the cellar; the campaign as it stood then
    rooms = await Rooms(app_client).set()
    await rooms.play(rooms.ada, act(rooms.mira, "INTERACT", "lift the ALPHAKEY from the altar"))
    await rooms.play(rooms.bob, act(rooms.tam, "INTERACT", "count the BETABARREL casks"))
    await rooms.play(rooms.ada, act(rooms.mira, "MOVE", "the cellar"))
    tam_then = await rooms.brief_knowing(rooms.tam, "Mira is now at the cellar")
    listed = await app_client.data(CUT, {"id": rooms.campaign["id"]}, token=rooms.ada)
    cut = listed["campaign"]["events"]["edges"][-1]["node"]["cursor"]

    # when: Mira tells Tam, and the gamemaster forks the campaign before the telling
    await rooms.play(
        rooms.ada,
        act(rooms.mira, "DIALOGUE", "The GAMMAVAULT opens at midnight.", [rooms.tam]),
    )
    await rooms.brief_knowing(rooms.tam, "GAMMAVAULT")
    forked = await app_client.data(
        "mutation($id: ID!, $at: String!) { forkCampaign(campaignId: $id, at: $at) {"
        " __typename ... on Campaign { id } ... on Error { code message } } }",
        {"id": rooms.campaign["id"], "at": cut},
        token=rooms.gil,
    )
    branch = forked["forkCampaign"]
    assert branch["__typename"] == "Campaign", branch

    # then: the branch's Tam knows what Tam knew at the cut, and not the telling
    [session] = (await app_client.data(CUT, {"id": branch["id"]}, token=rooms.gil))["campaign"][
        "sessions"
    ]
    branched = Rooms(app_client)
    branched.ada, branched.session = rooms.gil, session["id"]
    tam_branch = await branched.brief_knowing(rooms.tam, "Mira is now at the cellar")
    assert held(tam_branch) == held(tam_then)
    assert (tam_branch["location"], tam_branch["present"], tam_branch["goals"]) == (
        tam_then["location"],
        tam_then["present"],
        tam_then["goals"],
    )
    assert "GAMMAVAULT" not in text(tam_branch)
    # nor do its memories; the original's Tam still holds the telling
    async with asyncio.timeout(20):
        while True:
            remembered = await app_client.data(
                MEMORIES, {"character": rooms.tam["id"], "campaign": branch["id"]}, token=rooms.gil
            )
            contents = [e["node"]["content"] for e in remembered["character"]["memories"]["edges"]]
            if any("BETABARREL" in c for c in contents):
                break
            await asyncio.sleep(0.05)
    assert not [c for c in contents if "GAMMAVAULT" in c]
    assert "GAMMAVAULT" in text(await rooms.brief_knowing(rooms.tam, "GAMMAVAULT"))


SEEN = """
query($campaign: ID!, $session: ID!) {
  campaign(id: $campaign) { worldState }
  session(id: $session) { turns { edges { node {
    actions { intent } warnings { message actionIndex }
  } } } }
}
"""


async def test_through_characters_a_coauthor_sees_the_world_and_warnings_of_its_own_room(
    app_client: AppClient,
) -> None:
    # given: a campaign seen through characters; Mira speaks to Tam, who is elsewhere
    rooms = await Rooms(app_client).set()
    changed = await app_client.data(
        "mutation($id: ID!) { updateCampaignSettings(campaignId: $id, input: "
        "{perspective: THROUGH_CHARACTERS}) { __typename } }",
        {"id": rooms.campaign["id"]},
        token=rooms.ada,
    )
    assert changed["updateCampaignSettings"]["__typename"] == "Campaign"
    await rooms.play(rooms.ada, act(rooms.mira, "DIALOGUE", "Can you hear me, Tam?", [rooms.tam]))

    # when
    variables = {"campaign": rooms.campaign["id"], "session": rooms.session}
    bob = await app_client.data(SEEN, variables, token=rooms.bob)
    ada = await app_client.data(SEEN, variables, token=rooms.ada)

    # then: Bob sees where Tam stands, not where Mira does, nor the turn he did not witness
    assert bob["campaign"]["worldState"]["locations"] == {rooms.tam["id"]: "the cellar"}
    [turn] = bob["session"]["turns"]["edges"]
    assert turn["node"] == {"actions": [], "warnings": []}
    # the owner sees the whole world and the warning naming the absent listener
    assert len(ada["campaign"]["worldState"]["locations"]) == 2
    [warned] = ada["session"]["turns"]["edges"][0]["node"]["warnings"]
    assert warned["actionIndex"] == 0


WARNED = """
query($session: ID!) {
  session(id: $session) { turns { edges { node { warnings { eventId actionIndex } } } } }
}
"""


async def test_a_warning_names_an_event_only_to_whoever_may_see_it(
    app_client: AppClient,
) -> None:
    # given: seen through characters; Mira leaves the hall for the garden, unseen by Tam
    rooms = await Rooms(app_client).set()
    await app_client.data(
        "mutation($id: ID!) { updateCampaignSettings(campaignId: $id, input: "
        "{perspective: THROUGH_CHARACTERS}) { __typename } }",
        {"id": rooms.campaign["id"]},
        token=rooms.ada,
    )
    await rooms.play(rooms.ada, act(rooms.mira, "MOVE", "the garden"))

    # when: Bob has Tam call to Mira, who is not there
    await rooms.play(rooms.bob, act(rooms.tam, "DIALOGUE", "Mira, are you there?", [rooms.mira]))

    # then: both read the warning on Bob's turn; only the owner learns which event it was
    as_bob = await app_client.data(WARNED, {"session": rooms.session}, token=rooms.bob)
    as_ada = await app_client.data(WARNED, {"session": rooms.session}, token=rooms.ada)
    [bobs] = as_bob["session"]["turns"]["edges"][-1]["node"]["warnings"]
    [adas] = as_ada["session"]["turns"]["edges"][-1]["node"]["warnings"]
    assert bobs == {"eventId": None, "actionIndex": 0}
    assert adas["eventId"] is not None
