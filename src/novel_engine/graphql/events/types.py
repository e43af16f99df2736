"""A domain event in the catalog's envelope, with its cursor."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from novel_engine.domain.events import StoredEvent
from novel_engine.graphql.enums import AggregateType
from novel_engine.graphql.pagination import position_cursor


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
        )
