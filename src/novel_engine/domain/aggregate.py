"""What every aggregate shares: an identity, a version and the events it records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from novel_engine.domain.actor import Actor
from novel_engine.domain.errors import VersionConflict
from novel_engine.domain.events import AggregateType, DomainEvent, EventType, StreamId, utcnow


@dataclass(kw_only=True)
class Aggregate:
    aggregate_type: ClassVar[AggregateType]

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    version: int = 1
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @property
    def stream(self) -> StreamId:
        return StreamId(self.aggregate_type, self.id)

    def check_version(self, expected: int) -> None:
        if expected != self.version:
            raise VersionConflict(expected, self.version)

    def _touch(self) -> None:
        self.version += 1
        self.updated_at = utcnow()

    def _record(
        self,
        actor: Actor,
        event_type: EventType,
        payload: dict[str, Any],
        *,
        about: tuple[AggregateType, uuid.UUID] | None = None,
        caused_by: DomainEvent | None = None,
    ) -> DomainEvent:
        """Record an event on this aggregate's stream.

        `about` names another aggregate the event is about (an interaction within a
        campaign); `caused_by` is the event this one follows from, else the command.
        """
        aggregate_type, aggregate_id = about or (self.aggregate_type, self.id)
        event = DomainEvent(
            event_type=event_type,
            aggregate_id=aggregate_id,
            aggregate_type=aggregate_type,
            payload=payload,
            user_id=actor.user_id,
            stream=self.stream,
            correlation_id=actor.correlation_id,
            causation_id=(
                caused_by.event_id if caused_by else actor.causation_id or actor.correlation_id
            ),
        )
        self.events.append(event)
        return event
