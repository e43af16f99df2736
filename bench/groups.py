"""Fan-out to groups that see different things, to set beside one shared group (the plain
fan-out): the subscribers split evenly over K viewpoints or K documents.

- viewpoints: a THROUGH_CHARACTERS campaign of K characters, each alone at its own
  place; subscriber n follows it `asCharacter` character n mod K (its owner may look
  through any). Each event changes every character's condition: each viewpoint sees its
  own character's only, so every group is sent a different payload.
- documents: the shared campaign, subscriber n subscribing with document n mod K (the
  same fields, chosen or ordered differently).

The peer runs the same split: an `asCharacter` argument filtering the conditions in
each subscriber's generator, or the K documents.
"""

from __future__ import annotations

from typing import Any

import httpx
from fanout import PEER_DOCUMENT, Target, campaign, peer_trigger, world_trigger
from servers import Server, call, sign_up

SELECTIONS = (
    "eventId eventType cursor payload",
    "eventId payload",
    "eventType cursor payload",
    "payload eventId cursor",
    "cursor payload",
    "payload",
)


def conditions(cast: list[str]) -> Any:
    return lambda index: {"i": index, "conditions": dict.fromkeys(cast, f"tired {index}")}


async def ours_viewpoints(
    server: Server, http: httpx.AsyncClient, subscribers: int, groups: int
) -> Target:
    token = await sign_up(http, "Viewpoints")
    campaign_id = await campaign(http, token, "Viewpoints")
    await call(
        http,
        "mutation($c: ID!) { updateCampaignSettings(campaignId: $c, input: "
        "{perspective: THROUGH_CHARACTERS}) { __typename } }",
        token,
        c=campaign_id,
    )
    cast = []
    for n in range(groups):
        made = await call(
            http,
            "mutation($n: String!) { createCharacter(input: {name: $n}) "
            "{ ... on Character { id } ... on Error { code message } } }",
            token,
            n=f"Watcher {n}",
        )
        cast.append(made["createCharacter"]["id"])
        await call(
            http,
            "mutation($c: ID!, $k: ID!) { addCampaignCharacter(campaignId: $c, "
            "characterId: $k) { __typename } }",
            token,
            c=campaign_id,
            k=cast[-1],
        )
    apart = world_trigger(
        http, token, campaign_id, 1, lambda _: {"locations": {c: f"place {c}" for c in cast}}
    )
    await apart(0)
    document = (
        "subscription($c: ID!, $a: ID!) { campaignEvents(campaignId: $c, asCharacter: $a) "
        "{ eventId eventType cursor payload } }"
    )
    return Target(
        server,
        {"Authorization": f"Bearer {token}"},
        [
            {"query": document, "variables": {"c": campaign_id, "a": cast[n % groups]}}
            for n in range(subscribers)
        ],
        world_trigger(http, token, campaign_id, 2, conditions(cast)),
    )


async def ours_documents(
    server: Server, http: httpx.AsyncClient, subscribers: int, groups: int
) -> Target:
    token = await sign_up(http, "Documents")
    campaign_id = await campaign(http, token, "Documents")
    documents = [
        f"subscription($c: ID!) {{ campaignEvents(campaignId: $c) {{ {s} }} }}"
        for s in SELECTIONS[:groups]
    ]
    return Target(
        server,
        {"Authorization": f"Bearer {token}"},
        [
            {"query": documents[n % len(documents)], "variables": {"c": campaign_id}}
            for n in range(subscribers)
        ],
        world_trigger(http, token, campaign_id),
    )


async def peer_viewpoints(
    server: Server, http: httpx.AsyncClient, subscribers: int, groups: int
) -> Target:
    cast = [f"watcher-{n}" for n in range(groups)]
    document = (
        "subscription($a: String) { campaignEvents(asCharacter: $a) "
        "{ eventId eventType cursor payload } }"
    )
    return Target(
        server,
        {},
        [{"query": document, "variables": {"a": cast[n % groups]}} for n in range(subscribers)],
        peer_trigger(http, conditions(cast)),
    )


async def peer_documents(
    server: Server, http: httpx.AsyncClient, subscribers: int, groups: int
) -> Target:
    documents = [PEER_DOCUMENT.replace("eventId eventType cursor payload", s) for s in SELECTIONS]
    return Target(
        server,
        {},
        [{"query": documents[n % groups]} for n in range(subscribers)],
        peer_trigger(http),
    )
