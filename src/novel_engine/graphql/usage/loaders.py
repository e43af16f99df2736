"""Loaders of model usage: one statement for every turn (or campaign) of a level."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from novel_engine.domain.narration import Usage
from novel_engine.graphql.loaders import Loader


class UsageByTurnIdLoader(Loader[uuid.UUID, Usage]):
    async def load_batch(self, keys: list[uuid.UUID]) -> list[Usage]:
        return _each(keys, await self.queries.usage_by_turn_ids(keys))


class UsageByCampaignIdLoader(Loader[uuid.UUID, Usage]):
    async def load_batch(self, keys: list[uuid.UUID]) -> list[Usage]:
        return _each(keys, await self.queries.usage_by_campaign_ids(keys))


def _each(keys: Sequence[uuid.UUID], found: Mapping[uuid.UUID, Usage]) -> list[Usage]:
    """In key order; no calls is a usage of zero, not a missing one."""
    return [found.get(key, Usage()) for key in keys]
