"""Stories written by the configured model and compiled from a session, over GraphQL on
both databases: the background jobs write them, assess them, and bad requests change
nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.persistence.tables import events, turns
from tests.graphql_client import AppClient, serving
from tests.integration.helpers import create_character, settled_rows
from tests.integration.test_sessions_api import Table, act
from tests.jobs_support import job_rows, until
from tests.live_server import settings_for
from tests.model_servers import FakeModelServer, Reply, openai_answer, openai_error

STORY_FIELDS = """
    id title genre tone themes length version content wordCount generationStatus
    generationError modelUsed characters { name }
    quality { coherence engagement characterDevelopment plotStructure languageQuality overall }
"""
GENERATE = f"""
mutation($input: GenerateStoryInput!) {{
  generateStory(input: $input) {{
    __typename
    ... on Story {{ {STORY_FIELDS} }}
    ... on Error {{ code message field }}
  }}
}}
"""
COMPILE = f"""
mutation($session: ID!, $title: String) {{
  compileStory(sessionId: $session, title: $title) {{
    __typename
    ... on Story {{ {STORY_FIELDS} }}
    ... on Error {{ code message field }}
  }}
}}
"""
STORY = f"query($id: ID!) {{ story(id: $id) {{ {STORY_FIELDS} }} }}"
QUALITY_NAMES = {
    "coherence",
    "engagement",
    "characterDevelopment",
    "plotStructure",
    "languageQuality",
    "overall",
}


async def generate(client: AppClient, token: str | None, **fields: Any) -> dict[str, Any]:
    variables = {"input": {"title": "The Drowned Map", "genre": "MYSTERY", **fields}}
    result: dict[str, Any] = (await client.data(GENERATE, variables, token=token))["generateStory"]
    return result


async def settled(
    client: AppClient, token: str, story_id: str, done: str = "generationStatus"
) -> dict[str, Any]:
    """The story once its background job has finished (`done` is no longer pending)."""
    found: dict[str, Any] = {}

    async def finished() -> bool:
        found.update((await client.data(STORY, {"id": story_id}, token=token))["story"])
        pending = None if done == "quality" else "GENERATING"
        return found[done] != pending

    await until(finished)
    return found


async def story_events(engine: AsyncEngine, story_id: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(events.c.event_type, events.c.payload, events.c.causation_id, events.c.event_id)
            .where(events.c.stream_id == uuid.UUID(story_id))
            .order_by(events.c.position)
        )
        return [row._asdict() for row in found]


async def test_a_generated_story_is_written_and_assessed_in_the_background(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    token = await app_client.sign_up()
    mira = await create_character(app_client, token, "Mira", kind="PROTAGONIST")

    # when
    asked = await generate(
        app_client,
        token,
        themes=["loss"],
        tone="DARK",
        characterIds=[mira["id"]],
        length="SHORT",
        prompt="A map washes ashore with Mira's name on it",
    )

    # then: answered at once, waiting for its text
    assert asked["__typename"] == "Story", asked
    assert (asked["generationStatus"], asked["content"], asked["quality"]) == (
        "GENERATING",
        None,
        None,
    )
    assert (asked["length"], asked["version"]) == ("SHORT", 1)
    story = await settled(app_client, token, asked["id"])
    assert story["generationStatus"] == "DONE", story
    assert "Mira" in story["content"]
    assert 0.85 * 400 <= story["wordCount"] <= 1.15 * 400
    assert story["modelUsed"] == "offline/offline-1"
    assert set(story["quality"]) == QUALITY_NAMES
    assert all(0 <= score <= 1 for score in story["quality"].values())
    assert story["characters"] == [{"name": "Mira"}]
    requested, generated, assessed = await story_events(engine, asked["id"])
    assert [e["event_type"] for e in (requested, generated, assessed)] == [
        "narratives.story.generation-requested",
        "narratives.story.generated",
        "narratives.story.quality-assessed",
    ]
    assert requested["payload"]["length"] == "short"
    assert generated["payload"]["content"] == story["content"]
    assert generated["payload"]["wordCount"] == story["wordCount"]
    assert generated["payload"]["qualityScore"] == story["quality"]["overall"]
    assert assessed["payload"]["assessmentCriteria"]["coherence"] == story["quality"]["coherence"]
    assert {generated["causation_id"], assessed["causation_id"]} == {requested["event_id"]}
    [job] = await job_rows(engine)
    assert (job.kind, job.status, job.attempts) == ("story-generation", "done", 1)


async def test_a_bad_story_request_is_refused_and_writes_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    ada, bob = await app_client.sign_up("Ada"), await app_client.sign_up("Bob")
    secret = await create_character(app_client, bob, "Secret")
    before = await settled_rows(engine)

    refusals = [
        (ada, {"title": "  "}, "INVALID_INPUT", "title"),
        (ada, {"prompt": "x" * 4001}, "INVALID_INPUT", "prompt"),
        (ada, {"themes": [""]}, "INVALID_INPUT", "themes"),
        (ada, {"characterIds": [secret["id"]]}, "NOT_FOUND", "characterIds"),
        (ada, {"characterIds": ["not-an-id"]}, "NOT_FOUND", "characterIds"),
        (None, {}, "UNAUTHENTICATED", None),
    ]
    for token, fields, code, field in refusals:
        refused = await generate(app_client, token, **fields)
        assert (refused["code"], refused["field"]) == (code, field), refused
    assert await settled_rows(engine) == before


TURNS = """
query($id: ID!) {
  session(id: $id) { turns { edges { node { number narrationStatus narrative } } } }
}
"""


async def narratives(client: AppClient, token: str, session_id: str) -> list[str]:
    """The session's turns' prose, in turn order, once every turn is told."""
    data = await client.data(TURNS, {"id": session_id}, token=token)
    nodes = [e["node"] for e in data["session"]["turns"]["edges"]]
    assert all(n["narrationStatus"] == "DONE" for n in nodes), nodes
    return [n["narrative"] for n in sorted(nodes, key=lambda n: n["number"])]


async def interrupt(engine: AsyncEngine, session_id: str, number: int) -> None:
    """Put a turn back in the middle of its narration."""
    async with engine.begin() as conn:
        await conn.execute(
            update(turns)
            .where(turns.c.session_id == uuid.UUID(session_id), turns.c.number == number)
            .values(narration_status="streaming")
        )


async def test_a_session_s_narrated_turns_are_compiled_into_one_assessed_story(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: three turns told, the last one caught mid-narration
    table = await Table(app_client).set()
    patched = await app_client.data(
        "mutation($id: ID!) { updateWorldState(campaignId: $id, "
        'patch: {genre: "horror", tone: "dark"}, expectedVersion: 1) { __typename } }',
        {"id": table.campaign["id"]},
        token=table.ada,
    )
    assert patched["updateWorldState"]["__typename"] == "Campaign"
    await table.submit(table.ada, [act(table.mira, "DIALOGUE", "Who is there?", [table.tam])])
    await table.submit(table.bob, [act(table.tam, "MOVE", "the crypt")])
    await table.submit(table.bob, [act(table.tam, "WAIT", "wait")])
    await settled_rows(engine)
    told = await narratives(app_client, table.ada, table.session["id"])
    await interrupt(engine, table.session["id"], 3)

    # when: the viewer compiles it
    compiled = (await app_client.data(COMPILE, {"session": table.session["id"]}, token=table.vic))[
        "compileStory"
    ]

    # then: the first two turns' prose, one paragraph or more each, in order
    assert compiled["__typename"] == "Story", compiled
    assert compiled["content"] == f"{told[0]}\n\n{told[1]}"
    assert told[2] not in compiled["content"]
    assert (compiled["title"], compiled["genre"], compiled["tone"]) == (
        "Gloom, session 1",
        "HORROR",
        "DARK",
    )
    assert compiled["generationStatus"] == "DONE"
    assert compiled["wordCount"] > len(compiled["content"].split()) / 2
    assert compiled["characters"] == [{"name": "Mira"}, {"name": "Tam"}]
    assert compiled["quality"] is None
    story = await settled(app_client, table.vic, compiled["id"], done="quality")
    assert set(story["quality"]) == QUALITY_NAMES
    kinds = [e["event_type"] for e in await story_events(engine, compiled["id"])]
    assert kinds == ["narratives.story.compiled", "narratives.story.quality-assessed"]
    assert [j.status for j in await job_rows(engine) if j.kind == "story-assessment"] == ["done"]


async def test_only_members_compile_and_only_narrated_turns_count(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    table = await Table(app_client).set()
    eve = await app_client.sign_up("Eve")
    before = await settled_rows(engine)

    refusals = [
        (eve, table.session["id"], "NOT_FOUND"),
        (table.ada, "00000000-0000-0000-0000-000000000001", "NOT_FOUND"),
        (table.ada, "not-an-id", "NOT_FOUND"),
        (table.ada, table.session["id"], "INVALID_INPUT"),  # nothing narrated yet
    ]
    for token, session_id, code in refusals:
        refused = (await app_client.data(COMPILE, {"session": session_id}, token=token))[
            "compileStory"
        ]
        assert (refused["code"], refused["field"]) == (code, "sessionId"), refused
    assert await settled_rows(engine) == before

    await table.submit(table.bob, [act(table.tam, "WAIT", "wait")])
    await settled_rows(engine)
    titled = (
        await app_client.data(
            COMPILE, {"session": table.session["id"], "title": "Waiting"}, token=table.bob
        )
    )["compileStory"]
    assert (titled["title"], titled["content"]) == (
        "Waiting",
        *await narratives(app_client, table.bob, table.session["id"]),
    )


async def test_a_remote_model_writes_the_story_and_grades_it_as_structured_output(
    database_url: str, engine: AsyncEngine
) -> None:
    # given: an OpenAI-compatible server that answers a story, then grades
    grades = dict.fromkeys(QUALITY_NAMES, 0.75)
    replies = [
        Reply(body=openai_answer("Mira read the map.\n\nThen the sea rose.", 120, 9)),
        Reply(body=openai_answer(json.dumps(grades), 30, 20)),
    ]
    async with remote(database_url, replies) as (server, client):
        token = await client.sign_up()

        # when
        asked = await generate(client, token, themes=["tides"], prompt="a drowned map")
        story = await settled(client, token, asked["id"])

    # then
    assert story["content"] == "Mira read the map.\n\nThen the sea rose."
    assert (story["modelUsed"], story["wordCount"]) == ("openai/local-model", 8)
    assert story["quality"] == grades
    asked_story, asked_grades = (json.dumps(r.body) for r in server.requests)
    assert "The Drowned Map" in asked_story
    assert "a drowned map" in asked_story
    assert '"json_schema"' in asked_grades
    assert '"characterDevelopment"' in asked_grades
    _, generated, assessed = await story_events(engine, asked["id"])
    metrics = generated["payload"]["generationMetrics"]
    assert (metrics["tokensConsumed"], metrics["fallback"]) == (129, False)
    assert (assessed["payload"]["method"], assessed["payload"]["modelUsed"]) == (
        "model",
        "openai/local-model",
    )


async def test_when_the_remote_model_fails_the_offline_model_writes_and_measures(
    database_url: str, engine: AsyncEngine
) -> None:
    async with remote(database_url, [openai_error(503)]) as (server, client):
        token = await client.sign_up()
        asked = await generate(client, token, length="SHORT")
        story = await settled(client, token, asked["id"])

    assert story["generationStatus"] == "DONE"
    assert story["modelUsed"] == "offline/offline-1"
    assert story["content"]
    assert set(story["quality"]) == QUALITY_NAMES
    assert len(server.requests) == 6  # three attempts at the story, three at its grades
    _, generated, assessed = await story_events(engine, asked["id"])
    metrics = generated["payload"]["generationMetrics"]
    assert (metrics["fallback"], metrics["iterations"]) == (True, 4)
    assert assessed["payload"]["method"] == "measures"


@asynccontextmanager
async def remote(
    database_url: str, replies: list[Reply]
) -> AsyncIterator[tuple[FakeModelServer, AppClient]]:
    """A server whose configured model is an OpenAI-compatible fake answering `replies`."""
    with FakeModelServer(replies).running() as server:
        settings = settings_for(
            database_url,
            llm_provider="openai",
            llm_base_url=f"{server.url}/v1",
            llm_model="local-model",
            llm_timeout=5.0,
        )
        async with serving(settings) as client:
            yield server, client
