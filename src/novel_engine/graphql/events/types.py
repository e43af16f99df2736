"""A domain event in the catalog's envelope, with its cursor."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from novel_engine.domain.events import StoredEvent
from novel_engine.graphql.context import Info, RequestContext
from novel_engine.graphql.enums import AggregateType
from novel_engine.graphql.events.loaders import EffectsByCauseLoader, EventsByIdLoader
from novel_engine.graphql.events.seeing import seen_in_its_campaign
from novel_engine.graphql.pagination import position_cursor

IMPACT_DEPTH = 6  # levels of effects narrativeImpact walks
IMPACT_DECAY = 0.5  # what each level further down counts for, relative to the one above


@strawberry.type
class DomainEvent:
    event_id: strawberry.ID
    event_type: str
    event_version: str
    aggregate_id: strawberry.ID
    aggregate_type: AggregateType
    timestamp: datetime
    correlation_id: strawberry.ID
    causation_id: strawberry.ID | None
    user_id: strawberry.ID | None
    payload: JSON
    metadata: JSON
    cursor: str = strawberry.field(description="Pass as `after` to continue after this event.")
    stored: strawberry.Private[StoredEvent]

    @classmethod
    def from_model(cls, stored: StoredEvent) -> DomainEvent:
        e = stored.event
        return cls(
            event_id=strawberry.ID(str(e.event_id)),
            event_type=e.event_type.value,
            event_version=e.event_version,
            aggregate_id=strawberry.ID(str(e.aggregate_id)),
            aggregate_type=e.aggregate_type,
            timestamp=e.timestamp,
            correlation_id=strawberry.ID(str(e.correlation_id)),
            causation_id=strawberry.ID(str(e.causation_id)) if e.causation_id else None,
            user_id=strawberry.ID(str(e.user_id)) if e.user_id else None,
            payload=JSON(e.payload),
            metadata=JSON(e.metadata),
            cursor=position_cursor(stored.position),
            stored=stored,
        )

    @strawberry.field(
        description="The event this one follows from (its causationId), when it is an event "
        "you may see: a reaction's cause is the event it answers, an action's the turn it "
        "belongs to."
    )
    async def causes(self, info: Info) -> list[DomainEvent]:
        cause_id = self.stored.event.causation_id
        found = await info.context.loader(EventsByIdLoader).load(cause_id) if cause_id else None
        seen = await seen_in_its_campaign(info.context, found) if found else None
        return [DomainEvent.from_model(seen)] if seen else []

    @strawberry.field(
        description="The events that follow from this one (their causationId is its eventId) "
        "that you may see, in order."
    )
    async def effects(self, info: Info) -> list[DomainEvent]:
        found = await effects_seen(info.context, [self.stored])
        return [DomainEvent.from_model(e) for e in found]

    @strawberry.field(
        description="How much of the story follows from this event, from 0 (nothing) toward "
        "1: 1 - exp(-sum over the effects you may see, down to 6 levels, of 0.5^(level-1))."
    )
    async def narrative_impact(self, info: Info) -> float | None:
        return await narrative_impact(info.context, self.stored)


async def effects_seen(ctx: RequestContext, causes: list[StoredEvent]) -> list[StoredEvent]:
    """The effects of all `causes` the viewer may see, one batched read for the level."""
    found = await ctx.loader(EffectsByCauseLoader).load_many([c.event.event_id for c in causes])
    effects = [e for level in found for e in level]
    seen = await asyncio.gather(*(seen_in_its_campaign(ctx, e) for e in effects))
    return [e for e in seen if e is not None]


async def narrative_impact(ctx: RequestContext, stored: StoredEvent) -> float:
    """Walk the effects breadth-first, a level at a time: each descendant at level d
    counts IMPACT_DECAY^(d-1); the sum s scores 1 - exp(-s), rounded to 4 places. Only
    effects the viewer may see count, and the walk goes on only through them."""
    total = 0.0
    visited = {stored.event.event_id}
    level = [stored]
    for depth in range(1, IMPACT_DEPTH + 1):
        level = [e for e in await effects_seen(ctx, level) if e.event.event_id not in visited]
        if not level:
            break
        visited.update(e.event.event_id for e in level)
        total += len(level) * IMPACT_DECAY ** (depth - 1)
    return round(1 - math.exp(-total), 4)
