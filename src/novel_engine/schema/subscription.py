"""Root subscriptions."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from novel_engine.resolvers import live
from novel_engine.schema.types import DomainEvent, Info


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="A campaign's events, members only. With `after` (a cursor from an "
        "earlier event), every later event is first replayed from the event store, in "
        "order, then the stream continues live with no gap and no duplicate."
    )
    async def campaign_events(
        self, info: Info, campaign_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[DomainEvent, None]:
        stream_id, position = await live.open_campaign_events(info.context, campaign_id, after)
        async for stored in info.context.services.live.events(stream_id, position):
            yield DomainEvent.from_model(stored)
