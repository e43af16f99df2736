"""A turn's telling from a character's point of view survives `kill -9` of the process
streaming it: the restarted server keeps the omniscient prose and the viewpoint chunks
already stored, writes only the rest, and the turn ends DONE with each telling written
once."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from novel_engine.persistence.tables import events, jobs, narrative_chunks, turns
from tests.e2e.server import EXECUTABLE, clean_env
from tests.e2e.test_jobs_survive_kill import START, JobServer, post, wait_for
from tests.e2e.test_narration_survives_kill import database, query
from tests.model_servers import FakeModelServer, openai_stream

pytestmark = pytest.mark.e2e

__all__ = ["database"]

SERVE = [EXECUTABLE, "serve"]
OMNISCIENT = ["Mira crossed ", "to the ferry landing."]
FIRST_TAKE = [f"Mira saw thing {n} on the way. " for n in range(1, 13)]
SECOND_TAKE = ["And the landing ", "was hers."]


def play_a_turn_through_characters(url: str) -> uuid.UUID:
    token = post(url, START)["signUp"]["token"]
    campaign = post(
        url,
        'mutation { createCampaign(input: {name: "Ferry"}) { ... on Campaign { id } } }',
        token=token,
    )["createCampaign"]["id"]
    post(
        url,
        "mutation($id: ID!) { updateCampaignSettings(campaignId: $id, input: "
        "{perspective: THROUGH_CHARACTERS}) { __typename } }",
        {"id": campaign},
        token,
    )
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
        '[{characterId: $c, kind: SKILL, intent: "read the river"}]}) { ... on Turn { id } } }',
        {"s": session, "c": mira},
        token,
    )["submitTurn"]["id"]
    return uuid.UUID(turn)


def viewpoint_texts(database: str) -> list[str]:
    found = query(
        database,
        select(narrative_chunks.c.text)
        .where(narrative_chunks.c.viewpoint != "")
        .order_by(narrative_chunks.c.id),
    )
    return [row.text for row in found]


def test_a_viewpoint_telling_killed_mid_stream_is_finished_once_by_the_restarted_server(
    tmp_path: Path, database: str
) -> None:
    # given: the omniscient prose comes at once, the viewpoint slowly, then continued
    slow = dataclasses.replace(openai_stream(FIRST_TAKE), event_delay=0.4)
    replies = [openai_stream(OMNISCIENT), slow, openai_stream(SECOND_TAKE)]
    with FakeModelServer(replies).running() as model:
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
            turn_id = play_a_turn_through_characters(first.url)

            # when: the server is killed once the telling has stored some chunks
            stored = wait_for(lambda: t[:2] if len(t := viewpoint_texts(database)) >= 2 else [])
            first.kill()
        finally:
            first.stop()
        kept = viewpoint_texts(database)
        assert kept[:2] == stored
        assert len(kept) < len(FIRST_TAKE)

        restarted = JobServer(env, tmp_path, SERVE)
        restarted.wait_until_up()
        try:
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

    # then: the omniscient prose untouched, the telling continued after what was kept
    [turn] = query(database, select(turns))
    assert turn.narrative == "".join(OMNISCIENT)
    chunks = query(
        database,
        select(narrative_chunks)
        .where(narrative_chunks.c.viewpoint != "")
        .order_by(narrative_chunks.c.id),
    )
    assert [c.sequence for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].done
    assert not any(c.done for c in chunks[:-1])
    told = "".join(c.text for c in chunks)
    assert told.startswith("".join(kept))
    assert told.endswith("And the landing was hers.")
    [narrated] = query(
        database, select(events.c.payload).where(events.c.event_type == "narratives.turn.narrated")
    )
    assert narrated.payload["text"] == turn.narrative
    [viewpoint] = query(
        database,
        select(events.c.payload).where(events.c.event_type == "narratives.turn.viewpoint-narrated"),
    )
    assert viewpoint.payload["text"] == told
    [job] = query(database, select(jobs).where(jobs.c.kind == "turn-story"))
    assert (job.status, job.attempts) == ("done", 2)
    assert "".join(kept).strip() in str(model.requests[-1].body)
