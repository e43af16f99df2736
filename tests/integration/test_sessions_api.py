import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character, settled_rows
from tests.integration.test_campaigns_api import assert_refused, post_raw

START = """
mutation($id: ID!) {
  startSession(campaignId: $id) {
    __typename
    ... on Session { id number status startedBy { displayName } }
    ... on Error { code message field }
  }
}
"""

SUBMIT = """
mutation($session: ID!, $input: TurnInput!, $key: String) {
  submitTurn(sessionId: $session, input: $input, idempotencyKey: $key) {
    __typename
    ... on Turn {
      id number correlationId submittedBy { displayName }
      actions { kind intent character { name } targets { name } }
    }
    ... on Error { code message field }
  }
}
"""

END = """
mutation($session: ID!) {
  endSession(sessionId: $session) {
    __typename ... on Session { status } ... on Error { code field }
  }
}
"""

EVENTS = """
query($id: ID!) {
  campaign(id: $id) {
    worldState worldVersion
    sessions { number status turnCount turns { edges { node { number } } } }
    events(first: 100) { edges { node {
      eventId eventType aggregateType aggregateId correlationId causationId payload
    } } }
  }
}
"""


class Table:
    """A campaign with an owner (Ada, gamemaster), a co-author (Bob) and a viewer (Vic),
    each co-author with a character in it, and a running session."""

    def __init__(self, client: AppClient) -> None:
        self.client = client

    async def set(self) -> "Table":
        c = self.client
        self.ada, self.bob, self.vic = (
            await c.sign_up("Ada"),
            await c.sign_up("Bob"),
            await c.sign_up("Vic"),
        )
        self.campaign = await create_campaign(c, self.ada, world={"weather": "rain"})
        for email, role in [("bob@example.com", "COAUTHOR"), ("vic@example.com", "VIEWER")]:
            await c.data(
                "mutation($id: ID!, $e: String!, $r: CampaignRole!) { "
                "addCampaignMember(campaignId: $id, email: $e, role: $r) { __typename } }",
                {"id": self.campaign["id"], "e": email, "r": role},
                token=self.ada,
            )
        self.mira = await create_character(c, self.ada, "Mira", visibility="PUBLIC")
        self.tam = await create_character(c, self.bob, "Tam", visibility="PUBLIC")
        for token, character in [(self.ada, self.mira), (self.bob, self.tam)]:
            await c.data(
                "mutation($id: ID!, $c: ID!) { addCampaignCharacter(campaignId: $id, "
                "characterId: $c) { __typename } }",
                {"id": self.campaign["id"], "c": character["id"]},
                token=token,
            )
        started = await c.data(START, {"id": self.campaign["id"]}, token=self.ada)
        self.session = started["startSession"]
        assert self.session["__typename"] == "Session", self.session
        return self

    async def submit(
        self, token: str, actions: list[dict[str, Any]], key: str | None = None
    ) -> dict[str, Any]:
        data = await self.client.data(
            SUBMIT,
            {"session": self.session["id"], "input": {"actions": actions}, "key": key},
            token=token,
        )
        result: dict[str, Any] = data["submitTurn"]
        return result

    async def events(self) -> dict[str, Any]:
        data = await self.client.data(EVENTS, {"id": self.campaign["id"]}, token=self.ada)
        result: dict[str, Any] = data["campaign"]
        return result


def act(character: dict, kind: str, intent: str, targets: list[dict] | None = None) -> dict:
    return {
        "characterId": character["id"],
        "kind": kind,
        "intent": intent,
        "targetIds": [t["id"] for t in targets or []],
    }


async def test_a_turn_records_linked_catalog_events_and_moves_characters(
    app_client: AppClient,
) -> None:
    # given
    table = await Table(app_client).set()

    # when
    turn = await table.submit(
        table.bob,
        [
            act(table.tam, "DIALOGUE", "Who drew this map?", [table.mira]),
            act(table.tam, "MOVE", "the lighthouse"),
        ],
    )

    # then
    assert turn["__typename"] == "Turn", turn
    assert turn["number"] == 1
    assert turn["submittedBy"] == {"displayName": "Bob"}
    assert turn["actions"][0]["targets"] == [{"name": "Mira"}]
    campaign = await table.events()
    assert campaign["worldState"] == {
        "weather": "rain",
        "locations": {table.tam["id"]: "the lighthouse"},
    }
    assert campaign["worldVersion"] == 2
    nodes = [e["node"] for e in campaign["events"]["edges"]]
    turn_events = [n for n in nodes if n["correlationId"] == turn["correlationId"]]
    assert [n["eventType"] for n in turn_events] == [
        "interactions.interaction.initiated",
        "interactions.dialogue.exchanged",
        "interactions.action.performed",
        "campaigns.world.state-changed",
        "interactions.interaction.resolved",
    ]
    initiated = turn_events[0]
    assert initiated["aggregateType"] == "INTERACTION"
    assert {
        k: initiated["payload"][k]
        for k in ("initiatingCharacterId", "interactionType", "intent", "targetCharacterIds")
    } == {
        "initiatingCharacterId": table.tam["id"],
        "interactionType": "dialogue",
        "intent": "Who drew this map?",
        "targetCharacterIds": [table.mira["id"]],
    }
    for event in turn_events:
        assert not {"success", "tone", "narrativeImpact"} & set(event["payload"]), event
    assert initiated["aggregateId"] == turn["id"]
    assert initiated["causationId"] == turn["correlationId"]
    assert all(n["causationId"] == initiated["eventId"] for n in turn_events[1:])
    dialogue = turn_events[1]["payload"]
    assert (dialogue["speakerId"], dialogue["listenerId"]) == (table.tam["id"], table.mira["id"])
    assert turn_events[2]["payload"]["actionType"] == "movement"
    assert turn_events[3]["payload"]["sessionId"] == table.session["id"]
    assert nodes[-len(turn_events) - 1]["eventType"] == "campaigns.session.started"


async def test_who_may_act_for_which_character(app_client: AppClient, engine: AsyncEngine) -> None:
    table = await Table(app_client).set()
    stranger_character = await create_character(app_client, table.bob, "Outsider")
    before = await settled_rows(engine)

    not_yours = await table.submit(table.bob, [act(table.mira, "WAIT", "waits")])
    viewer = await table.submit(table.vic, [act(table.tam, "WAIT", "waits")])
    outside = await table.submit(table.bob, [act(stranger_character, "WAIT", "waits")])
    bad_target = await table.submit(
        table.bob, [act(table.tam, "ATTACK", "swings", [stranger_character])]
    )
    empty = await table.submit(table.bob, [])
    blank = await table.submit(table.bob, [act(table.tam, "WAIT", "   ")])

    assert not_yours["code"] == "FORBIDDEN"
    assert viewer["code"] == "FORBIDDEN"
    assert (outside["code"], outside["field"]) == ("INVALID_INPUT", "actions.0.characterId")
    assert (bad_target["code"], bad_target["field"]) == ("INVALID_INPUT", "actions.0.targetIds")
    assert (empty["code"], empty["field"]) == ("INVALID_INPUT", "actions")
    assert (blank["code"], blank["field"]) == ("INVALID_INPUT", "actions.0.intent")
    assert await settled_rows(engine) == before
    by_gamemaster = await table.submit(table.ada, [act(table.tam, "WAIT", "Tam hesitates")])
    assert by_gamemaster["__typename"] == "Turn"


async def test_a_retried_submit_returns_the_first_turn_and_writes_nothing(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    table = await Table(app_client).set()
    actions = [act(table.tam, "MOVE", "the docks")]

    first = await table.submit(table.bob, actions, key="turn-1")
    before = await settled_rows(engine)
    retry = await table.submit(table.bob, actions, key="turn-1")
    different = await table.submit(table.bob, [act(table.tam, "MOVE", "home")], key="turn-1")
    someone_else = await table.submit(table.ada, actions, key="turn-1")

    assert retry == first
    assert await settled_rows(engine) == before
    assert (different["code"], different["field"]) == ("IDEMPOTENCY_CONFLICT", "idempotencyKey")
    assert someone_else["code"] == "IDEMPOTENCY_CONFLICT"
    assert await settled_rows(engine) == before


async def test_concurrent_turns_resolve_one_at_a_time(app_client: AppClient) -> None:
    table = await Table(app_client).set()

    turns = await asyncio.gather(
        *(
            table.submit(table.bob, [act(table.tam, "MOVE", f"place {i}")], key=f"k{i}")
            for i in range(6)
        )
    )

    assert sorted(t["number"] for t in turns) == [1, 2, 3, 4, 5, 6]
    campaign = await table.events()
    assert campaign["worldVersion"] == 7
    turn_ids = {t["correlationId"] for t in turns}
    # What submitTurn wrote (its narration comes later, under the same correlation).
    in_stream = [
        e["node"]["correlationId"]
        for e in campaign["events"]["edges"]
        if e["node"]["correlationId"] in turn_ids
        and e["node"]["eventType"].startswith(("interactions.", "campaigns."))
    ]
    runs = [c for i, c in enumerate(in_stream) if i == 0 or in_stream[i - 1] != c]
    assert len(runs) == len(turn_ids) == 6, "a turn's events are never interleaved"
    assert len(in_stream) == 6 * 4
    assert campaign["sessions"][0]["turnCount"] == 6
    numbers = [e["node"]["number"] for e in campaign["sessions"][0]["turns"]["edges"]]
    assert numbers == [1, 2, 3, 4, 5, 6]


async def test_sessions_start_one_at_a_time_and_end(app_client: AppClient) -> None:
    table = await Table(app_client).set()

    again = await app_client.data(START, {"id": table.campaign["id"]}, token=table.ada)
    by_coauthor = await app_client.data(END, {"session": table.session["id"]}, token=table.bob)
    ended = await app_client.data(END, {"session": table.session["id"]}, token=table.ada)
    late = await table.submit(table.bob, [act(table.tam, "WAIT", "waits")])
    next_one = await app_client.data(START, {"id": table.campaign["id"]}, token=table.ada)
    outsider = await app_client.sign_up("Eve")
    hidden = await app_client.data(END, {"session": table.session["id"]}, token=outsider)

    assert again["startSession"]["code"] == "ALREADY_EXISTS"
    assert by_coauthor["endSession"]["code"] == "FORBIDDEN"
    assert ended["endSession"] == {"__typename": "Session", "status": "ENDED"}
    assert late["code"] == "SESSION_NOT_ACTIVE"
    assert next_one["startSession"]["number"] == 2
    assert hidden["endSession"]["code"] == "NOT_FOUND"
    assert (
        await app_client.data(
            "query($id: ID!) { session(id: $id) { number } }",
            {"id": table.session["id"]},
            token=outsider,
        )
    ) == {"session": None}


READ_TABLE = """
query($id: ID!) {
  campaign(id: $id) {
    characters { name background }
    sessions { turns { edges { node {
      actions { character { name background } targets { name background } }
      outcomes { description consequences }
    } } } }
  }
}
"""

MAKE_PRIVATE = """
mutation($id: ID!) {
  updateCharacter(id: $id, input: {visibility: PRIVATE, background: "Mira's secret"},
                  expectedVersion: 3) { __typename }
}
"""


async def test_a_character_made_private_is_hidden_from_other_members(
    app_client: AppClient,
) -> None:
    # given: Bob's Tam spoke to Ada's Mira (which changed how Mira regards Tam, version 2,
    # and began Mira's development, version 3); then Ada made Mira private
    table = await Table(app_client).set()
    turn = await table.submit(table.bob, [act(table.tam, "DIALOGUE", "Hello", [table.mira])])
    assert turn["__typename"] == "Turn", turn
    changed = await app_client.data(MAKE_PRIVATE, {"id": table.mira["id"]}, token=table.ada)
    assert changed["updateCharacter"]["__typename"] == "Character"

    # when
    as_bob = await app_client.data(READ_TABLE, {"id": table.campaign["id"]}, token=table.bob)
    as_ada = await app_client.data(READ_TABLE, {"id": table.campaign["id"]}, token=table.ada)

    # then: Bob sees neither Mira nor her background, through the campaign or the turn
    assert as_bob["campaign"]["characters"] == [{"name": "Tam", "background": ""}]
    [bob_turn] = as_bob["campaign"]["sessions"][0]["turns"]["edges"]
    assert len(bob_turn["node"]["outcomes"]) == 1  # which speaks of parts, not names
    assert bob_turn["node"]["actions"] == [
        {"character": {"name": "Tam", "background": ""}, "targets": []}
    ]
    assert "Mira" not in str(as_bob)
    # and her owner still does
    assert {"name": "Mira", "background": "Mira's secret"} in as_ada["campaign"]["characters"]
    [ada_turn] = as_ada["campaign"]["sessions"][0]["turns"]["edges"]
    assert ada_turn["node"]["actions"][0]["targets"] == [
        {"name": "Mira", "background": "Mira's secret"}
    ]


async def test_a_lone_surrogate_in_a_move_is_refused_and_nothing_is_stored(
    app_client: AppClient, engine: AsyncEngine
) -> None:
    # given
    table = await Table(app_client).set()
    before = await settled_rows(engine)
    action = f'{{"characterId": "{table.tam["id"]}", "kind": "MOVE", "intent": "the \\ud800 pier"}}'

    # when
    moved = await post_raw(
        app_client,
        SUBMIT,
        f'{{"session": "{table.session["id"]}", "input": {{"actions": [{action}]}}}}',
        table.bob,
    )

    # then
    assert_refused(moved, "submitTurn", "actions.0.intent")
    assert await settled_rows(engine) == before
    campaign = await table.events()
    assert campaign["worldState"] == {"weather": "rain"}


PLAY = """
mutation($session: ID!, $input: TurnInput!) {
  submitTurn(sessionId: $session, input: $input) {
    __typename
    ... on Turn {
      id correlationId
      outcomes {
        action { kind intent character { name } }
        success roll difficulty description consequences
      }
    }
    ... on Error { code message field }
  }
}
"""

READ_OUTCOMES = """
query($id: ID!, $tam: ID!) {
  campaign(id: $id) { sessions { turns { edges { node { id outcomes { success roll } } } } } }
  character(id: $tam) { version relationships { type strength character { name } } }
}
"""


async def test_actions_get_outcomes_whose_consequences_change_the_world_and_characters(
    app_client: AppClient,
) -> None:
    # given: Ada's Ash, a calm master of the sword, whose attack cannot fail
    # (difficulty 0.50; modifier 0.30 for sword 100 + 0.20 for neuroticism 0)
    table = await Table(app_client).set()
    ash = await create_character(
        app_client,
        table.ada,
        "Ash",
        visibility="PUBLIC",
        personality={"neuroticism": 0.0},
        skills=[{"name": "sword", "level": 100}],
    )
    await app_client.data(
        "mutation($id: ID!, $c: ID!) { addCampaignCharacter(campaignId: $id, "
        "characterId: $c) { __typename } }",
        {"id": table.campaign["id"], "c": ash["id"]},
        token=table.ada,
    )
    everyone = sorted([ash["id"], table.mira["id"], table.tam["id"]])

    # when: Ash strikes Tam, then Mira walks to the lighthouse
    data = await app_client.data(
        PLAY,
        {
            "session": table.session["id"],
            "input": {
                "actions": [
                    act(ash, "ATTACK", "strikes with the sword", [table.tam]),
                    act(table.mira, "MOVE", "the lighthouse"),
                ]
            },
        },
        token=table.ada,
    )

    # then: the turn tells what came of each action, and why
    turn = data["submitTurn"]
    assert turn["__typename"] == "Turn", turn
    attack, move = turn["outcomes"]
    assert attack["action"] == {
        "kind": "ATTACK",
        "intent": "strikes with the sword",
        "character": {"name": "Ash"},
    }
    assert (attack["success"], attack["difficulty"]) == (True, 0.5)
    assert 0 <= attack["roll"] < 1
    assert "+ 0.50 (sword 100, neuroticism 0.00) against 0.50" in attack["description"]
    assert attack["consequences"] == [
        "The target is wounded.",
        "The target regards the actor as enemy (0.60).",
    ]
    assert (move["success"], move["consequences"]) == (
        True,
        ["The actor is now at the lighthouse."],
    )
    # and the world and Tam changed
    campaign = await table.events()
    assert campaign["worldState"]["locations"] == {table.mira["id"]: "the lighthouse"}
    assert campaign["worldState"]["conditions"] == {table.tam["id"]: "wounded"}
    read = await app_client.data(
        READ_OUTCOMES, {"id": table.campaign["id"], "tam": table.tam["id"]}, token=table.bob
    )
    assert read["character"]["relationships"] == [
        {"type": "ENEMY", "strength": 0.6, "character": {"name": "Ash"}}
    ]
    [stored] = read["campaign"]["sessions"][0]["turns"]["edges"]
    assert stored["node"]["outcomes"] == [
        {"success": o["success"], "roll": o["roll"]} for o in turn["outcomes"]
    ]
    # and the action events say where, who saw it and what came of it
    nodes = [e["node"] for e in campaign["events"]["edges"]]
    performed = [n for n in nodes if n["eventType"] == "interactions.action.performed"]
    assert [p["payload"]["location"] for p in performed] == [None, None]
    assert [p["payload"]["witnesses"] for p in performed] == [everyone, everyone]
    assert performed[0]["payload"]["outcome"]["description"] == attack["description"]
    assert performed[0]["payload"]["outcome"]["consequences"] == attack["consequences"]
