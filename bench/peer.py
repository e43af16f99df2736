"""The peer: a plain Strawberry 0.341 ASGI app, built the obvious way, under uvicorn with
its defaults (its WebSocket implementation, permessage-deflate, access log), no parser
or validation caches.

Subscriptions: an in-memory broadcast that `publish` feeds, one generator (and one
execution and serialization) per subscriber.

    python bench/peer.py PORT
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.asgi import GraphQL
from strawberry.scalars import JSON

LISTENERS: set[asyncio.Queue[dict[str, Any]]] = set()


@strawberry.type
class Event:
    event_id: str
    event_type: str
    cursor: str
    payload: JSON


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Mutation:
    @strawberry.mutation
    def publish(self, payload: JSON) -> bool:
        event = {"event_id": str(uuid.uuid4()), "payload": payload}
        for queue in LISTENERS:
            queue.put_nowait(event)
        return True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def campaign_events(self) -> AsyncGenerator[Event, None]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        LISTENERS.add(queue)
        try:
            while True:
                item = await queue.get()
                yield Event(
                    event_id=item["event_id"],
                    event_type="campaigns.world.state-changed",
                    cursor="x",
                    payload=item["payload"],
                )
        finally:
            LISTENERS.discard(queue)


app = GraphQL(strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription))

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]))
