"""Loaders of the stories area."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from novel_engine.domain.story import StoryEntry
from novel_engine.graphql.loaders import ManyEachLoader, OneEachLoader
from novel_engine.persistence.queries import CharacterRecord, PageKey, StoryRecord


class StoryByIdLoader(OneEachLoader[uuid.UUID, StoryRecord]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, StoryRecord]:
        return await self.queries.stories_by_ids(keys)


class CharactersByStoryIdLoader(ManyEachLoader[uuid.UUID, CharacterRecord]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[CharacterRecord]]:
        return await self.queries.characters_by_story_ids(keys)


class StoryEntriesByPageLoader(ManyEachLoader[PageKey, StoryEntry]):
    async def fetch(self, keys: Sequence[PageKey]) -> Mapping[PageKey, list[StoryEntry]]:
        return await self.queries.story_entry_pages(keys)
