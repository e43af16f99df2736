"""What every resolver gets: who is asking, the loaders of this operation, and the ports."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from novel_engine.domain.actor import Actor
from novel_engine.domain.ports import PasswordHasher, UnitOfWork
from novel_engine.persistence.queries import ReadQueries
from novel_engine.resolvers.dataloaders import Loaders
from novel_engine.subscriptions.live import LiveEvents
from novel_engine.subscriptions.presence import Presence


class TokenIssuer(Protocol):
    def issue(self, user_id: uuid.UUID) -> str: ...


@dataclass(frozen=True)
class Services:
    """Long-lived collaborators, built once by the composition root."""

    unit_of_work: Callable[[], UnitOfWork]
    queries: ReadQueries
    hasher: PasswordHasher
    tokens: TokenIssuer
    live: LiveEvents
    presence: Presence


@dataclass
class RequestContext:
    services: Services
    user_id: uuid.UUID | None
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    operation_name_given: bool = True
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders.create(self.services.queries)

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.correlation_id)

    def uow(self) -> UnitOfWork:
        return self.services.unit_of_work()
