"""Loaders of the campaigns area."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from novel_engine.domain.campaign import Member
from novel_engine.graphql.loaders import ManyEachLoader, OneEachLoader
from novel_engine.persistence.jobs import JobRecord
from novel_engine.persistence.queries import CampaignRecord, CastMember, CharacterRecord


class CampaignByIdLoader(OneEachLoader[uuid.UUID, CampaignRecord]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, CampaignRecord]:
        return await self.queries.campaigns_by_ids(keys)


class MembersByCampaignIdLoader(ManyEachLoader[uuid.UUID, Member]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[Member]]:
        return await self.queries.members_by_campaign_ids(keys)


class CharactersByCampaignIdLoader(ManyEachLoader[uuid.UUID, CharacterRecord]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[CharacterRecord]]:
        return await self.queries.characters_by_campaign_ids(keys)


class UnfinishedJobsByCampaignIdLoader(ManyEachLoader[uuid.UUID, JobRecord]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[JobRecord]]:
        return await self.queries.unfinished_jobs_by_campaign_ids(keys)


class CastByCampaignIdLoader(ManyEachLoader[uuid.UUID, CastMember]):
    """Each campaign's characters and who plays them."""

    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[CastMember]]:
        return await self.queries.cast_by_campaign_ids(keys)
