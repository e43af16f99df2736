"""Two `novel-engine serve` processes sharing PostgreSQL and Redis: co-authors on
different processes see each other's turns and presence live."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from tests.databases import empty
from tests.e2e.server import clean_env, running_server
from tests.live_server import GraphQLWS
from tests.redis_servers import shared_redis_url

pytestmark = pytest.mark.e2e

SIGN_UP = """
mutation($e: String!, $n: String!) {
  signUp(input: {email: $e, password: "correct horse", displayName: $n}) {
    ... on AuthPayload { token }
  }
}
"""
PRESENCE = "subscription($c: ID!) { presence(campaignId: $c) { online { displayName } } }"
EVENTS = "subscription($c: ID!) { campaignEvents(campaignId: $c) { eventType correlationId } }"
SUBMIT_TURN = """
mutation($s: ID!, $t: ID!) {
  submitTurn(sessionId: $s, input: {actions: [{characterId: $t, kind: MOVE, intent: "the pier"}]}) {
    ... on Turn { correlationId }
  }
}
"""


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> Any:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def signed_up(url: str, name: str) -> tuple[httpx.AsyncClient, str]:
    """A client for a new user `name` on the server at `url`, and the user's token."""
    client = httpx.AsyncClient(base_url=url, timeout=30)
    data = await post(client, SIGN_UP, {"e": f"{name.lower()}@example.com", "n": name})
    token: str = data["signUp"]["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client, token


async def graphql_ws(url: str, token: str) -> tuple[Any, GraphQLWS]:
    raw = await connect(
        url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
    )
    ws = GraphQLWS(raw)
    await ws.init(token)
    return raw, ws


async def presence_until(ws: GraphQLWS, wanted: set[str]) -> set[str]:
    while True:
        message = await ws.receive(within=15)
        if message.get("id") != "p":
            continue
        online = {u["displayName"] for u in message["payload"]["data"]["presence"]["online"]}
        if online == wanted:
            return online


async def test_two_processes_one_campaign(tmp_path: Path, postgres_url: str) -> None:
    # given: two server processes on one database and one Redis
    await empty(postgres_url)
    env = clean_env(
        NOVEL_ENGINE_DATABASE_URL=postgres_url,
        NOVEL_ENGINE_REDIS_URL=shared_redis_url(),
        NOVEL_ENGINE_SECRET_KEY="e2e-secret-key-that-is-long-enough-for-hs256",
    )
    with running_server(tmp_path, env) as url_a, running_server(tmp_path, env) as url_b:
        ada_http, ada = await signed_up(url_a, "Ada")
        bob_http, bob = await signed_up(url_b, "Bob")
        async with contextlib.AsyncExitStack() as clients:
            clients.push_async_callback(ada_http.aclose)
            clients.push_async_callback(bob_http.aclose)
            created = await post(
                ada_http,
                'mutation { createCampaign(input: {name: "Two"}) { ... on Campaign { id } } }',
            )
            campaign = created["createCampaign"]["id"]
            await post(
                ada_http,
                "mutation($c: ID!) { addCampaignMember(campaignId: $c, "
                'email: "bob@example.com", role: COAUTHOR) { __typename } }',
                {"c": campaign},
            )
            made = await post(
                bob_http,
                'mutation { createCharacter(input: {name: "Tam"}) { ... on Character { id } } }',
            )
            tam = made["createCharacter"]["id"]
            await post(
                bob_http,
                "mutation($c: ID!, $t: ID!) { "
                "addCampaignCharacter(campaignId: $c, characterId: $t) { __typename } }",
                {"c": campaign, "t": tam},
            )
            started = await post(
                ada_http,
                "mutation($c: ID!) { startSession(campaignId: $c) { ... on Session { id } } }",
                {"c": campaign},
            )
            session = started["startSession"]["id"]

            # Ada follows the campaign on process A
            ada_raw, ada_ws = await graphql_ws(url_a, ada)
            try:
                await ada_ws.subscribe("p", PRESENCE, {"c": campaign})
                assert await presence_until(ada_ws, {"Ada"}) == {"Ada"}
                await ada_ws.subscribe("e", EVENTS, {"c": campaign})

                # when: Bob comes online on process B and plays a turn there
                bob_raw, bob_ws = await graphql_ws(url_b, bob)
                try:
                    await bob_ws.subscribe("p", PRESENCE, {"c": campaign})
                    assert await presence_until(ada_ws, {"Ada", "Bob"}) == {"Ada", "Bob"}
                    await asyncio.sleep(0.3)
                    turn = await post(bob_http, SUBMIT_TURN, {"s": session, "t": tam})
                    correlation = turn["submitTurn"]["correlationId"]

                    # then: Ada sees the whole turn live, in order
                    types = []
                    while len(types) < 4:
                        message = await ada_ws.receive(within=15)
                        if message.get("id") != "e":
                            continue
                        event = message["payload"]["data"]["campaignEvents"]
                        assert event["correlationId"] == correlation
                        types.append(event["eventType"])
                    assert types == [
                        "interactions.interaction.initiated",
                        "interactions.action.performed",
                        "campaigns.world.state-changed",
                        "interactions.interaction.resolved",
                    ]
                finally:
                    await bob_raw.close()

                # and: Bob leaving process B is seen on process A
                assert await presence_until(ada_ws, {"Ada"}) == {"Ada"}
            finally:
                await ada_raw.close()
