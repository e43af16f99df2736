"""Loaders of the sessions area."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from novel_engine.domain.narration import NarrativeChunk
from novel_engine.domain.session import Session, Turn
from novel_engine.graphql.loaders import ManyEachLoader, OneEachLoader
from novel_engine.persistence.queries import PageKey


class SessionByIdLoader(OneEachLoader[uuid.UUID, Session]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, Session]:
        return await self.queries.sessions_by_ids(keys)


class SessionsByCampaignIdLoader(ManyEachLoader[uuid.UUID, Session]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[Session]]:
        return await self.queries.sessions_by_campaign_ids(keys)


class TurnsByPageLoader(ManyEachLoader[PageKey, Turn]):
    async def fetch(self, keys: Sequence[PageKey]) -> Mapping[PageKey, list[Turn]]:
        return await self.queries.turn_pages(keys)


class ViewpointChunksByTurnIdLoader(ManyEachLoader[uuid.UUID, NarrativeChunk]):
    """The chunks of a turn's tellings from its characters' points of view."""

    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[NarrativeChunk]]:
        return await self.queries.viewpoint_chunks_by_turn_ids(keys)
