"""Model usage summed per turn and per campaign: in the read queries, and as `Turn.usage`
and `Campaign.usage`, batched like every other relation."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.language import CallRecord
from novel_engine.domain.narration import Usage
from novel_engine.persistence.model_calls import SqlCallRecorder
from novel_engine.persistence.queries import ReadQueries
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character, settled_rows
from tests.integration.test_dataloaders import counting_statements
from tests.integration.test_model_calls import call, failed
from tests.integration.test_sessions_api import START, SUBMIT, Table, act

ANSWERED, FAILED = call(""), failed("")


async def record(
    engine: AsyncEngine, campaign: uuid.UUID, turn: uuid.UUID | None, *attempts: CallRecord
) -> None:
    """One call, made of `attempts` numbered 1, 2, ..., by a job of its own."""
    recorder, job = SqlCallRecorder(engine), str(uuid.uuid4())
    for number, attempt in enumerate(attempts, 1):
        await recorder.record(
            replace(attempt, job_id=job, attempt=number, campaign_id=campaign, turn_id=turn)
        )


async def test_usage_counts_answered_calls_and_the_tokens_of_every_attempt(
    engine: AsyncEngine,
) -> None:
    # given: a campaign with two turns, one of them told after a failed attempt (which
    # still cost prompt tokens) and with a persona's reaction, plus a call for the
    # campaign as a whole
    campaign, quiet = uuid.uuid4(), uuid.uuid4()
    told, reacted = uuid.uuid4(), uuid.uuid4()
    await record(engine, campaign, told, replace(FAILED, prompt_tokens=5), ANSWERED)
    await record(engine, campaign, told, replace(ANSWERED, step="react", output_tokens=3))
    await record(engine, campaign, reacted, replace(ANSWERED, fallback=True, prompt_tokens=4))
    await record(engine, campaign, None, replace(ANSWERED, step="compile"))
    queries = ReadQueries(engine)

    # when
    by_turn = await queries.usage_by_turn_ids([told, reacted, quiet])
    by_campaign = await queries.usage_by_campaign_ids([campaign, quiet])

    # then
    assert by_turn == {
        told: Usage(calls=2, prompt_tokens=27, output_tokens=10),
        reacted: Usage(calls=1, prompt_tokens=4, output_tokens=7),
    }
    assert by_campaign == {campaign: Usage(calls=4, prompt_tokens=42, output_tokens=24)}


async def test_a_step_run_again_is_counted_once(engine: AsyncEngine) -> None:
    # given: a job step that answered, then ran again after a crash and answered again
    campaign, turn, job = uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4())
    recorder = SqlCallRecorder(engine)
    first_run = replace(ANSWERED, job_id=job, campaign_id=campaign, turn_id=turn)
    await recorder.record(first_run)
    await recorder.record(replace(first_run, output_tokens=9))

    # when
    usage = await ReadQueries(engine).usage_by_turn_ids([turn])

    # then
    assert usage == {turn: Usage(calls=1, prompt_tokens=11, output_tokens=9)}


NARRATED = """
query($id: ID!) {
  campaign(id: $id) {
    usage { calls promptTokens outputTokens }
    sessions { turns { edges { node {
      narrationStatus narrative usage { calls promptTokens outputTokens }
    } } } }
  }
}
"""


async def narrated(client: AppClient, token: str, campaign_id: str) -> dict[str, Any]:
    """The campaign once every turn of its sessions is narrated."""
    async with asyncio.timeout(30):
        while True:
            campaign: dict[str, Any] = (
                await client.data(NARRATED, {"id": campaign_id}, token=token)
            )["campaign"]
            turns = [e["node"] for s in campaign["sessions"] for e in s["turns"]["edges"]]
            if all(t["narrationStatus"] == "DONE" for t in turns):
                return campaign
            await asyncio.sleep(0.05)


async def test_a_narrated_turn_and_its_campaign_show_what_the_narration_cost(
    app_client: AppClient,
) -> None:
    # given: a turn the offline model narrates (it counts words as tokens)
    table = await Table(app_client).set()
    await table.submit(table.bob, [act(table.tam, "WAIT", "Tam waits")])

    # when: the viewer looks once it is narrated
    campaign = await narrated(app_client, table.vic, table.campaign["id"])

    # then: one call, whose answer is the narrative
    [turn] = [e["node"] for e in campaign["sessions"][0]["turns"]["edges"]]
    usage = turn["usage"]
    assert (usage["calls"], usage["outputTokens"]) == (1, len(turn["narrative"].split()))
    assert usage["promptTokens"] > 0
    # the campaign's also counts the one call that scored the memories the turn left
    await settled_rows(app_client.http._transport.app.state.engine)  # type: ignore[attr-defined]
    campaign = await narrated(app_client, table.vic, table.campaign["id"])
    assert campaign["usage"]["calls"] == usage["calls"] + 1
    assert campaign["usage"]["outputTokens"] > usage["outputTokens"]


async def test_a_campaign_without_calls_shows_zero_usage(app_client: AppClient) -> None:
    token = await app_client.sign_up("Ada")
    campaign = await create_campaign(app_client, token)

    data = await app_client.data(NARRATED, {"id": campaign["id"]}, token=token)

    assert data["campaign"]["usage"] == {"calls": 0, "promptTokens": 0, "outputTokens": 0}


ALL_USAGE = """
query($first: Int!) {
  campaigns(first: $first) { edges { node {
    usage { calls }
    sessions { turns { edges { node { usage { calls } } } } }
  } } }
}
"""


async def narrated_campaign(app_client: AppClient, token: str, hero: dict) -> None:
    """A new campaign whose session has one turn, narrated."""
    campaign = await create_campaign(app_client, token, "Usage")
    await app_client.data(
        "mutation($id: ID!, $c: ID!) { addCampaignCharacter(campaignId: $id, characterId: $c) "
        "{ __typename } }",
        {"id": campaign["id"], "c": hero["id"]},
        token=token,
    )
    session = (await app_client.data(START, {"id": campaign["id"]}, token=token))["startSession"]
    await app_client.data(
        SUBMIT,
        {"session": session["id"], "input": {"actions": [act(hero, "WAIT", "waits")]}},
        token=token,
    )
    await narrated(app_client, token, campaign["id"])
    # and its memories formed, so no job reads in the background of what is counted
    await settled_rows(app_client.http._transport.app.state.engine)  # type: ignore[attr-defined]


async def test_usage_of_two_or_six_campaigns_costs_the_same_statements(
    app_client: AppClient,
) -> None:
    # given: campaigns whose single turn was narrated by one call (and its memories
    # scored by another)
    token = await app_client.sign_up("Ada")
    hero = await create_character(app_client, token, "Hero")
    for _ in range(6):
        await narrated_campaign(app_client, token, hero)

    async def statements(first: int) -> int:
        async with counting_statements(app_client) as seen:
            data = await app_client.data(ALL_USAGE, {"first": first}, token=token)
        nodes = [e["node"] for e in data["campaigns"]["edges"]]
        assert [n["usage"] for n in nodes] == [{"calls": 2}] * first
        turns = [t["node"] for n in nodes for t in n["sessions"][0]["turns"]["edges"]]
        assert [t["usage"] for t in turns] == [{"calls": 1}] * first
        return len(seen)

    # when
    for_two, for_six = await statements(2), await statements(6)

    # then: the token's user, campaigns, their usage, sessions, turns, the turns' usage
    assert for_two == for_six
    assert for_six <= 6, for_six
