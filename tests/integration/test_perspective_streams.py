"""Perspective streams over graphql-transport-ws: in a campaign seen through characters,
each player follows only what its characters perceived, live, while the gamemaster sees
everything; `asCharacter` narrows anyone to one character it may look through."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from websockets.asyncio.client import connect

from novel_engine.graphql.pagination import position_cursor
from tests.graphql_client import AppClient
from tests.integration.helpers import create_campaign, create_character, settled_rows
from tests.integration.test_no_leak import MARKER, RandomSession, known_markers
from tests.integration.test_perception import WORLD
from tests.integration.test_sessions_api import START, SUBMIT, act
from tests.live_server import GraphQLWS, LiveServer, eventually, live_server, settings_for

EVENTS = """
subscription($id: ID!, $after: String, $as: ID) {
  campaignEvents(campaignId: $id, after: $after, asCharacter: $as) { eventType cursor payload }
}
"""

MEMBER = """
mutation($id: ID!, $e: String!, $r: CampaignRole!) {
  addCampaignMember(campaignId: $id, email: $e, role: $r) { __typename }
}
"""

ADD = """
mutation($id: ID!, $c: ID!, $ai: Boolean) {
  addCampaignCharacter(campaignId: $id, characterId: $c, aiControlled: $ai) {
    __typename ... on Error { code message }
  }
}
"""

SETTINGS = """
mutation($id: ID!, $p: Perspective!) {
  updateCampaignSettings(campaignId: $id, input: {perspective: $p}) {
    __typename ... on Error { code message }
  }
}
"""

PATCH = """
mutation($id: ID!, $patch: JSON!, $v: Int!) {
  updateWorldState(campaignId: $id, patch: $patch, expectedVersion: $v) {
    __typename ... on Campaign { worldVersion } ... on Error { code message }
  }
}
"""

CELLAR, TOWER, LATE = "cellarmarker", "towermarker", "latemarker"


@pytest.fixture
async def server(database_url: str, hub_url: str | None) -> AsyncIterator[LiveServer]:
    async with live_server(settings_for(database_url, redis_url=hub_url)) as running:
        yield running


class Keep:
    """A campaign: Ada owns it, Gus is its gamemaster, Bob plays Tam (in the cellar),
    Cleo plays Iva (in the tower) and her AI-played Echo, Vic watches, Eve is a
    stranger."""

    def __init__(self, client: AppClient) -> None:
        self.client = client
        self.world_version = 1

    async def set(self, perspective: str = "THROUGH_CHARACTERS") -> Keep:
        c = self.client
        names = ["Ada", "Gus", "Bob", "Cleo", "Vic", "Eve"]
        self.ada, self.gus, self.bob, self.cleo, self.vic, self.eve = [
            await c.sign_up(n) for n in names
        ]
        self.campaign = await create_campaign(c, self.ada, world={"weather": "rain"})
        self.id = self.campaign["id"]
        for email, role in [
            ("gus@example.com", "GAMEMASTER"),
            ("bob@example.com", "COAUTHOR"),
            ("cleo@example.com", "COAUTHOR"),
            ("vic@example.com", "VIEWER"),
        ]:
            await c.data(MEMBER, {"id": self.id, "e": email, "r": role}, token=self.ada)
        self.tam = await create_character(c, self.bob, "Tam", visibility="PUBLIC")
        self.iva = await create_character(c, self.cleo, "Iva", visibility="PUBLIC")
        self.echo = await create_character(c, self.cleo, "Echo", visibility="PUBLIC")
        for token, character, ai in [
            (self.bob, self.tam, False),
            (self.cleo, self.iva, False),
            (self.cleo, self.echo, True),
        ]:
            added = await c.data(ADD, {"id": self.id, "c": character["id"], "ai": ai}, token=token)
            assert added["addCampaignCharacter"]["__typename"] == "Campaign", added
        places = {self.tam["id"]: "cellar", self.iva["id"]: "tower", self.echo["id"]: "moor"}
        await self.patch({"locations": places})
        await self.perspective(perspective)
        started = await c.data(START, {"id": self.id}, token=self.ada)
        self.session = started["startSession"]["id"]
        return self

    async def perspective(self, perspective: str) -> None:
        data = await self.client.data(SETTINGS, {"id": self.id, "p": perspective}, token=self.ada)
        assert data["updateCampaignSettings"]["__typename"] == "Campaign", data

    async def patch(self, patch: dict[str, Any]) -> None:
        data = await self.client.data(
            PATCH, {"id": self.id, "patch": patch, "v": self.world_version}, token=self.gus
        )
        result = data["updateWorldState"]
        assert result["__typename"] == "Campaign", result
        self.world_version = result["worldVersion"]

    async def play(self, token: str, actions: list[dict[str, Any]]) -> None:
        data = await self.client.data(
            SUBMIT, {"session": self.session, "input": {"actions": actions}}, token=token
        )
        assert data["submitTurn"]["__typename"] == "Turn", data

    async def two_rooms(self, after_first: Callable[[], Awaitable[object]] | None = None) -> None:
        """Tam searches the cellar, Iva rings the tower bell, then both move while the
        weather turns, and Iva acts once more. `after_first` runs after Tam's turn (to let
        the characters there react before Tam leaves)."""
        await self.play(self.bob, [act(self.tam, "SKILL", f"search the cellar {CELLAR}")])
        if after_first is not None:
            await after_first()
        await self.play(self.cleo, [act(self.iva, "INTERACT", f"ring the bell {TOWER}")])
        await self.patch(
            {"weather": "storm", "locations": {self.tam["id"]: "hall", self.iva["id"]: "roof"}}
        )
        await self.play(self.cleo, [act(self.iva, "INTERACT", f"wave a lantern {LATE}")])


def events_of(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p["data"]["campaignEvents"] for p in payloads]


async def until(ws: GraphQLWS, id: str, done: Any) -> list[dict[str, Any]]:
    """Events of one subscription up to and including the first for which `done` holds."""
    seen: list[dict[str, Any]] = []
    while not seen or not done(seen[-1]):
        [payload] = await ws.next_payloads(id, 1)
        seen.append(payload["data"]["campaignEvents"])
    return seen


def mentions(events: list[dict[str, Any]], word: str) -> bool:
    return any(word in json.dumps(e["payload"]) for e in events)


def is_world_change(event: dict[str, Any]) -> bool:
    return bool(event["eventType"] == "campaigns.world.state-changed")


def acted(word: str) -> Any:
    return lambda e: word in json.dumps(e["payload"]) and e["eventType"].startswith("interactions.")


async def test_players_in_different_rooms_each_follow_only_their_room_and_the_gamemaster_all(
    server: LiveServer,
) -> None:
    # given
    keep = await Keep(server.client).set()
    async with server.ws(keep.bob) as bob, server.ws(keep.cleo) as cleo, server.ws(keep.gus) as gus:
        for ws in (bob, cleo, gus):
            await ws.subscribe("live", EVENTS, {"id": keep.id})
        live = server.app.state.services.live
        await eventually(lambda: live.feeds.subscribers == 3)

        # when
        await keep.two_rooms()

        # then
        seen_by_bob = await until(bob, "live", is_world_change)
        seen_by_cleo = await until(cleo, "live", acted(LATE))
        seen_by_gus = await until(gus, "live", acted(LATE))

    assert mentions(seen_by_bob, CELLAR)
    assert not mentions(seen_by_bob, TOWER)
    assert mentions(seen_by_cleo, TOWER)
    assert not mentions(seen_by_cleo, CELLAR)
    assert mentions(seen_by_gus, CELLAR)
    assert mentions(seen_by_gus, TOWER)
    # a turn Bob's character did not witness still shows that it happened, not what in it
    bob_types = [e["eventType"] for e in seen_by_bob]
    assert bob_types.count("interactions.interaction.initiated") == 2
    assert bob_types.count("interactions.action.performed") == 1
    # the world change arrives redacted: the weather, and only Tam's own move
    assert seen_by_bob[-1]["payload"]["changes"] == {
        "weather": "storm",
        "locations": {keep.tam["id"]: "hall"},
    }
    assert "perceivedBy" not in seen_by_bob[-1]["payload"]
    [whole] = [e for e in seen_by_gus if is_world_change(e)]
    assert set(whole["payload"]["changes"]["locations"]) == {keep.tam["id"], keep.iva["id"]}
    # cursors are increasing and Bob's are a subset of the gamemaster's
    gus_cursors = [e["cursor"] for e in seen_by_gus]
    assert {e["cursor"] for e in seen_by_bob} <= set(gus_cursors)


async def test_replay_after_a_cursor_skips_what_the_character_did_not_perceive(
    server: LiveServer,
) -> None:
    # given: everything has happened before Bob subscribes
    keep = await Keep(server.client).set()
    async with server.ws(keep.gus) as gus:
        await gus.subscribe("all", EVENTS, {"id": keep.id})
        await eventually(lambda: server.app.state.services.live.feeds.subscribers == 1)
        await keep.two_rooms()
        everything = await until(gus, "all", acted(LATE))
    start = everything[0]["cursor"]

    # when: Bob replays from before the turns, then stays live
    async with server.ws(keep.bob) as bob:
        await bob.subscribe("r", EVENTS, {"id": keep.id, "after": start})
        replayed = await until(bob, "r", is_world_change)
        await keep.play(keep.bob, [act(keep.tam, "WAIT", "listen at the door")])
        live = await until(bob, "r", acted("listen at the door"))

    # then: no event twice, none he could not perceive, and live continues after replay
    cursors = [e["cursor"] for e in replayed + live]
    assert len(cursors) == len(set(cursors))
    assert mentions(replayed, CELLAR)
    assert not mentions(replayed + live, TOWER)
    assert not mentions(replayed + live, LATE)


async def test_looking_through_a_character_is_for_its_player_and_the_directors(
    server: LiveServer,
) -> None:
    # given
    keep = await Keep(server.client).set(perspective="OMNISCIENT")
    refusals = [
        (keep.bob, keep.iva["id"], "FORBIDDEN"),  # another player's character
        (keep.cleo, keep.echo["id"], "FORBIDDEN"),  # hers, but a persona agent plays it
        (keep.vic, keep.tam["id"], "FORBIDDEN"),  # a viewer plays no one
        (keep.eve, keep.tam["id"], "NOT_FOUND"),  # not a member
        (keep.bob, "2b1e4fd2-46a1-4a53-9d7b-2c1cf3e0d1a1", "NOT_FOUND"),
        (keep.bob, "nonsense", "NOT_FOUND"),
    ]
    for token, character, code in refusals:
        async with server.ws(token) as ws:
            await ws.subscribe("1", EVENTS, {"id": keep.id, "as": character})
            message = await ws.receive()
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == code, (character, message)

    # when: even in an omniscient campaign, asCharacter narrows to that character
    async with server.ws(keep.bob) as bob, server.ws(keep.gus) as gus:
        await bob.subscribe("tam", EVENTS, {"id": keep.id, "as": keep.tam["id"]})
        await gus.subscribe("echo", EVENTS, {"id": keep.id, "as": keep.echo["id"]})
        await eventually(lambda: server.app.state.services.live.feeds.subscribers == 2)
        await keep.two_rooms()
        through_tam = await until(bob, "tam", is_world_change)
        through_echo = await until(gus, "echo", is_world_change)

    # then
    assert mentions(through_tam, CELLAR)
    assert not mentions(through_tam, TOWER)
    assert not mentions(through_echo, CELLAR)
    assert not mentions(through_echo, TOWER)
    assert through_echo[-1]["payload"]["changes"] == {"weather": "storm"}


async def test_filtered_groups_render_each_event_once_and_never_read_the_store(
    server: LiveServer,
) -> None:
    # given: Bob twice, Ada and Gus both through Tam, Cleo: three groups
    keep = await Keep(server.client).set()
    subscribers = [
        (keep.bob, None),
        (keep.bob, None),
        (keep.ada, keep.tam["id"]),
        (keep.gus, keep.tam["id"]),
        (keep.cleo, None),
    ]
    sockets = [server.ws(token) for token, _ in subscribers]
    clients = [await s.__aenter__() for s in sockets]
    try:
        for ws, (_, character) in zip(clients, subscribers, strict=True):
            await ws.subscribe("s", EVENTS, {"id": keep.id, "as": character})
        live = server.app.state.services.live
        await eventually(lambda: live.feeds.subscribers == 5)
        await keep.patch({"weather": "fog"})  # seen by all: every replay is over after it
        for ws in clients:
            await ws.next_payloads("s", 1)
        renders, reads = live.stats.renders, live.stats.store_reads

        # when: Tam moves (Cleo's Iva does not see it), then Iva does (Tam does not)
        await keep.patch({"locations": {keep.tam["id"]: "hall"}})
        seen = [await ws.next_payloads("s", 1) for ws in clients[:4]]
        await keep.patch({"locations": {keep.iva["id"]: "roof"}})
        [cleo_first] = await clients[4].next_payloads("s", 1)

        # then
        await eventually(lambda: live.stats.renders - renders == 6)  # two events, three groups
        assert live.stats.store_reads == reads
        assert seen[0] == seen[1]  # one group, the same bytes
        assert seen[2] == seen[3]
        assert cleo_first["data"]["campaignEvents"]["payload"]["changes"] == {
            "locations": {keep.iva["id"]: "roof"}
        }
    finally:
        for s in sockets:
            await s.__aexit__(None, None, None)


async def error_code(ws: GraphQLWS, id: str) -> str:
    message = await ws.receive()
    assert (message["type"], message["id"]) == ("error", id), message
    code: str = message["payload"][0]["extensions"]["code"]
    return code


async def test_a_perspective_switch_ends_the_streams_it_decided_and_they_resume_after_it(
    server: LiveServer,
) -> None:
    # given: an omniscient campaign followed by Bob (plain and through Tam) and Ada
    keep = await Keep(server.client).set(perspective="OMNISCIENT")
    async with server.ws(keep.bob) as bob, server.ws(keep.ada) as ada:
        await bob.subscribe("plain", EVENTS, {"id": keep.id})
        await ada.subscribe("plain", EVENTS, {"id": keep.id})
        async with server.ws(keep.bob) as bob_as_tam:
            await bob_as_tam.subscribe("tam", EVENTS, {"id": keep.id, "as": keep.tam["id"]})
            live = server.app.state.services.live
            await eventually(lambda: live.feeds.subscribers == 3)

            # when
            await keep.perspective("THROUGH_CHARACTERS")

            # then: Bob's plain stream gets the change, then is told to resubscribe
            [switched] = events_of(await bob.next_payloads("plain", 1))
            assert switched["eventType"] == "campaigns.campaign.settings-changed"
            assert await error_code(bob, "plain") == "VIEWPOINT_CHANGED"
            await bob.subscribe("again", EVENTS, {"id": keep.id, "after": switched["cursor"]})
            await eventually(lambda: live.feeds.subscribers == 3)
            await keep.patch({"locations": {keep.iva["id"]: "roof"}, "weather": "fog"})
            await keep.patch({"locations": {keep.tam["id"]: "hall"}})

            [fog, moved] = events_of(await bob.next_payloads("again", 2))
            assert fog["payload"]["changes"] == {"weather": "fog"}  # Iva's move redacted
            assert moved["payload"]["changes"] == {"locations": {keep.tam["id"]: "hall"}}
            # the owner's stream and the one through Tam go on as they were
            owner_saw = events_of(await ada.next_payloads("plain", 3))
            assert owner_saw[1]["payload"]["changes"]["locations"] == {keep.iva["id"]: "roof"}
            tam_saw = events_of(await bob_as_tam.next_payloads("tam", 3))
            assert tam_saw[0]["eventType"] == "campaigns.campaign.settings-changed"


async def test_a_player_gaining_a_character_resubscribes_to_see_through_it_too(
    server: LiveServer,
) -> None:
    # given
    keep = await Keep(server.client).set()
    pip = await create_character(keep.client, keep.bob, "Pip", visibility="PUBLIC")
    async with server.ws(keep.bob) as bob, server.ws(keep.cleo) as cleo:
        await bob.subscribe("b", EVENTS, {"id": keep.id})
        await cleo.subscribe("c", EVENTS, {"id": keep.id})
        live = server.app.state.services.live
        await eventually(lambda: live.feeds.subscribers == 2)

        # when
        await keep.client.data(ADD, {"id": keep.id, "c": pip["id"]}, token=keep.bob)

        # then
        [added] = events_of(await bob.next_payloads("b", 1))
        assert added["eventType"] == "campaigns.campaign.character-added"
        assert await error_code(bob, "b") == "VIEWPOINT_CHANGED"
        await bob.subscribe("b2", EVENTS, {"id": keep.id, "after": added["cursor"]})
        await eventually(lambda: live.feeds.subscribers == 2)
        await keep.patch({"locations": {pip["id"]: "attic"}})
        [moved] = events_of(await bob.next_payloads("b2", 1))
        assert moved["payload"]["changes"] == {"locations": {pip["id"]: "attic"}}
        # Cleo's stream is not about Bob's characters: it goes on
        [cleo_added] = events_of(await cleo.next_payloads("c", 1))
        assert cleo_added["cursor"] == added["cursor"]
        await keep.patch({"locations": {keep.iva["id"]: "roof"}})
        [cleo_next] = events_of(await cleo.next_payloads("c", 1))
        assert cleo_next["payload"]["changes"] == {"locations": {keep.iva["id"]: "roof"}}


async def test_the_legacy_protocol_applies_the_same_rules(server: LiveServer) -> None:
    # given
    keep = await Keep(server.client).set()
    async with connect(server.ws_url, subprotocols=["graphql-ws"]) as socket:  # type: ignore[list-item]

        async def receive() -> dict[str, Any]:
            while True:
                message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 10))
                if message["type"] != "ka":
                    return message

        async def start(id: str, variables: dict[str, Any]) -> None:
            payload = {"query": EVENTS, "variables": {"id": keep.id, **variables}}
            await socket.send(json.dumps({"id": id, "type": "start", "payload": payload}))

        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {keep.bob}"}}
        await socket.send(json.dumps(init))
        assert (await receive())["type"] == "connection_ack"

        # when
        await start("iva", {"as": keep.iva["id"]})
        refused = await receive()
        await start("plain", {})
        await eventually(lambda: server.app.state.services.live.feeds.subscribers == 1)
        await keep.patch({"locations": {keep.iva["id"]: "roof"}})
        await keep.patch({"locations": {keep.tam["id"]: "hall"}})
        message = await receive()

    # then
    assert (refused["id"], refused["type"]) == ("iva", "error")
    assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (message["id"], message["type"]) == ("plain", "data")
    changes = message["payload"]["data"]["campaignEvents"]["payload"]["changes"]
    assert changes == {"locations": {keep.tam["id"]: "hall"}}


async def test_the_schema_declares_as_character_on_campaign_events(server: LiveServer) -> None:
    data = await server.client.data(
        '{ __type(name: "Subscription") { fields { name args { name type { name } } } } }'
    )
    [field] = [f for f in data["__type"]["fields"] if f["name"] == "campaignEvents"]
    args = {a["name"]: a["type"]["name"] for a in field["args"]}
    assert args == {"campaignId": None, "after": "String", "asCharacter": "ID"}


@pytest.mark.parametrize("seed", range(2))
async def test_no_marker_a_character_never_perceived_reaches_its_perspective_stream(
    server: LiveServer, seed: int
) -> None:
    # given: a random campaign played for a while, its work after commit done, then a
    # change of the weather everyone perceives, to know where each replay ends
    game = await (await RandomSession(server.client, seed).set()).play_and_return(8)
    engine = server.app.state.engine
    await settled_rows(engine, within=60)
    known = await known_markers(engine, uuid.UUID(game.campaign["id"]))
    data = await server.client.data(
        "query($id: ID!) { campaign(id: $id) { worldVersion } }",
        {"id": game.campaign["id"]},
        token=game.ada,
    )
    version = data["campaign"]["worldVersion"]
    await server.client.data(
        WORLD,
        {"id": game.campaign["id"], "patch": {"weather": "sentinel"}, "v": version},
        token=game.ada,
    )

    def sentinel(event: dict[str, Any]) -> bool:
        return is_world_change(event) and event["payload"]["changes"].get("weather") == "sentinel"

    # when: the owner replays the whole campaign through each character in turn
    leaks, seen_any = [], False
    async with server.ws(game.ada) as ws:
        for character in game.cast:
            variables = {"id": game.campaign["id"], "after": position_cursor(0)}
            await ws.subscribe(character["id"], EVENTS, {**variables, "as": character["id"]})
            through = await until(ws, character["id"], sentinel)
            await ws.send({"id": character["id"], "type": "complete"})
            markers = set(MARKER.findall(json.dumps([e["payload"] for e in through])))
            seen_any = seen_any or bool(markers)
            mine = known.get(character["id"], set())
            leaks += [f"{character['name']} was streamed {m}" for m in markers - mine]

    # then
    assert leaks == []
    assert seen_any


@contextmanager
def reads_of_standing(server: LiveServer) -> Iterator[list[str]]:
    """What the server reads meanwhile to learn who may follow and how they see."""
    engine = server.app.state.engine.sync_engine
    reads: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "campaign_members" in statement or "campaign_characters" in statement:
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield reads
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_crowd_joining_a_quiet_stream_reads_a_standing_once_and_it_lapses_at_the_next_event(
    server: LiveServer,
) -> None:
    # given: an omniscient campaign followed by its owner, and by Vic (a viewer)
    keep = await Keep(server.client).set(perspective="OMNISCIENT")
    live = server.app.state.services.live
    async with server.ws(keep.ada) as ada, server.ws(keep.vic) as vic:
        await ada.subscribe("a", EVENTS, {"id": keep.id})
        await eventually(lambda: live.feeds.following(uuid.UUID(keep.id)) is not None)
        await vic.subscribe("v", EVENTS, {"id": keep.id})
        await eventually(lambda: live.feeds.subscribers == 2)
        await settled_rows(server.app.state.engine)  # no work left that reads the cast

        # when: Vic opens more windows while nothing happens
        async with server.ws(keep.vic) as more:
            with reads_of_standing(server) as reads:
                for n in range(3):
                    await more.subscribe(f"m{n}", EVENTS, {"id": keep.id})
                await eventually(lambda: live.feeds.subscribers == 5)

            # then: who Vic is here, and how Vic sees, is known already
            assert reads == []

        # when: the campaign is now seen through characters
        await keep.perspective("THROUGH_CHARACTERS")
        [switched] = events_of(await vic.next_payloads("v", 1))
        assert switched["eventType"] == "campaigns.campaign.settings-changed"
        assert await error_code(vic, "v") == "VIEWPOINT_CHANGED"
        await eventually(lambda: live.feeds.subscribers == 1)

        # then: what was remembered lapsed with that event; a new window sees as Vic may now
        async with server.ws(keep.vic) as late:
            with reads_of_standing(server) as reads:
                await late.subscribe("late", EVENTS, {"id": keep.id})
                await eventually(lambda: live.feeds.subscribers == 2)
            assert reads != []
            await keep.patch({"weather": "fog", "locations": {keep.tam["id"]: "hall"}})
            [fog] = events_of(await late.next_payloads("late", 1))
            assert fog["payload"]["changes"] == {"weather": "fog"}
