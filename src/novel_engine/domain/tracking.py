"""What one unit of work has handed out, and what its commit must write back.

The SQL repositories and the unit tests' in-memory fakes both build on this, so they
agree on which aggregates a commit writes, in which order, and which version a write
must still find in storage (the one loaded) for no other writer's change to be lost.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.events import DomainEvent

A = TypeVar("A", bound=Aggregate)


class Tracker:
    """The aggregates one unit of work loaded or added, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[Aggregate, TrackingRepository[Any]]] = []
        self.new: set[uuid.UUID] = set()
        self.removed: set[uuid.UUID] = set()
        self.loaded_versions: dict[uuid.UUID, int] = {}

    def changed(self, aggregate: Aggregate) -> bool:
        return (
            bool(aggregate.events)
            or aggregate.id in self.new
            or aggregate.id in self.removed
            or self.loaded_versions.get(aggregate.id) != aggregate.version
        )

    async def write_back(self) -> list[DomainEvent]:
        """Persist every changed aggregate, in the order they were seen; return the
        events they recorded, in that order, for the commit to append."""
        pending: list[DomainEvent] = []
        for aggregate, repository in self.seen:
            if self.changed(aggregate):
                await repository.persist(aggregate)
                pending.extend(aggregate.events)
        return pending

    def committed(self) -> None:
        """The commit went through: the recorded events are history now."""
        for aggregate, _ in self.seen:
            aggregate.events.clear()

    def is_new(self, aggregate: Aggregate) -> bool:
        return aggregate.id in self.new

    def is_removed(self, aggregate: Aggregate) -> bool:
        return aggregate.id in self.removed

    def loaded_version(self, aggregate: Aggregate) -> int:
        """The version storage held when this unit of work loaded `aggregate`."""
        return self.loaded_versions[aggregate.id]


class TrackingRepository(ABC, Generic[A]):
    """What every repository shares: it tells its unit of work what it handed out."""

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker

    def _track(self, aggregate: A, *, new: bool = False) -> None:
        self._tracker.seen.append((aggregate, self))
        if new:
            self._tracker.new.add(aggregate.id)
        else:
            self._tracker.loaded_versions[aggregate.id] = aggregate.version

    async def add(self, aggregate: A) -> None:
        self._track(aggregate, new=True)

    def _remove(self, aggregate: A) -> None:
        self._tracker.removed.add(aggregate.id)

    @abstractmethod
    async def persist(self, aggregate: A) -> None:
        """Write `aggregate` back: insert it, update it if storage still holds the version
        loaded (else raise VersionConflict), or delete it if it was removed."""
