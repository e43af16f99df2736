"""A turn's narration survives `kill -9` of the process streaming it: a restarted server
takes the job over, keeps the chunks already stored, writes only the rest, and the turn
ends DONE with its text written once. The model is an OpenAI-compatible fake server that
writes slowly, so the kill lands mid-stream."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.tables import events, jobs, narrative_chunks, turns
from tests.databases import empty, sqlite_url
from tests.e2e.server import EXECUTABLE, clean_env
from tests.e2e.test_jobs_survive_kill import START, JobServer, post, wait_for
from tests.model_servers import FakeModelServer, openai_stream

pytestmark = pytest.mark.e2e

SERVE = [EXECUTABLE, "serve"]
FIRST_TAKE = [f"Sentence {n} of the first take. " for n in range(1, 13)]
SECOND_TAKE = ["And so the ferry ", "reached the far bank."]


def query(database_url: str, statement: Any) -> list[Any]:
    async def read() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as conn:
                return list(await conn.execute(statement))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def play_a_turn(url: str) -> uuid.UUID:
    token = post(url, START)["signUp"]["token"]
    campaign = post(
        url,
        'mutation { createCampaign(input: {name: "Ferry"}) { ... on Campaign { id } } }',
        token=token,
    )["createCampaign"]["id"]
    mira = post(
        url,
        'mutation { createCharacter(input: {name: "Mira"}) { ... on Character { id } } }',
        token=token,
    )["createCharacter"]["id"]
    post(
        url,
        "mutation($id: ID!, $c: ID!) { addCampaignCharacter(campaignId: $id, characterId: $c) "
        "{ __typename } }",
        {"id": campaign, "c": mira},
        token,
    )
    session = post(
        url,
        "mutation($id: ID!) { startSession(campaignId: $id) { ... on Session { id } } }",
        {"id": campaign},
        token,
    )["startSession"]["id"]
    turn = post(
        url,
        "mutation($s: ID!, $c: ID!) { submitTurn(sessionId: $s, input: {actions: "
        '[{characterId: $c, kind: MOVE, intent: "the ferry landing"}]}) { ... on Turn { id } } }',
        {"s": session, "c": mira},
        token,
    )["submitTurn"]["id"]
    return uuid.UUID(turn)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "novel-engine.db")
    else:
        url = request.getfixturevalue("postgres_url")
        asyncio.run(empty(url))
        yield url


def test_a_narration_killed_mid_stream_is_finished_once_by_the_restarted_server(
    tmp_path: Path, database: str
) -> None:
    # given: a model that writes slowly, then (asked again) continues the text
    slow = dataclasses.replace(openai_stream(FIRST_TAKE), event_delay=0.4)
    with FakeModelServer([slow, openai_stream(SECOND_TAKE)]).running() as model:
        env = clean_env(
            NOVEL_ENGINE_DATABASE_URL=database,
            NOVEL_ENGINE_SECRET_KEY="e2e-secret-key-that-is-long-enough-for-hs256",
            NOVEL_ENGINE_JOB_LEASE_SECONDS="2",
            NOVEL_ENGINE_LLM_PROVIDER="openai",
            NOVEL_ENGINE_LLM_BASE_URL=f"{model.url}/v1",
            NOVEL_ENGINE_LLM_MODEL="local-model",
        )
        first = JobServer(env, tmp_path, SERVE)
        first.wait_until_up()
        try:
            turn_id = play_a_turn(first.url)

            # when: the server is killed once the narration has stored some chunks
            stored = wait_for(
                lambda: (
                    query(
                        database, select(narrative_chunks.c.text).order_by(narrative_chunks.c.id)
                    )[:2]
                    if len(query(database, select(narrative_chunks.c.id))) >= 2
                    else []
                )
            )
            first.kill()
        finally:
            first.stop()
        kept = [
            row.text
            for row in query(
                database, select(narrative_chunks.c.text).order_by(narrative_chunks.c.id)
            )
        ]
        assert kept[:2] == [row.text for row in stored]
        assert len(kept) < len(FIRST_TAKE)

        restarted = JobServer(env, tmp_path, SERVE)
        restarted.wait_until_up()
        try:
            # then: the restarted server finishes it, keeping what was stored
            wait_for(
                lambda: [
                    r
                    for r in query(database, select(turns).where(turns.c.id == turn_id))
                    if r.narration_status == "done"
                ],
                within=60,
            )
        finally:
            restarted.stop()

    [turn] = query(database, select(turns))
    chunks = query(database, select(narrative_chunks).order_by(narrative_chunks.c.id))
    assert [c.sequence for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].done
    assert not any(c.done for c in chunks[:-1])
    assert turn.narrative == "".join(c.text for c in chunks)
    assert turn.narrative.startswith("".join(kept))
    assert turn.narrative.endswith("And so the ferry reached the far bank.")
    assert turn.model_used == "openai/local-model"
    assert turn.fallback is False
    narrated = query(
        database, select(events.c.payload).where(events.c.event_type == "narratives.turn.narrated")
    )
    assert [row.payload["text"] for row in narrated] == [turn.narrative]
    [narration_job] = query(database, select(jobs).where(jobs.c.kind == "turn-story"))
    assert (narration_job.status, narration_job.attempts) == ("done", 2)
    # the second call was asked to continue the stored text, not to start again
    continued = model.requests[-1].body
    assert "".join(kept).strip() in str(continued)
