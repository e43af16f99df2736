"""Loaders of the characters area."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from novel_engine.domain.character import Relationship, Skill
from novel_engine.graphql.loaders import ManyEachLoader, OneEachLoader
from novel_engine.persistence.queries import CharacterRecord


class CharacterByIdLoader(OneEachLoader[uuid.UUID, CharacterRecord]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, CharacterRecord]:
        return await self.queries.characters_by_ids(keys)


class SkillsByCharacterIdLoader(ManyEachLoader[uuid.UUID, Skill]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[Skill]]:
        return await self.queries.skills_by_character_ids(keys)


class RelationshipsByCharacterIdLoader(ManyEachLoader[uuid.UUID, Relationship]):
    async def fetch(self, keys: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, list[Relationship]]:
        return await self.queries.relationships_by_character_ids(keys)
