"""Per-operation dataloaders: one batched statement per relation level, results in key order.

Each area declares its own loaders (`CharacterByIdLoader`, `MembersByCampaignIdLoader`,
...) as subclasses of `OneEachLoader` or `ManyEachLoader`. The request context makes a
loader on first use and keeps it for the rest of the operation, so adding a loader
touches only its area.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from typing import Generic, TypeVar

from strawberry.dataloader import DataLoader

from novel_engine.persistence.queries import ReadQueries

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loader(DataLoader[K, V], ABC):
    """A batch loader living for one operation, so it never serves what another request
    changed since."""

    def __init__(self, queries: ReadQueries) -> None:
        super().__init__(load_fn=self.load_batch)
        self.queries = queries

    @abstractmethod
    async def load_batch(self, keys: list[K]) -> list[V]:
        """One value per key, in key order."""


class OneEachLoader(Loader[K, V | None], Generic[K, V]):
    """At most one value per key (an entity by its id); None where there is none."""

    @abstractmethod
    async def fetch(self, keys: Sequence[K]) -> Mapping[K, V]:
        """The values found, by key."""

    async def load_batch(self, keys: list[K]) -> list[V | None]:
        found = await self.fetch(keys)
        return [found.get(key) for key in keys]


class ManyEachLoader(Loader[K, list[V]], Generic[K, V]):
    """A list per key (the skills of a character); empty where there is none."""

    @abstractmethod
    async def fetch(self, keys: Sequence[K]) -> Mapping[K, list[V]]:
        """The lists found, by key."""

    async def load_batch(self, keys: list[K]) -> list[list[V]]:
        found = await self.fetch(keys)
        return [found.get(key, []) for key in keys]
