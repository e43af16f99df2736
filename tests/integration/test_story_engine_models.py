"""The story engine on remote models, through their real SDKs against fake servers on
loopback: personas answer as validated structured output, narration streams, and a model
that cannot answer (or answers out of bounds) is replaced by the offline one, which the
turn and its events say."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.integration.test_campaigns_api import SETTINGS
from tests.integration.test_sessions_api import act
from tests.integration.test_story_engine import EVENTS, STREAM, Game, joined, until_done
from tests.live_server import LiveServer, live_server, settings_for
from tests.model_servers import (
    FakeModelServer,
    Reply,
    gemini_answer,
    gemini_stream,
    openai_answer,
    openai_error,
    openai_stream,
)

PROSE = ["Mira asked ", "who kept the ferry. ", "Old Wren laughed."]


@asynccontextmanager
async def engine_on(database_url: str, **model: Any) -> AsyncIterator[LiveServer]:
    async with live_server(settings_for(database_url, **model)) as running:
        yield running


def openai(url: str) -> dict[str, Any]:
    return {"llm_provider": "openai", "llm_base_url": f"{url}/v1", "llm_model": "local-model"}


def gemini(url: str) -> dict[str, Any]:
    return {"llm_provider": "gemini", "gemini_api_key": "k", "gemini_base_url": url}


async def one_turn(server: LiveServer) -> tuple[Game, dict[str, Any], list[dict[str, Any]]]:
    game = await Game(server).set()
    await game.play(game.ada, [act(game.mira, "DIALOGUE", "Who keeps this ferry?", [game.wren])])
    [turn] = await game.narrated(1, within=60)
    data = await game.client.data(EVENTS, {"id": game.campaign["id"]}, token=game.ada)
    nodes = [e["node"] for e in data["campaign"]["events"]["edges"]]
    return game, turn, nodes


def reaction_json(intent: str, target_id: str | None = None) -> str:
    return json.dumps({"kind": "DIALOGUE", "targetId": target_id, "intent": intent})


async def test_on_an_openai_compatible_server_personas_answer_and_prose_streams(
    database_url: str,
) -> None:
    # given: the model answers the persona, then streams the narration
    answer = Reply(body=openai_answer(reaction_json("Thirty years, child.")))
    fake = FakeModelServer([answer, openai_stream(PROSE)])
    with fake.running():
        async with engine_on(database_url, **openai(fake.url)) as server:
            _, turn, _ = await one_turn(server)

    # then
    [reaction] = turn["reactions"]
    assert reaction["action"]["intent"] == "Thirty years, child."
    assert reaction["action"]["kind"] == "DIALOGUE"
    assert turn["narrative"] == "".join(PROSE)
    assert (turn["modelUsed"], turn["fallback"]) == ("openai/local-model", False)
    # the persona was asked for structured output, with its brief and what it witnessed
    persona_request = fake.requests[0].body
    assert persona_request["response_format"]["type"] == "json_schema"
    brief = json.dumps(persona_request["messages"])
    assert "Old Wren" in brief
    assert "Who keeps this ferry?" in brief
    assert "keeper of the ferry" in brief


async def test_a_persona_answer_out_of_bounds_is_replaced_by_the_offline_one(
    database_url: str,
) -> None:
    # given: a well-formed answer naming someone who is not there
    stranger = "00000000-0000-4000-8000-000000000000"
    answer = Reply(body=openai_answer(reaction_json("Hm.", stranger)))
    fake = FakeModelServer([answer, openai_stream(PROSE)])
    with fake.running():
        async with engine_on(database_url, **openai(fake.url)) as server:
            _, turn, nodes = await one_turn(server)

    # then: the offline persona answered, and the reaction's event says so
    [reaction] = turn["reactions"]
    assert reaction["action"]["character"] == {"name": "Old Wren"}
    [event] = [
        n
        for n in nodes
        if n["eventType"].startswith("interactions.") and "aiControlled" in n["payload"]
    ]
    assert event["payload"]["fallback"] is True
    assert event["payload"]["modelUsed"] == "offline/offline-1"
    assert turn["fallback"] is False  # the narration itself came from the remote model


async def test_a_model_that_keeps_failing_falls_back_to_offline_and_says_so(
    database_url: str,
) -> None:
    fake = FakeModelServer([openai_error(503)])
    with fake.running():
        async with engine_on(database_url, **openai(fake.url)) as server:
            _, turn, nodes = await one_turn(server)

    # then: three attempts per call, then the offline model, said on the turn and events
    assert len(fake.requests) == 6
    assert turn["narrationStatus"] == "DONE"
    assert (turn["modelUsed"], turn["fallback"]) == ("offline/offline-1", True)
    assert "Old Wren" in turn["narrative"]
    [narrated] = [n for n in nodes if n["eventType"] == "narratives.turn.narrated"]
    assert narrated["payload"]["fallback"] is True
    assert narrated["payload"]["text"] == turn["narrative"]


async def test_on_gemini_personas_answer_and_prose_streams(database_url: str) -> None:
    answer = Reply(body=gemini_answer(reaction_json("Who asks?")))
    fake = FakeModelServer([answer, gemini_stream(PROSE)])
    with fake.running():
        async with engine_on(database_url, **gemini(fake.url)) as server:
            _, turn, _ = await one_turn(server)

    [reaction] = turn["reactions"]
    assert reaction["action"]["intent"] == "Who asks?"
    assert turn["narrative"] == "".join(PROSE)
    assert turn["modelUsed"].startswith("gemini/")
    assert turn["fallback"] is False
    config = fake.requests[0].body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "intent" in json.dumps(config)


async def test_a_subscriber_joining_mid_turn_gets_the_text_so_far_then_the_rest(
    database_url: str,
) -> None:
    # given: a model writing slowly, and a co-author watching from the start
    slow = dataclasses.replace(
        openai_stream([f"Line {n} of the tale. " for n in range(8)]), event_delay=0.15
    )
    fake = FakeModelServer([Reply(body=openai_answer(reaction_json("Hm."))), slow])
    with fake.running():
        async with engine_on(database_url, **openai(fake.url)) as server:
            game = await Game(server).set()
            async with server.ws(game.ada) as watcher:
                await watcher.subscribe("w", STREAM, {"session": game.session})
                await asyncio.sleep(0.2)
                await game.play(game.ada, [act(game.mira, "MOVE", "the ferry landing")])
                early = await watcher.next_payloads("w", 2, within=30)

                # when: a second co-author joins while the turn is being written
                async with server.ws(game.bob) as late:
                    await late.subscribe("late", STREAM, {"session": game.session})
                    late_payloads = await until_done(late, "late", 1)
                watcher_payloads = [*early, *await until_done(watcher, "w", 1)]
            [turn] = await game.narrated(1)

    # then: both saw the whole turn, in order, with no gap and no duplicate
    assert joined(watcher_payloads) == {turn["id"]: turn["narrative"]}
    assert joined(late_payloads) == {turn["id"]: turn["narrative"]}
    assert late_payloads == watcher_payloads


async def test_the_chronicler_writes_in_the_style_the_campaign_was_last_given(
    database_url: str,
) -> None:
    answer = Reply(body=openai_answer(reaction_json("Hm.")))
    fake = FakeModelServer([answer, openai_stream(PROSE)])
    with fake.running():
        async with engine_on(database_url, **openai(fake.url)) as server:
            game = await Game(server).set()
            changed = await game.client.data(
                SETTINGS,
                {"id": game.campaign["id"], "input": {"narrationStyle": "terse noir"}},
                token=game.ada,
            )
            assert changed["updateCampaignSettings"]["narrationStyle"] == "terse noir"
            await game.play(game.ada, [act(game.mira, "WAIT", "wait for the tide")])
            await game.narrated(1, within=60)

    narration = json.dumps(fake.requests[-1].body["messages"])
    assert "Style: terse noir" in narration
