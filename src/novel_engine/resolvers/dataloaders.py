"""Per-operation dataloaders: one batched statement per relation level, results in key order."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from strawberry.dataloader import DataLoader

from novel_engine.domain.campaign import Member
from novel_engine.domain.character import Relationship, Skill
from novel_engine.domain.events import StoredEvent
from novel_engine.domain.session import Session, Turn
from novel_engine.domain.story import StoryEntry
from novel_engine.persistence.queries import (
    CampaignRecord,
    CharacterRecord,
    PageKey,
    ReadQueries,
    StoryRecord,
    UserRecord,
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one_each(
    fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]],
) -> DataLoader[K, V | None]:
    async def load(keys: list[K]) -> list[V | None]:
        found = await fetch(keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _many_each(
    fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, list[V]]]],
) -> DataLoader[K, list[V]]:
    async def load(keys: list[K]) -> list[list[V]]:
        found = await fetch(keys)
        return [found.get(key, []) for key in keys]

    return DataLoader(load_fn=load)


@dataclass(frozen=True)
class Loaders:
    user_by_id: DataLoader[uuid.UUID, UserRecord | None]
    character_by_id: DataLoader[uuid.UUID, CharacterRecord | None]
    story_by_id: DataLoader[uuid.UUID, StoryRecord | None]
    campaign_by_id: DataLoader[uuid.UUID, CampaignRecord | None]
    skills_by_character_id: DataLoader[uuid.UUID, list[Skill]]
    relationships_by_character_id: DataLoader[uuid.UUID, list[Relationship]]
    members_by_campaign_id: DataLoader[uuid.UUID, list[Member]]
    characters_by_story_id: DataLoader[uuid.UUID, list[CharacterRecord]]
    characters_by_campaign_id: DataLoader[uuid.UUID, list[CharacterRecord]]
    story_entries_by_page: DataLoader[PageKey, list[StoryEntry]]
    events_by_page: DataLoader[PageKey, list[StoredEvent]]
    session_by_id: DataLoader[uuid.UUID, Session | None]
    sessions_by_campaign_id: DataLoader[uuid.UUID, list[Session]]
    turns_by_page: DataLoader[PageKey, list[Turn]]

    @classmethod
    def create(cls, queries: ReadQueries) -> Loaders:
        return cls(
            user_by_id=_one_each(queries.users_by_ids),
            character_by_id=_one_each(queries.characters_by_ids),
            story_by_id=_one_each(queries.stories_by_ids),
            campaign_by_id=_one_each(queries.campaigns_by_ids),
            skills_by_character_id=_many_each(queries.skills_by_character_ids),
            relationships_by_character_id=_many_each(queries.relationships_by_character_ids),
            members_by_campaign_id=_many_each(queries.members_by_campaign_ids),
            characters_by_story_id=_many_each(queries.characters_by_story_ids),
            characters_by_campaign_id=_many_each(queries.characters_by_campaign_ids),
            story_entries_by_page=_many_each(queries.story_entry_pages),
            events_by_page=_many_each(queries.event_pages),
            session_by_id=_one_each(queries.sessions_by_ids),
            sessions_by_campaign_id=_many_each(queries.sessions_by_campaign_ids),
            turns_by_page=_many_each(queries.turn_pages),
        )
