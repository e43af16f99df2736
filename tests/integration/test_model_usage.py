"""Model usage summed per turn and per campaign: in the read queries, and as `Turn.usage`
and `Campaign.usage`, batched like every other relation."""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.language import CallRecord, ModelUsage
from novel_engine.persistence.model_calls import SqlCallRecorder
from novel_engine.persistence.queries import ReadQueries
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character
from tests.integration.test_dataloaders import counting_statements
from tests.integration.test_sessions_api import START, SUBMIT, Table, act

ANSWERED = CallRecord(
    job_id="",
    step="narrate",
    attempt=1,
    provider="openai",
    model="local-model",
    system="You narrate.",
    prompt="The knight enters the hall.",
    answer="The hall falls quiet.",
    prompt_tokens=11,
    output_tokens=7,
    latency=0.5,
    fallback=False,
)
FAILED = replace(ANSWERED, answer=None, error="HTTP 503", prompt_tokens=0, output_tokens=0)


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
    # given: a campaign with two turns, one of them narrated after a failed attempt and
    # with a persona's reaction, plus a call for the campaign as a whole
    campaign, quiet = uuid.uuid4(), uuid.uuid4()
    narrated, reacted = uuid.uuid4(), uuid.uuid4()
    await record(engine, campaign, narrated, FAILED, ANSWERED)
    await record(engine, campaign, narrated, replace(ANSWERED, step="react", output_tokens=3))
    await record(engine, campaign, reacted, replace(ANSWERED, fallback=True, prompt_tokens=4))
    await record(engine, campaign, None, replace(ANSWERED, step="compile"))
    queries = ReadQueries(engine)

    # when
    by_turn = await queries.usage_by_turn_ids([narrated, reacted, quiet])
    by_campaign = await queries.usage_by_campaign_ids([campaign, quiet])

    # then
    assert by_turn == {
        narrated: ModelUsage(calls=2, prompt_tokens=22, output_tokens=10),
        reacted: ModelUsage(calls=1, prompt_tokens=4, output_tokens=7),
    }
    assert by_campaign == {campaign: ModelUsage(calls=4, prompt_tokens=37, output_tokens=24)}


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
    assert usage == {turn: ModelUsage(calls=1, prompt_tokens=11, output_tokens=9)}


USAGE = """
query($id: ID!) {
  campaign(id: $id) {
    usage { calls promptTokens outputTokens }
    sessions { turns { edges { node { number usage { calls promptTokens outputTokens } } } } }
  }
}
"""


async def test_turns_and_campaigns_show_their_usage_to_every_member(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: two turns, the first narrated after a failed attempt, the second not yet
    table = await Table(app_client).set()
    first = await table.submit(table.bob, [act(table.tam, "WAIT", "Tam waits")])
    await table.submit(table.bob, [act(table.tam, "WAIT", "Tam waits on")])
    campaign_id = uuid.UUID(table.campaign["id"])
    await record(engine, campaign_id, uuid.UUID(first["id"]), FAILED, ANSWERED)

    # when: the viewer asks
    data = await app_client.data(USAGE, {"id": table.campaign["id"]}, token=table.vic)

    # then
    campaign = data["campaign"]
    assert campaign["usage"] == {"calls": 1, "promptTokens": 11, "outputTokens": 7}
    [session] = campaign["sessions"]
    assert [e["node"] for e in session["turns"]["edges"]] == [
        {"number": 1, "usage": {"calls": 1, "promptTokens": 11, "outputTokens": 7}},
        {"number": 2, "usage": {"calls": 0, "promptTokens": 0, "outputTokens": 0}},
    ]


ALL_USAGE = """
query($first: Int!) {
  campaigns(first: $first) { edges { node {
    usage { calls }
    sessions { turns { edges { node { usage { calls outputTokens } } } } }
  } } }
}
"""


async def campaign_with_a_turn(app_client: AppClient, token: str, hero: dict) -> tuple[str, str]:
    """A new campaign's id, and the id of the first turn of its session."""
    campaign = await create_campaign(app_client, token, "Usage")
    await app_client.data(
        "mutation($id: ID!, $c: ID!) { addCampaignCharacter(campaignId: $id, characterId: $c) "
        "{ __typename } }",
        {"id": campaign["id"], "c": hero["id"]},
        token=token,
    )
    session = (await app_client.data(START, {"id": campaign["id"]}, token=token))["startSession"]
    submitted = await app_client.data(
        SUBMIT,
        {"session": session["id"], "input": {"actions": [act(hero, "WAIT", "waits")]}},
        token=token,
    )
    return campaign["id"], submitted["submitTurn"]["id"]


async def test_usage_of_two_or_six_campaigns_costs_the_same_statements(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given: campaigns whose single turn made one call each
    token = await app_client.sign_up("Ada")
    hero = await create_character(app_client, token, "Hero")
    for _ in range(6):
        campaign, turn = await campaign_with_a_turn(app_client, token, hero)
        await record(engine, uuid.UUID(campaign), uuid.UUID(turn), ANSWERED)

    async def statements(first: int) -> int:
        with counting_statements(app_client) as seen:
            data = await app_client.data(ALL_USAGE, {"first": first}, token=token)
        nodes = [e["node"] for e in data["campaigns"]["edges"]]
        assert [n["usage"] for n in nodes] == [{"calls": 1}] * first
        turns = [t["node"] for n in nodes for t in n["sessions"][0]["turns"]["edges"]]
        assert [t["usage"] for t in turns] == [{"calls": 1, "outputTokens": 7}] * first
        return len(seen)

    # when
    for_two, for_six = await statements(2), await statements(6)

    # then: the token's user, campaigns, their usage, sessions, turns, the turns' usage
    assert for_two == for_six
    assert for_six <= 6, for_six
