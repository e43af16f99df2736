"""forkCampaign over the real app, on both databases: the branch's history is the
original's up to the cut with every id of the campaign's own renamed, its state is the
original's at that moment, the original is untouched, the branch plays on (and narrates a
turn the original had not narrated at the cut), and refusals change nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.messagebus import Handlers, Job, JobContext
from novel_engine.graphql.pagination import position_cursor
from novel_engine.narrative.steps import TELLING
from novel_engine.persistence.tables import jobs, narrative_chunks
from tests.graphql_client import AppClient, serving
from tests.integration.helpers import count_rows, create_campaign, create_character, settled_rows
from tests.integration.test_sessions_api import START, SUBMIT, act
from tests.live_server import eventually, settings_for

FORK = """
mutation($id: ID!, $at: String!) {
  forkCampaign(campaignId: $id, at: $at) {
    __typename
    ... on Campaign { id name forkedFrom forkedAtEvent }
    ... on Error { code message field }
  }
}
"""

CAMPAIGN = """
query($id: ID!) {
  campaign(id: $id) {
    id name description worldState worldVersion narrationStyle perspective strictCoherence
    members { role user { displayName } }
    characters { name }
    sessions {
      id number status
      turns { edges { node {
        id number narrationStatus narrative modelUsed fallback
        actions { kind intent character { name } targets { name } }
        outcomes { success roll description consequences }
        reactions { success description action { kind intent character { name } } }
      } } }
    }
  }
}
"""

EVENTS = """
query($id: ID!, $after: String) {
  campaign(id: $id) { events(first: 100, after: $after) {
    edges { cursor node {
      eventId eventType aggregateId aggregateType causationId correlationId userId payload
      timestamp
    } }
    pageInfo { hasNextPage endCursor }
  } }
}
"""

ADD_MEMBER = """
mutation($id: ID!, $email: String!, $role: CampaignRole!) {
  addCampaignMember(campaignId: $id, email: $email, role: $role) { __typename }
}
"""

ADD_CHARACTER = """
mutation($id: ID!, $c: ID!, $ai: Boolean) {
  addCampaignCharacter(campaignId: $id, characterId: $c, aiControlled: $ai) { __typename }
}
"""


class Table:
    """Ada owns the campaign and plays Mira; Cid is its gamemaster; Bob, a co-author,
    plays Tam; Old Wren is AI-played. Everyone starts in the hall."""

    def __init__(self, client: AppClient) -> None:
        self.client = client

    async def set(self) -> Table:
        c = self.client
        self.ada, self.bob = await c.sign_up("Ada"), await c.sign_up("Bob")
        self.cid, self.eve = await c.sign_up("Cid"), await c.sign_up("Eve")
        world = {"genre": "fantasy", "weather": "fog"}
        self.campaign = (await create_campaign(c, self.ada, "Gloom", world=world))["id"]
        for email, role in [("bob@example.com", "COAUTHOR"), ("cid@example.com", "GAMEMASTER")]:
            await c.data(
                ADD_MEMBER, {"id": self.campaign, "email": email, "role": role}, token=self.ada
            )
        self.mira = await create_character(c, self.ada, "Mira", visibility="PUBLIC")
        self.tam = await create_character(c, self.bob, "Tam", visibility="PUBLIC")
        self.wren = await create_character(c, self.ada, "Old Wren", background="a ferryman")
        for token, character, ai in [
            (self.ada, self.mira, False),
            (self.bob, self.tam, False),
            (self.ada, self.wren, True),
        ]:
            added = await c.data(
                ADD_CHARACTER, {"id": self.campaign, "c": character["id"], "ai": ai}, token=token
            )
            assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
        started = await c.data(START, {"id": self.campaign}, token=self.ada)
        self.session = started["startSession"]["id"]
        return self

    async def play(self, session: str, actions: list[dict[str, Any]]) -> dict[str, Any]:
        data = await self.client.data(
            SUBMIT, {"session": session, "input": {"actions": actions}}, token=self.ada
        )
        turn: dict[str, Any] = data["submitTurn"]
        assert turn["__typename"] == "Turn", turn
        return turn

    async def campaign_of(self, campaign: str, token: str | None = None) -> dict[str, Any]:
        data = await self.client.data(CAMPAIGN, {"id": campaign}, token=token or self.ada)
        found: dict[str, Any] = data["campaign"]
        return found

    async def events(self, campaign: str, token: str | None = None) -> list[dict[str, Any]]:
        edges: list[dict[str, Any]] = []
        after = None
        while True:
            data = await self.client.data(
                EVENTS, {"id": campaign, "after": after}, token=token or self.ada
            )
            page = data["campaign"]["events"]
            edges.extend(page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                return edges
            after = page["pageInfo"]["endCursor"]

    async def narrated(self, campaign: str, turns: int, within: float = 30) -> dict[str, Any]:
        """The campaign once its first session has `turns` turns, all narrated."""
        async with asyncio.timeout(within):
            while True:
                found = await self.campaign_of(campaign)
                played = [e["node"] for e in found["sessions"][0]["turns"]["edges"]]
                if len(played) >= turns and all(t["narrationStatus"] == "DONE" for t in played):
                    return found
                await asyncio.sleep(0.05)

    async def fork(self, at: str, token: str | None = None, campaign: str | None = None) -> Any:
        data = await self.client.data(
            FORK, {"id": campaign or self.campaign, "at": at}, token=token or self.ada
        )
        return data["forkCampaign"]


def replaced(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [replaced(v, names) for v in value]
    if isinstance(value, dict):
        return {names.get(k, k): replaced(v, names) for k, v in value.items()}
    return value


def ids_in(value: Any) -> set[str]:
    """Every string (keys included) in a JSON document."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return set().union(*(ids_in(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set(value) | ids_in(list(value.values()))
    return set()


def turns_of(campaign: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["node"] for s in campaign["sessions"] for e in s["turns"]["edges"]]


def without_ids(campaign: dict[str, Any]) -> dict[str, Any]:
    """What a user sees of a campaign's state, ids aside."""
    found = {k: v for k, v in campaign.items() if k not in ("id", "name", "members")}
    found["sessions"] = [
        {"number": s["number"], "status": s["status"]} for s in campaign["sessions"]
    ]
    found["turns"] = [{k: v for k, v in t.items() if k != "id"} for t in turns_of(campaign)]
    return found


async def count_branch_jobs(engine: AsyncEngine, campaign: str) -> dict[str, int]:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(jobs.c.kind, func.count())
            .where(jobs.c.campaign_id == uuid.UUID(campaign))
            .group_by(jobs.c.kind)
        )
        return {kind: int(n) for kind, n in found}


async def test_a_branch_holds_the_history_and_state_up_to_the_cut_and_plays_on(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: two narrated turns, the cut after the first one's narration
    table = await Table(app_client).set()
    await table.play(table.session, [act(table.mira, "MOVE", "the cellar")])
    at_cut = await table.narrated(table.campaign, 1)
    events_at_cut = await table.events(table.campaign)
    await table.play(table.session, [act(table.mira, "DIALOGUE", "Who goes there?", [table.tam])])
    await table.narrated(table.campaign, 2)
    await settled_rows(engine)
    original_before = await table.campaign_of(table.campaign)
    original_events_before = await table.events(table.campaign)
    cut = events_at_cut[-1]

    # when
    branch = await table.fork(cut["cursor"])

    # then: a new campaign, named as a branch, that says where it came from
    assert branch["__typename"] == "Campaign", branch
    assert branch["name"] == "Gloom (branch)"
    assert branch["forkedFrom"] == table.campaign
    assert branch["forkedAtEvent"] == cut["node"]["eventId"]
    # its history: the original's up to the cut, in order, then the fork
    copied = await table.events(branch["id"])
    assert len(copied) == len(events_at_cut) + 1
    forked = copied[-1]["node"]
    assert forked["eventType"] == "campaigns.campaign.forked"
    assert forked["payload"]["forkedFrom"] == table.campaign
    assert forked["payload"]["forkedAtEvent"] == cut["node"]["eventId"]
    assert forked["payload"]["at"] == cut["cursor"]
    assert forked["payload"]["eventCount"] == len(events_at_cut)
    # every id that is the campaign's own is renamed, consistently; characters and users
    # are shared and keep theirs
    branch_state = await table.campaign_of(branch["id"])
    names = {table.campaign: branch["id"]}
    for was, now in zip(events_at_cut, copied, strict=False):
        names[was["node"]["eventId"]] = now["node"]["eventId"]
    for was, now in zip(at_cut["sessions"], branch_state["sessions"], strict=True):
        names[was["id"]] = now["id"]
    for was, now in zip(turns_of(at_cut), turns_of(branch_state), strict=True):
        names[was["id"]] = now["id"]
    assert len(set(names.values())) == len(names)
    assert not set(names) & set(names.values())
    for was, now in zip(events_at_cut, copied, strict=False):
        old, new = was["node"], now["node"]
        assert new["eventType"] == old["eventType"]
        assert new["payload"] == replaced(old["payload"], names)
        assert new["aggregateId"] == names.get(old["aggregateId"], old["aggregateId"])
        assert new["causationId"] == names.get(old["causationId"], old["causationId"])
        assert (new["correlationId"], new["userId"]) == (old["correlationId"], old["userId"])
        assert new["timestamp"] == old["timestamp"]
        assert not ids_in(new["payload"]) & set(names)
    moved = next(e["node"] for e in copied if e["node"]["eventType"].endswith("performed"))
    assert moved["payload"]["witnesses"]  # perception is copied as it was
    # its state: the original's at the cut
    assert without_ids(branch_state) == without_ids(at_cut)
    assert branch_state["worldState"]["locations"] == {table.mira["id"]: "the cellar"}
    assert sorted((m["user"]["displayName"], m["role"]) for m in branch_state["members"]) == [
        ("Ada", "OWNER"),
        ("Bob", "COAUTHOR"),
        ("Cid", "GAMEMASTER"),
    ]
    # its narration, chunk by chunk, is the original's of that turn
    async with engine.connect() as conn:
        chunks = await conn.execute(
            select(narrative_chunks.c.session_id, narrative_chunks.c.text).order_by(
                narrative_chunks.c.id
            )
        )
        texts: dict[str, str] = {}
        for session_id, text in chunks:
            texts[str(session_id)] = texts.get(str(session_id), "") + text
    first_turn = turns_of(at_cut)[0]
    assert texts[branch_state["sessions"][0]["id"]] == first_turn["narrative"]
    # the original is untouched
    await settled_rows(engine)
    assert await table.campaign_of(table.campaign) == original_before
    assert await table.events(table.campaign) == original_events_before
    # copied history asked for no work again (nothing was re-narrated)
    assert TELLING not in await count_branch_jobs(engine, branch["id"])

    # when: the branch plays on from where it was
    session = branch_state["sessions"][0]["id"]
    await table.play(session, [act(table.mira, "INTERACT", "light the lamp")])
    played = await table.narrated(branch["id"], 2)

    # then: the new turn is the branch's second, narrated in the branch only
    turns = turns_of(played)
    assert [t["number"] for t in turns] == [1, 2]
    assert turns[1]["actions"][0]["intent"] == "light the lamp"
    assert turns[1]["narrative"]
    later = [e["node"] for e in await table.events(branch["id"])][len(copied) :]
    assert "interactions.interaction.resolved" in [e["eventType"] for e in later]
    assert "narratives.turn.narrated" in [e["eventType"] for e in later]
    assert all(e["payload"].get("sessionId") in (session, None) for e in later)
    await settled_rows(engine)
    assert await table.campaign_of(table.campaign) == original_before


async def test_a_turn_not_yet_narrated_at_the_cut_is_narrated_by_the_branch(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: a turn whose cut falls after its resolution, before its narration
    table = await Table(app_client).set()
    await table.play(table.session, [act(table.mira, "MOVE", "the cellar")])
    await table.narrated(table.campaign, 1)
    history = await table.events(table.campaign)
    resolved = next(
        e for e in history if e["node"]["eventType"] == "interactions.interaction.resolved"
    )

    # when
    branch = await table.fork(resolved["cursor"], token=table.cid)

    # then: the branch's own story engine narrates it, once
    assert branch["__typename"] == "Campaign", branch
    told = await table.narrated(branch["id"], 1)
    turn = turns_of(told)[0]
    assert turn["narrationStatus"] == "DONE"
    assert turn["narrative"]
    branch_events = [e["node"] for e in await table.events(branch["id"])]
    narrated = [e for e in branch_events if e["eventType"] == "narratives.turn.narrated"]
    assert [e["payload"]["turnId"] for e in narrated] == [turn["id"]]
    # the gamemaster who forked owns the branch; the original owner directs it
    assert sorted((m["user"]["displayName"], m["role"]) for m in told["members"]) == [
        ("Ada", "GAMEMASTER"),
        ("Bob", "COAUTHOR"),
        ("Cid", "OWNER"),
    ]


async def test_refused_forks_are_typed_errors_that_change_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    table = await Table(app_client).set()
    await table.play(table.session, [act(table.mira, "MOVE", "the cellar")])
    await table.narrated(table.campaign, 1)
    history = await table.events(table.campaign)
    initiated = next(
        e for e in history if e["node"]["eventType"] == "interactions.interaction.initiated"
    )
    before = await settled_rows(engine)
    head = history[-1]["cursor"]
    # when / then
    refusals = [
        (table.eve, table.campaign, head, "NOT_FOUND"),  # not a member
        (table.bob, table.campaign, head, "FORBIDDEN"),  # a co-author
        (table.ada, table.campaign, "not-a-cursor", "INVALID_INPUT"),
        (table.ada, table.campaign, position_cursor(len(history) + 1), "INVALID_INPUT"),
        (table.ada, table.campaign, position_cursor(0), "INVALID_INPUT"),
        (table.ada, table.campaign, initiated["cursor"], "INVALID_INPUT"),  # mid-turn
    ]
    for token, campaign, at, code in refusals:
        refused = await table.fork(at, token=token, campaign=campaign)
        assert refused["__typename"] != "Campaign", (at, refused)
        assert refused["code"] == code, (at, refused)
        if code == "INVALID_INPUT":
            assert refused["field"] == "at"
    assert await count_rows(engine) == before


async def test_the_fork_event_runs_durable_handlers_on_it_and_copies_run_none(
    database_url: str, engine: AsyncEngine
) -> None:
    # given: a projection-like durable handler on the fork and one on every world change
    seen: dict[str, list[StoredEvent]] = {"forked": [], "world": []}

    def recording(name: str) -> Any:
        async def handle(job: Job, ctx: JobContext) -> None:
            seen[name].append(job.event)
            async with ctx.unit_of_work() as uow:
                await uow.commit()

        return handle

    handlers = Handlers()
    handlers.add_durable("forked", [EventType.CAMPAIGN_FORKED], recording("forked"))
    handlers.add_durable("world", [EventType.WORLD_STATE_CHANGED], recording("world"))
    async with serving(settings_for(database_url), handlers) as client:
        table = await Table(client).set()
        await table.play(table.session, [act(table.mira, "MOVE", "the cellar")])
        await table.narrated(table.campaign, 1)
        history = await table.events(table.campaign)
        await eventually(lambda: len(seen["world"]) == 1)

        # when
        branch = await table.fork(history[-1]["cursor"])

        # then
        await eventually(lambda: bool(seen["forked"]))
        await settled_rows(engine)
    [forked] = seen["forked"]
    assert str(forked.event.stream.id) == branch["id"]
    assert forked.position == len(history) + 1
    assert [str(s.event.stream.id) for s in seen["world"]] == [table.campaign]
