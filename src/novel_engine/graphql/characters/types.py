"""Characters as the viewer may see them."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from novel_engine.domain import character as domain
from novel_engine.graphql.characters.loaders import (
    RelationshipsByCharacterIdLoader,
    SkillsByCharacterIdLoader,
)
from novel_engine.graphql.characters.memories import Memory
from novel_engine.graphql.characters.memories import memories as character_memories
from novel_engine.graphql.characters.visibility import visible_by_ids
from novel_engine.graphql.context import Info
from novel_engine.graphql.enums import CharacterKind, RelationshipType, Visibility
from novel_engine.graphql.identity.types import User, user_by_id
from novel_engine.graphql.pagination import Connection
from novel_engine.persistence.queries import CharacterRecord


@strawberry.type
class Personality:
    openness: float
    conscientiousness: float
    extraversion: float
    agreeableness: float
    neuroticism: float


@strawberry.type(description="How play has changed a character's personality.")
class CharacterDevelopment:
    baseline: Personality = strawberry.field(
        description="The personality when the character first developed in play (or "
        "when its owner last set it); play drifts at most 0.25 from it per trait."
    )
    drift: Personality = strawberry.field(
        description="How far each trait now stands from the baseline (current minus "
        "baseline, negative when it fell)."
    )


@strawberry.type
class Skill:
    name: str
    level: int


@strawberry.type
class Character:
    id: strawberry.ID
    name: str
    kind: CharacterKind
    personality: Personality
    background: str
    visibility: Visibility
    development: CharacterDevelopment | None = strawberry.field(
        description="How play has changed its personality; null until it first plays."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    uid: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, c: CharacterRecord | domain.Character) -> Character:
        return cls(
            id=strawberry.ID(str(c.id)),
            name=c.name,
            kind=c.kind,
            personality=Personality(**c.personality.as_dict()),
            background=c.background,
            visibility=c.visibility,
            development=_development(c),
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
            uid=c.id,
            owner_id=c.owner_id,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await user_by_id(info, self.owner_id)

    @strawberry.field
    async def skills(self, info: Info) -> list[Skill]:
        found = await info.context.loader(SkillsByCharacterIdLoader).load(self.uid)
        return [Skill(name=s.name, level=s.level) for s in found]

    @strawberry.field(
        description="What the character remembers: with `query`, ranked by recency, "
        "relevance and importance; without, newest first. Readable by its player, the "
        "campaign's OWNER and GAMEMASTER, and any member of an OMNISCIENT campaign; "
        "without `campaignId`, every campaign it is cast in that you may read."
    )
    async def memories(
        self,
        info: Info,
        query: str | None = None,
        campaign_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Memory]:
        return await character_memories(info, self.uid, query, campaign_id, first, after)

    @strawberry.field
    async def relationships(self, info: Info) -> list[Relationship]:
        # Only relationships whose other side the viewer may see.
        found = await info.context.loader(RelationshipsByCharacterIdLoader).load(self.uid)
        others = {
            c.id: c
            for c in await visible_by_ids(info.context, [r.related_character_id for r in found])
        }
        return [
            Relationship(
                type=r.type,
                strength=r.strength,
                context=r.context,
                character=Character.from_model(others[r.related_character_id]),
            )
            for r in found
            if r.related_character_id in others
        ]


def _development(c: CharacterRecord | domain.Character) -> CharacterDevelopment | None:
    if c.development is None:
        return None
    return CharacterDevelopment(
        baseline=Personality(**c.development.baseline),
        drift=Personality(**c.development.drift(c.personality.as_dict())),
    )


async def characters_by_ids(info: Info, ids: list[uuid.UUID]) -> list[Character]:
    """The characters the viewer may see, by id, in order."""
    return [Character.from_model(c) for c in await visible_by_ids(info.context, ids)]


@strawberry.type
class Relationship:
    type: RelationshipType
    strength: float
    context: str
    character: Character


@strawberry.type
class DeletedCharacter:
    id: strawberry.ID
