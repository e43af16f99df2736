"""Loaders of the events area."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.graphql.loaders import ManyEachLoader, OneEachLoader
from novel_engine.persistence.queries import AboutKey, PageKey


class EventsByPageLoader(ManyEachLoader[PageKey, StoredEvent]):
    async def fetch(self, keys: Sequence[PageKey]) -> Mapping[PageKey, list[StoredEvent]]:
        return await self.queries.event_pages(keys)


# The events that record one action each: a turn's actions in order, then its reactions.
ACTION_EVENTS = (EventType.ACTION_PERFORMED, EventType.DIALOGUE_EXCHANGED)


class ActionEventsByTurnLoader(ManyEachLoader[AboutKey, StoredEvent]):
    """Keyed by (campaign id, turn id): the turn's action and dialogue events."""

    async def fetch(self, keys: Sequence[AboutKey]) -> Mapping[AboutKey, list[StoredEvent]]:
        return await self.queries.events_about(keys, ACTION_EVENTS)


class EventsByIdLoader(OneEachLoader[uuid.UUID, StoredEvent]):
    """Events by event id (an event's causes)."""

    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, StoredEvent]:
        return await self.queries.events_by_ids(keys)


class EffectsByCauseLoader(ManyEachLoader[uuid.UUID, StoredEvent]):
    """The events each event caused (their causationId is its id)."""

    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[StoredEvent]]:
        return await self.queries.events_by_causation_ids(keys)
