"""Loaders of the events area."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.graphql.loaders import ManyEachLoader
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
