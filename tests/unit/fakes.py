"""Hand-written in-memory fakes of the domain's ports."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.events import DomainEvent


class FakeRepository:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow
        self.items: dict[uuid.UUID, Any] = {}

    async def add(self, aggregate: Aggregate) -> None:
        self._uow.pending[aggregate.id] = (self, aggregate)

    async def get(self, id: uuid.UUID) -> Any:
        if id not in self.items:
            return None
        loaded = copy.deepcopy(self.items[id])
        self._uow.pending[id] = (self, loaded)
        return loaded

    async def get_many(self, ids: Sequence[uuid.UUID]) -> list[Any]:
        return [copy.deepcopy(self.items[i]) for i in ids if i in self.items]

    async def remove(self, aggregate: Aggregate) -> None:
        self._uow.removed.add(aggregate.id)

    async def get_by_email(self, email: str) -> Any:
        return next((copy.deepcopy(u) for u in self.items.values() if u.email == email), None)


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.characters = FakeRepository(self)
        self.stories = FakeRepository(self)
        self.campaigns = FakeRepository(self)
        self.users = FakeRepository(self)
        self.pending: dict[uuid.UUID, tuple[FakeRepository, Aggregate]] = {}
        self.removed: set[uuid.UUID] = set()
        self.published: list[DomainEvent] = []

    async def __aenter__(self) -> FakeUnitOfWork:
        self.pending, self.removed = {}, set()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pending, self.removed = {}, set()

    async def commit(self) -> list[DomainEvent]:
        events: list[DomainEvent] = []
        for id, (repository, aggregate) in self.pending.items():
            if id in self.removed:
                repository.items.pop(id, None)
            else:
                repository.items[id] = copy.deepcopy(aggregate)
            events.extend(aggregate.events)
            aggregate.events.clear()
        self.published.extend(events)
        return events


class FakeHasher:
    async def hash(self, password: str) -> str:
        return f"hashed:{password}"

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return password_hash == f"hashed:{password}"
