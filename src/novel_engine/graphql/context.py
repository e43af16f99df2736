"""What every resolver gets: who is asking, the loaders of this operation, and the ports."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import strawberry

from novel_engine.domain.actor import Actor
from novel_engine.domain.events import StoredEvent
from novel_engine.domain.ports import PasswordHasher, UnitOfWork
from novel_engine.domain.principal import Principal
from novel_engine.graphql.loaders import Loader
from novel_engine.persistence.queries import ReadQueries
from novel_engine.subscriptions.live import LiveEvents
from novel_engine.subscriptions.narrative import NarrativeFeeds
from novel_engine.subscriptions.presence import Presence

if TYPE_CHECKING:
    from novel_engine.graphql.events.seeing import Viewpoint

L = TypeVar("L", bound=Loader[Any, Any])


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
    narrative: NarrativeFeeds
    # A unit of work that only reads: no write lock, no commit.
    reading: Callable[[], UnitOfWork]


@dataclass(frozen=True)
class LiveView:
    """What a live group sees while one of its events is rendered: the campaign it
    follows, through its viewpoint (the events it reaches, such as causes, too)."""

    campaign_id: uuid.UUID
    perceive: Callable[[StoredEvent], StoredEvent | None]


@dataclass
class RequestContext:
    """One operation's context (one event's, for a fanned-out subscription)."""

    services: Services
    principal: Principal | None = None
    # Labels the request in logs (an HTTP client may choose it); never a correlation id.
    request_tag: str | None = None
    operation_name_given: bool = True
    # How this operation sees each campaign, once decided (`graphql.events.seeing`); a
    # live group's per-event context starts with its group's.
    viewpoints: dict[uuid.UUID, Viewpoint] = field(default_factory=dict)
    # Set for an event rendered for a live group, which has no viewer of its own.
    live_view: LiveView | None = None
    _loaders: dict[type[Loader[Any, Any]], Loader[Any, Any]] = field(
        default_factory=dict, init=False, repr=False
    )

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.principal.user_id if self.principal else None

    def loader(self, kind: type[L]) -> L:
        """This operation's loader of that kind, made on first use."""
        found = self._loaders.get(kind)
        if found is None:
            found = self._loaders[kind] = kind(self.services.queries)
        return cast(L, found)

    def actor(self) -> Actor:
        """Who runs a command. Every command gets a correlation id of its own, made here:
        nothing a client sends can tie its events to another command's."""
        return Actor(self.user_id, uuid.uuid4())

    def uow(self) -> UnitOfWork:
        return self.services.unit_of_work()


Info = strawberry.Info[RequestContext, None]
