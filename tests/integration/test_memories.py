"""Memory streams over the real app: memories form for the characters that perceived an
event and no one else, a rerun and a rebuild write what the live projection wrote,
repeated attacks make the target reflect, and `Character.memories` ranks by recency,
relevance and importance from the full-text index, for those allowed to read."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.memory import Memory, RetrievalWeights
from novel_engine.domain.perception import Checkpoint, MemoryKind
from novel_engine.models import factory as models
from novel_engine.narrative.memories import MEMORIES
from novel_engine.narrative.offline import OfflineModel
from novel_engine.persistence.memories import search_words
from novel_engine.persistence.tables import memories, model_calls
from novel_engine.persistence.uow import SqlUnitOfWork
from novel_engine.web.bootstrap import memory_projection
from novel_engine.web.cli import _Units, rebuild_campaign, rebuild_command
from novel_engine.web.settings import Settings
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character, settled_rows
from tests.integration.test_dataloaders import counting_statements
from tests.integration.test_sessions_api import START, SUBMIT, act
from tests.model_servers import FakeModelServer, Reply, openai_answer

MEMORIES_OF = """
query($id: ID!, $campaign: ID, $query: String, $first: Int, $after: String) {
  character(id: $id) {
    memories(campaignId: $campaign, query: $query, first: $first, after: $after) {
      edges { cursor node {
        id content kind importance createdAtTurn score evidence { id content kind }
      } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""

PERSPECTIVE = """
mutation($id: ID!, $p: Perspective!) {
  updateCampaignSettings(campaignId: $id, input: {perspective: $p}) { __typename }
}
"""


def engine_of(client: AppClient) -> AsyncEngine:
    engine: AsyncEngine = client.http._transport.app.state.engine  # type: ignore[attr-defined]
    return engine


class Cast:
    """Ada (owner) plays Mira and Ash, Bob (co-author) plays Tam, Vic only watches."""

    def __init__(self, client: AppClient) -> None:
        self.client = client

    async def set(self) -> Cast:
        c = self.client
        self.ada, self.bob, self.vic = [await c.sign_up(n) for n in ("Ada", "Bob", "Vic")]
        self.eve = await c.sign_up("Eve")  # not a member
        self.campaign = await create_campaign(c, self.ada)
        for email, role in [("bob@example.com", "COAUTHOR"), ("vic@example.com", "VIEWER")]:
            await c.data(
                "mutation($id: ID!, $e: String!, $r: CampaignRole!) { "
                "addCampaignMember(campaignId: $id, email: $e, role: $r) { __typename } }",
                {"id": self.campaign["id"], "e": email, "r": role},
                token=self.ada,
            )
        self.mira = await create_character(c, self.ada, "Mira", visibility="PUBLIC")
        self.ash = await create_character(c, self.ada, "Ash", visibility="PUBLIC")
        self.tam = await create_character(c, self.bob, "Tam", visibility="PUBLIC")
        for token, character in [(self.ada, self.mira), (self.ada, self.ash), (self.bob, self.tam)]:
            await c.data(
                "mutation($id: ID!, $c: ID!) { addCampaignCharacter(campaignId: $id, "
                "characterId: $c) { __typename } }",
                {"id": self.campaign["id"], "c": character["id"]},
                token=token,
            )
        started = await c.data(START, {"id": self.campaign["id"]}, token=self.ada)
        self.session = started["startSession"]["id"]
        return self

    async def play(self, token: str, *actions: dict[str, Any]) -> None:
        data = await self.client.data(
            SUBMIT, {"session": self.session, "input": {"actions": list(actions)}}, token=token
        )
        assert data["submitTurn"]["__typename"] == "Turn", data

    async def memories(
        self, character: dict[str, Any], token: str | None = None, **args: Any
    ) -> dict[str, Any]:
        body = await self.client.execute(
            MEMORIES_OF,
            {"id": character["id"], "campaign": self.campaign["id"], **args},
            token=token or self.ada,
        )
        return body

    async def contents(self, character: dict[str, Any]) -> list[str]:
        body = await self.memories(character, first=100)
        assert "errors" not in body, body
        return [e["node"]["content"] for e in body["data"]["character"]["memories"]["edges"]]

    async def secret_scene(self) -> None:
        """Tam walks off to the lighthouse; then Mira tells Ash a secret Tam cannot hear."""
        await self.play(self.bob, act(self.tam, "MOVE", "the lighthouse"))
        await self.play(
            self.ada, act(self.mira, "DIALOGUE", "The silver key is under the bell.", [self.ash])
        )
        await settled_rows(engine_of(self.client))


async def stored(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    """The campaign's memories as a rebuild must give them again (ids aside)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(memories).order_by(memories.c.id))).all()
    content = {r.id: r.content for r in rows}
    return [
        (
            r.character_id,
            r.kind,
            r.content,
            r.importance,
            r.created_at_turn,
            r.position,
            sorted(content[e] for e in r.evidence),
        )
        for r in rows
    ]


async def test_only_the_characters_that_perceived_an_event_remember_it(
    app_client: AppClient,
) -> None:
    # given
    cast = await Cast(app_client).set()

    # when
    await cast.secret_scene()

    # then: the marker words are in the memories of the two there, not of Tam
    for there in (cast.mira, cast.ash):
        assert any("silver key" in c for c in await cast.contents(there))
    tam = await cast.contents(cast.tam)
    assert tam
    assert not any("silver" in c for c in tam)
    assert any("the lighthouse" in c for c in tam)  # its own move
    body = await cast.memories(cast.ash)
    heard = body["data"]["character"]["memories"]["edges"][0]["node"]
    assert (heard["kind"], heard["createdAtTurn"]) == ("DIALOGUE", 2)
    assert heard["importance"] == 5  # words said to it
    assert heard["score"] is None


async def test_newest_first_pages_follow_their_cursors(app_client: AppClient) -> None:
    # given
    cast = await Cast(app_client).set()
    await cast.secret_scene()
    await cast.play(cast.ada, act(cast.ash, "WAIT", "wait"))
    await settled_rows(engine_of(app_client))
    everything = await cast.contents(cast.ash)

    # when
    pages, after = [], None
    while True:
        body = await cast.memories(cast.ash, first=1, after=after)
        found = body["data"]["character"]["memories"]
        pages.append([e["node"]["content"] for e in found["edges"]])
        after = found["pageInfo"]["endCursor"]
        if not found["pageInfo"]["hasNextPage"]:
            break

    # then
    assert [c for page in pages for c in page] == everything
    assert len(everything) >= 3
    assert "waited" in everything[0]
    bad = await cast.memories(cast.ash, after="not-a-cursor")
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_a_rerun_writes_nothing_twice_and_a_rebuild_gives_what_live_gave(
    app_client: AppClient,
) -> None:
    # given
    cast = await Cast(app_client).set()
    await cast.secret_scene()
    for _ in range(4):
        await cast.play(cast.ada, act(cast.mira, "ATTACK", "strike Ash", [cast.ash]))
    engine = engine_of(app_client)
    await settled_rows(engine)
    live = await stored(engine)
    projection = memory_projection(Settings(), OfflineModel(), engine)
    campaign_id = uuid.UUID(cast.campaign["id"])

    # when
    rerun = await projection.project(_Units(engine), campaign_id, "test-rerun")

    # then
    assert rerun == 0
    assert await stored(engine) == live

    # when
    out = io.StringIO()
    settings = Settings(database_url=str(engine.url.render_as_string(hide_password=False)))
    assert await rebuild_campaign(settings, campaign_id, out) == 0

    # then
    assert await stored(engine) == live
    assert f"memories: rebuilt, {len(live)} memories" in out.getvalue()
    assert out.getvalue().startswith("beliefs: rebuilt, up to event ")


async def test_repeated_attacks_make_the_target_reflect_with_its_evidence(
    app_client: AppClient,
) -> None:
    # given
    cast = await Cast(app_client).set()

    # when
    for _ in range(4):
        await cast.play(cast.ada, act(cast.mira, "ATTACK", "strike Ash", [cast.ash]))
    await settled_rows(engine_of(app_client))

    # then
    body = await cast.memories(cast.ash, first=100)
    nodes = [e["node"] for e in body["data"]["character"]["memories"]["edges"]]
    insights = [n for n in nodes if n["kind"] == "REFLECTION"]
    assert [i["content"] for i in insights] == ["Mira is dangerous to me."]
    evidence = insights[0]["evidence"]
    assert len(evidence) >= 2
    assert all("Mira tried to strike Ash" in e["content"] for e in evidence)
    assert insights[0]["importance"] >= 7
    # the watcher of the same attacks draws another lesson
    async with engine_of(app_client).connect() as conn:
        calls = await conn.execute(
            select(model_calls.c.step).where(model_calls.c.step.like("memory-%"))
        )
        steps = set(calls.scalars())
    assert any(s.startswith("memory-importance:") for s in steps)
    assert any(s.startswith("memory-reflection:") for s in steps)


async def test_who_may_read_a_characters_memories(app_client: AppClient) -> None:
    # given
    cast = await Cast(app_client).set()
    await cast.secret_scene()

    def outcome(body: dict[str, Any]) -> str:
        if "errors" in body:
            return str(body["errors"][0]["extensions"]["code"])
        return "ok"

    # then: in an omniscient campaign any member reads
    for token in (cast.ada, cast.bob, cast.vic):
        assert outcome(await cast.memories(cast.mira, token)) == "ok"
    assert outcome(await cast.memories(cast.mira, cast.eve)) == "NOT_FOUND"
    anonymous = await app_client.execute(
        MEMORIES_OF, {"id": cast.mira["id"], "campaign": cast.campaign["id"]}
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # when: seen through characters
    await app_client.data(
        PERSPECTIVE, {"id": cast.campaign["id"], "p": "THROUGH_CHARACTERS"}, token=cast.ada
    )

    # then: only the player and the directors
    assert outcome(await cast.memories(cast.mira, cast.bob)) == "FORBIDDEN"
    assert outcome(await cast.memories(cast.mira, cast.vic)) == "FORBIDDEN"
    assert outcome(await cast.memories(cast.tam, cast.bob)) == "ok"
    assert outcome(await cast.memories(cast.tam, cast.ada)) == "ok"
    # without a campaign: the campaigns the viewer may read, here none
    body = await app_client.execute(MEMORIES_OF, {"id": cast.mira["id"]}, token=cast.bob)
    assert body["data"]["character"]["memories"]["edges"] == []
    body = await app_client.execute(MEMORIES_OF, {"id": cast.mira["id"]}, token=cast.ada)
    assert len(body["data"]["character"]["memories"]["edges"]) >= 1


async def test_a_query_finds_memories_by_their_words_whatever_it_holds(
    app_client: AppClient,
) -> None:
    # given
    cast = await Cast(app_client).set()
    await cast.secret_scene()

    # when
    body = await cast.memories(cast.ash, query="where is the silver KEY?")

    # then
    edges = body["data"]["character"]["memories"]["edges"]
    assert "silver key" in edges[0]["node"]["content"]
    assert edges[0]["node"]["score"] >= edges[-1]["node"]["score"]
    for hostile in ['"', 'key" OR "', "NEAR(silver key)", "", "*", "a:b -c", "'); DROP"]:
        body = await cast.memories(cast.ash, query=hostile)
        assert "errors" not in body, (hostile, body)
        assert body["data"]["character"]["memories"]["edges"], hostile
    # NUL never gets past HTTP; below it, it is dropped like any other non-word
    reads = app_client.http._transport.app.state.services.queries.memories  # type: ignore[attr-defined]
    turns = await reads.current_turns([uuid.UUID(cast.campaign["id"])])
    found = await reads.ranked(turns, uuid.UUID(cast.ash["id"]), "silver\x00key")
    assert "silver key" in found[0].memory.content


def test_search_words_keep_only_words() -> None:
    assert search_words('key" OR "bell*') == ["key", "bell"]  # "or" is too common a word
    assert search_words("the Key, the KEY") == ["key"]
    assert search_words("silver\x00key") == ["silver", "key"]
    assert search_words("\"'():^-+*") == []
    assert search_words("Ünïcode wörds") == ["ünïcode", "wörds"]


async def constructed(client: AppClient) -> tuple[Cast, uuid.UUID, uuid.UUID]:
    """A campaign whose game time stands at turn 100, and Ash with no memory yet."""
    cast = await Cast(client).set()
    campaign_id, ash = uuid.UUID(cast.campaign["id"]), uuid.UUID(cast.ash["id"])
    async with SqlUnitOfWork(engine_of(client)) as uow:
        await uow.checkpoints.advance(campaign_id, MEMORIES, Checkpoint(10_000, 100))
        await uow.commit()
    return cast, campaign_id, ash


def memory(
    campaign: uuid.UUID, character: uuid.UUID, content: str, importance: int, turn: int
) -> Memory:
    return Memory(campaign, character, MemoryKind.OBSERVATION, content, importance, turn, turn, 1)


async def test_relevance_outranks_importance_which_outranks_recency(
    app_client: AppClient,
) -> None:
    # given: an old relevant trifle, a fresh irrelevant trifle, an old irrelevant drama
    cast, campaign, ash = await constructed(app_client)
    engine = engine_of(app_client)
    async with SqlUnitOfWork(engine) as uow:
        await uow.memories.add(
            [
                memory(campaign, ash, "A lantern hung by the door.", 1, 0),
                memory(campaign, ash, "The tide came in.", 1, 100),
                memory(campaign, ash, "The tower burned down.", 9, 0),
            ]
        )
        await uow.commit()

    # when
    body = await cast.memories(cast.ash, query="lantern")

    # then: 3 x relevance, then 2 x importance, then 0.5 x recency
    nodes = [e["node"] for e in body["data"]["character"]["memories"]["edges"]]
    assert [(n["content"], n["score"]) for n in nodes] == [
        ("A lantern hung by the door.", 3.0),
        ("The tower burned down.", 2.0),
        ("The tide came in.", 0.5),
    ]

    # when: a persona recalls the best two at turn 100 (reading through the API did not)
    async with engine.connect() as conn:
        accessed = await conn.execute(select(func.max(memories.c.last_accessed_turn)))
        assert accessed.scalar_one() == 100
    async with SqlUnitOfWork(engine) as uow:
        recalled = await uow.memories.recall(campaign, ash, "lantern", 100, 2, RetrievalWeights())
        await uow.commit()

    # then: both are fresh now, so the drama outranks the lantern without a relevant word
    assert [r.memory.content for r in recalled] == [
        "A lantern hung by the door.",
        "The tower burned down.",
    ]
    body = await cast.memories(cast.ash, query="door tide tower")
    assert "errors" not in body


async def test_evidence_of_any_number_of_insights_costs_one_statement(
    app_client: AppClient,
) -> None:
    # given
    cast, campaign, ash = await constructed(app_client)
    engine = engine_of(app_client)

    async def insights(count: int) -> int:
        async with SqlUnitOfWork(engine) as uow:
            seen = await uow.memories.add(
                [memory(campaign, ash, f"Mira struck me, blow {n}.", 8, n) for n in range(2)]
            )
            evidence = tuple(m.id for m in seen)
            await uow.memories.add(
                [
                    Memory(
                        campaign,
                        ash,
                        MemoryKind.REFLECTION,
                        "Mira is dangerous to me.",
                        8,
                        5,
                        5,
                        1,
                        evidence=evidence,
                    )
                    for _ in range(count)
                ]
            )
            await uow.commit()
        async with counting_statements(app_client) as statements:
            body = await cast.memories(cast.ash, first=100)
        nodes = [e["node"] for e in body["data"]["character"]["memories"]["edges"]]
        assert all(len(n["evidence"]) == 2 for n in nodes if n["kind"] == "REFLECTION")
        return len(statements)

    # when / then
    assert await insights(1) == await insights(5)


async def test_rebuild_refuses_what_is_not_a_campaign_and_changes_nothing(
    app_client: AppClient,
) -> None:
    # given
    cast = await Cast(app_client).set()
    await cast.secret_scene()
    engine = engine_of(app_client)
    before = await stored(engine)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))

    # when / then
    assert rebuild_command(settings, "not-an-id", io.StringIO()) == 2
    out = io.StringIO()
    assert await rebuild_campaign(settings, uuid.uuid4(), out) == 2
    assert out.getvalue() == ""
    assert await stored(engine) == before


async def test_a_remote_models_scores_are_kept_and_out_of_bounds_ones_replaced_by_the_rules(
    app_client: AppClient,
) -> None:
    # given: memories scored by the offline rules
    cast = await Cast(app_client).set()
    await cast.secret_scene()
    engine = engine_of(app_client)
    by_rules = await stored(engine)
    campaign_id = uuid.UUID(cast.campaign["id"])

    async def rebuilt_with(scores: list[int]) -> list[tuple[Any, ...]]:
        reply = Reply(body=openai_answer(json.dumps({"scores": scores})))
        fake = FakeModelServer([Reply(400, {})], memory_reply=reply)
        settings = Settings(llm_provider="openai", llm_base_url=f"{fake.url}/v1", llm_model="m")
        with fake.running():
            model = models.build(settings, OfflineModel())
            projection = memory_projection(settings, model, engine)
            await projection.rebuild(_Units(engine), campaign_id, "test-remote")
        assert fake.memory_requests
        return await stored(engine)

    # when / then: a model's valid scores are the memories' importance
    assert [m[3] for m in await rebuilt_with([7] * len(by_rules))] == [7] * len(by_rules)

    # when / then: one score out of bounds, and the whole batch is scored by the rules
    assert await rebuilt_with([7] * (len(by_rules) - 1) + [11]) == by_rules
