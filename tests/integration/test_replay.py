"""`novel-engine replay --session ID` over sessions a real server played: identical for an
unchanged engine, whatever the provider; a tampered narrative or reaction, a changed
prompt or rule, shows where it starts; nothing to replay exits 2."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.language import ModelRequest
from novel_engine.narrative import steps
from novel_engine.persistence.engine import create_engine
from novel_engine.persistence.tables import events, model_calls, turns
from novel_engine.web.cli import replay_session
from novel_engine.web.settings import Settings
from tests.integration.helpers import count_rows
from tests.integration.test_sessions_api import act
from tests.integration.test_story_engine import Game
from tests.live_server import live_server, settings_for
from tests.model_servers import FakeModelServer, Reply, openai_answer, openai_stream


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def play(settings: Settings) -> tuple[Game, list[dict[str, Any]]]:
    """Two turns with Old Wren (AI-played) present, played and narrated."""
    async with live_server(settings) as server:
        game = await Game(server).set()
        await game.play(
            game.ada, [act(game.mira, "DIALOGUE", "Who keeps this ferry?", [game.wren])]
        )
        await game.play(
            game.bob,
            [
                act(game.tam, "SKILL", "read the river's current"),
                act(game.tam, "ATTACK", "shove the rival boat away", [game.mira]),
            ],
        )
        narrated = await game.narrated(2)
    assert [t["narrationStatus"] for t in narrated] == ["DONE", "DONE"]
    return game, narrated


async def replayed(settings: Settings, session: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await replay_session(settings, uuid.UUID(session), out)
    return code, out.getvalue()


async def run_cli(database_url: str, *args: str) -> tuple[int, str, str]:
    """The command line with only the database named: replay signs nothing, so it needs
    no secret key (and generates none beside an SQLite file)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVEL_ENGINE_")}
    env["NOVEL_ENGINE_DATABASE_URL"] = database_url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "novel_engine.web.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def turn_ids(db: AsyncEngine, session: str) -> list[uuid.UUID]:
    async with db.connect() as conn:
        found = await conn.scalars(
            select(turns.c.id)
            .where(turns.c.session_id == uuid.UUID(session))
            .order_by(turns.c.number)
        )
        return list(found)


async def a_reaction(db: AsyncEngine, turn_id: uuid.UUID) -> tuple[uuid.UUID, dict[str, Any]]:
    async with db.connect() as conn:
        for event_id, payload in await conn.execute(
            select(events.c.event_id, events.c.payload).where(events.c.aggregate_id == turn_id)
        ):
            if payload.get("aiControlled"):
                return event_id, dict(payload)
    raise AssertionError("the turn has no reaction")


async def test_an_offline_session_replays_identically_and_a_tampered_one_shows_where(
    database_url: str, db: AsyncEngine
) -> None:
    # given: a session played with the offline model, its calls recorded
    settings = settings_for(database_url)
    game, played = await play(settings)
    first, second = await turn_ids(db, game.session)
    rows = await count_rows(db)

    # when: replayed by the command line
    code, out, err = await run_cli(database_url, "replay", "--session", game.session)

    # then: identical, and nothing written
    assert (code, out, err) == (0, "turn 1: identical\nturn 2: identical\n", "")
    assert await count_rows(db) == rows
    if db.url.database and db.url.get_backend_name() == "sqlite":
        assert not Path(db.url.database).with_suffix(".secret").exists()

    # given: the second turn's narrative edited in the database
    async with db.begin() as conn:
        await conn.execute(
            update(turns).where(turns.c.id == second).values(narrative="A dragon came.")
        )
    # when / then: that turn diverges at its narration, with a diff
    code, out = await replayed(settings, game.session)
    assert code == 1
    assert out.startswith("turn 1: identical\nturn 2: diverges at narration (narrative)\n")
    assert "--- stored narrative\n+++ replayed narrative\n" in out
    assert "-A dragon came.\n" in out

    # given: the narrative put back, and the first turn's reaction event rewritten
    told = played[1]["narrative"]
    event_id, payload = await a_reaction(db, first)
    said = "message" if "message" in payload else "actionDescription"
    wren = payload.get("speakerId") or payload["actingCharacterId"]
    async with db.begin() as conn:
        await conn.execute(update(turns).where(turns.c.id == second).values(narrative=told))
        await conn.execute(
            update(events)
            .where(events.c.event_id == event_id)
            .values(payload={**payload, said: "Begone."})
        )
    # when / then: the first turn diverges at Old Wren's reaction
    code, out = await replayed(settings, game.session)
    assert code == 1
    assert out.startswith(f"turn 1: diverges at reaction:{wren} (reactions)\n")
    assert "Begone." in out
    assert out.rstrip().endswith("turn 2: identical")

    # given: the reaction put back and every recording gone
    async with db.begin() as conn:
        await conn.execute(
            update(events).where(events.c.event_id == event_id).values(payload=payload)
        )
        await conn.execute(delete(model_calls))
    # then: an offline session replays identically without its recordings
    assert await replayed(settings, game.session) == (0, "turn 1: identical\nturn 2: identical\n")


async def test_a_changed_prompt_or_rule_diverges_at_the_step_where_it_starts(
    database_url: str, db: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a recorded offline session
    settings = settings_for(database_url)
    game, _ = await play(settings)
    asked = steps.narration_request

    def reworded(*args: Any, **kwargs: Any) -> ModelRequest:
        request = asked(*args, **kwargs)
        return replace(request, prompt=request.prompt + "\nEnd on a cliffhanger.")

    # when: the chronicler's prompt changes
    monkeypatch.setattr(steps, "narration_request", reworded)
    code, out = await replayed(settings, game.session)

    # then: each turn diverges at its narration's prompt
    assert code == 1
    assert out.count("diverges at narration (prompt)") == 2
    assert "+End on a cliffhanger.\n" in out
    monkeypatch.setattr(steps, "narration_request", asked)

    # when: a rule changes instead: no AI-played character reacts any more
    code, out = await replayed(settings_for(database_url, reactions_per_turn=0), game.session)

    # then: the turns diverge at Old Wren's reaction, which the replay no longer makes
    assert code == 1
    assert out.count(f"diverges at reaction:{game.wren['id']} (reactions)") == 2


async def test_a_session_narrated_by_a_remote_model_replays_from_its_recordings(
    database_url: str, db: AsyncEngine
) -> None:
    # given: a session narrated through an OpenAI-compatible server
    def reaction(text: str) -> Reply:
        answer = {"kind": "ACTION", "targetId": None, "intent": text}
        return Reply(body=openai_answer(json.dumps(answer)))

    fake = FakeModelServer(
        [
            reaction("pole the ferry closer"),
            openai_stream(["The ferry ", "rocked. ", "Mira called out.\n"]),
            reaction("steady the rope"),
            # a stream ending in space after its last sentence: the text is kept without it
            openai_stream(["Tam read the water. ", "The boats collided. ", "\n"]),
        ]
    )
    with fake.running():
        settings = settings_for(
            database_url,
            llm_provider="openai",
            llm_base_url=f"{fake.url}/v1",
            llm_model="local-model",
        )
        game, played = await play(settings)
    assert [t["modelUsed"] for t in played] == ["openai/local-model"] * 2
    assert [t["narrative"] for t in played] == [
        "The ferry rocked. Mira called out.",
        "Tam read the water. The boats collided.",
    ]

    # when: replayed with the server gone
    # then: every step is answered from its recording
    assert await replayed(settings, game.session) == (0, "turn 1: identical\nturn 2: identical\n")

    # given: the recordings lost
    async with db.begin() as conn:
        await conn.execute(delete(model_calls))
    # then: the offline model answers instead, and the first step it answers diverges
    code, out = await replayed(settings, game.session)
    assert code == 1
    assert f"turn 1: diverges at reaction:{game.wren['id']} (reactions)" in out


async def test_nothing_to_replay_exits_2_with_a_message(database_url: str) -> None:
    unknown = str(uuid.uuid4())
    code, out, err = await run_cli(database_url, "replay", "--session", unknown)
    assert (code, out) == (2, "")
    assert err.startswith(f"novel-engine: no session {unknown} in ")
    code, out, err = await run_cli(database_url, "replay", "--session", "ferry")
    assert (code, out, err) == (2, "", "novel-engine: 'ferry' is not a session id\n")


CHANGE_PERSONALITY = """
mutation($id: ID!, $v: Int!) {
  updateCharacter(id: $id, expectedVersion: $v, input: {personality: {
    openness: 0.0, conscientiousness: 1.0, extraversion: 0.0, agreeableness: 0.0,
    neuroticism: 1.0
  }}) { __typename ... on Character { personality { neuroticism } } }
}
"""


async def test_personalities_changed_after_the_turns_leave_their_replay_identical(
    database_url: str,
) -> None:
    # given: a session played; then its characters' personalities changed (by their owner
    # here; drift in play is recorded the same way), so today's prompts would differ
    settings = settings_for(database_url)
    game, _ = await play(settings)
    async with live_server(settings) as server:
        for character in (game.wren, game.mira):
            found = await server.client.data(
                "query($id: ID!) { character(id: $id) { version } }",
                {"id": character["id"]},
                token=game.ada,
            )
            changed = await server.client.data(
                CHANGE_PERSONALITY,
                {"id": character["id"], "v": found["character"]["version"]},
                token=game.ada,
            )
            assert changed["updateCharacter"]["personality"] == {"neuroticism": 1.0}

    # when
    code, out = await replayed(settings, game.session)

    # then: each turn is told with the personalities it was played with
    assert (code, out) == (0, "turn 1: identical\nturn 2: identical\n")
