"""Events on the wire between processes: the envelope and position, as JSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from novel_engine.domain.events import (
    AggregateType,
    DomainEvent,
    EventType,
    StoredEvent,
    StreamId,
)


def _optional_uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


def encode(events: Sequence[StoredEvent]) -> bytes:
    return json.dumps(
        [
            {
                "position": s.position,
                "streamType": s.event.stream.kind.value,
                "streamId": str(s.event.stream.id),
                "eventId": str(s.event.event_id),
                "eventType": s.event.event_type.value,
                "eventVersion": s.event.event_version,
                "aggregateId": str(s.event.aggregate_id),
                "aggregateType": s.event.aggregate_type.value,
                "timestamp": s.event.timestamp.isoformat(),
                "correlationId": str(s.event.correlation_id),
                "causationId": str(s.event.causation_id) if s.event.causation_id else None,
                "userId": str(s.event.user_id) if s.event.user_id else None,
                "payload": s.event.payload,
                "metadata": s.event.metadata,
            }
            for s in events
        ],
        separators=(",", ":"),
    ).encode()


def decode(message: bytes) -> list[StoredEvent]:
    items: list[dict[str, Any]] = json.loads(message)
    return [
        StoredEvent(
            DomainEvent(
                event_type=EventType(item["eventType"]),
                aggregate_id=uuid.UUID(item["aggregateId"]),
                aggregate_type=AggregateType(item["aggregateType"]),
                payload=item["payload"],
                user_id=_optional_uuid(item["userId"]),
                stream=StreamId(AggregateType(item["streamType"]), uuid.UUID(item["streamId"])),
                event_id=uuid.UUID(item["eventId"]),
                event_version=item["eventVersion"],
                timestamp=datetime.fromisoformat(item["timestamp"]),
                correlation_id=uuid.UUID(item["correlationId"]),
                causation_id=_optional_uuid(item["causationId"]),
                metadata=item["metadata"],
            ),
            item["position"],
        )
        for item in items
    ]
