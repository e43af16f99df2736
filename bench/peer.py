"""The peer: a plain Strawberry 0.341 ASGI app, built the obvious way, under uvicorn with
its defaults (its WebSocket implementation, permessage-deflate, access log). Strawberry's
own limits are on (depth, aliases, tokens, masked errors), its parser and validation
caches are not.

- Subscriptions: an in-memory broadcast that `publish` feeds, one generator (and one
  execution and serialization) per subscriber. With `asCharacter`, a subscriber sees of
  a change's `conditions` only that character's, as a per-viewer stream would.
- `viewer`: the bearer token verified (HS256 JWT, as ours) and its user looked up in memory.
- `campaigns(first)`: campaigns with members, characters and skills, the shape ours
  serves, from memory: no database at all, so what it costs is Strawberry alone.

    python bench/peer.py PORT SECRET
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import jwt
import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.scalars import JSON

LISTENERS: set[asyncio.Queue[dict[str, Any]]] = set()
SECRET = sys.argv[2] if len(sys.argv) > 2 else ""
# The fixture ours is given too (bench/http.py): users, and campaigns with 2 members
# and 3 characters of 3 skills each.
CAMPAIGNS = 100


@strawberry.type
class User:
    id: strawberry.ID
    display_name: str


@strawberry.type
class Skill:
    name: str
    level: int


@strawberry.type
class Character:
    id: strawberry.ID
    name: str
    skills: list[Skill]


@strawberry.type
class Member:
    role: str
    user: User


@strawberry.type
class Campaign:
    id: strawberry.ID
    name: str
    members: list[Member]
    characters: list[Character]


@strawberry.type
class Edge:
    cursor: str
    node: Campaign


@strawberry.type
class CampaignConnection:
    edges: list[Edge]


USERS = {
    str(uuid.UUID(int=n)): User(id=str(uuid.UUID(int=n)), display_name=f"U{n}") for n in (1, 2)
}
CAST = [
    Character(
        id=str(uuid.uuid4()),
        name=f"Hero {n}",
        skills=[Skill(name=f"skill {s}", level=s) for s in range(3)],
    )
    for n in range(3)
]
ALL = [
    Campaign(
        id=str(uuid.uuid4()),
        name=f"Campaign {n}",
        members=[
            Member(role="OWNER", user=USERS[str(uuid.UUID(int=1))]),
            Member(role="VIEWER", user=USERS[str(uuid.UUID(int=2))]),
        ],
        characters=CAST,
    )
    for n in range(CAMPAIGNS)
]


@strawberry.type
class Event:
    event_id: str
    event_type: str
    cursor: str
    payload: JSON


@strawberry.type
class Query:
    @strawberry.field
    def viewer(self, info: strawberry.Info) -> User | None:
        header = info.context["request"].headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        return USERS.get(claims["sub"])

    @strawberry.field
    def campaigns(self, first: int = 10) -> CampaignConnection:
        return CampaignConnection(edges=[Edge(cursor=c.id, node=c) for c in ALL[:first]])


@strawberry.type
class Mutation:
    @strawberry.mutation
    def publish(self, payload: JSON) -> bool:
        event = {"event_id": str(uuid.uuid4()), "payload": payload}
        for queue in LISTENERS:
            queue.put_nowait(event)
        return True


def seen_by(payload: dict[str, Any], character: str | None) -> dict[str, Any]:
    changes = payload.get("changes") or {}
    if character is None or "conditions" not in changes:
        return payload
    mine = {k: v for k, v in changes["conditions"].items() if k == character}
    return {**payload, "changes": {**changes, "conditions": mine}}


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def campaign_events(self, as_character: str | None = None) -> AsyncGenerator[Event, None]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        LISTENERS.add(queue)
        try:
            while True:
                item = await queue.get()
                yield Event(
                    event_id=item["event_id"],
                    event_type="campaigns.world.state-changed",
                    cursor="x",
                    payload=seen_by(item["payload"], as_character),
                )
        finally:
            LISTENERS.discard(queue)


app = GraphQL(
    strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            QueryDepthLimiter(max_depth=12),
            MaxAliasesLimiter(max_alias_count=30),
            MaxTokensLimiter(max_token_count=5000),
            MaskErrors(),
        ],
    )
)

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]))
