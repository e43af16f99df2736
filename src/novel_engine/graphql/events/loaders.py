"""Loaders of the events area."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from novel_engine.domain.events import StoredEvent
from novel_engine.graphql.loaders import ManyEachLoader
from novel_engine.persistence.queries import PageKey


class EventsByPageLoader(ManyEachLoader[PageKey, StoredEvent]):
    async def fetch(self, keys: Sequence[PageKey]) -> Mapping[PageKey, list[StoredEvent]]:
        return await self.queries.event_pages(keys)
