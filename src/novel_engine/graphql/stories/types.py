"""Stories as the viewer may see them."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from novel_engine.domain import story as domain
from novel_engine.graphql.characters.types import Character, characters_by_ids
from novel_engine.graphql.characters.visibility import visible
from novel_engine.graphql.context import Info
from novel_engine.graphql.enums import (
    GenerationStatus,
    Genre,
    PlotPoint,
    StoryLength,
    Tone,
    Visibility,
)
from novel_engine.graphql.identity.types import User, user_by_id
from novel_engine.graphql.pagination import Connection, connection, position_page
from novel_engine.graphql.stories.loaders import CharactersByStoryIdLoader, StoryEntriesByPageLoader
from novel_engine.persistence.queries import StoryRecord


@strawberry.type
class StoryEvent:
    id: strawberry.ID
    sequence: int
    description: str
    plot_point: PlotPoint | None
    occurred_at: datetime
    character_ids: strawberry.Private[tuple[uuid.UUID, ...]]

    @classmethod
    def from_model(cls, e: domain.StoryEntry) -> StoryEvent:
        return cls(
            id=strawberry.ID(str(e.id)),
            sequence=e.sequence,
            description=e.description,
            plot_point=e.plot_point,
            occurred_at=e.occurred_at,
            character_ids=e.character_ids,
        )

    @strawberry.field
    async def characters(self, info: Info) -> list[Character]:
        return await characters_by_ids(info, list(self.character_ids))


@strawberry.type(description="How well a story is told, each score within 0..1.")
class StoryQuality:
    coherence: float
    engagement: float
    character_development: float
    plot_structure: float
    language_quality: float
    overall: float

    @classmethod
    def from_model(cls, q: domain.StoryQuality) -> StoryQuality:
        return cls(
            coherence=q.coherence,
            engagement=q.engagement,
            character_development=q.character_development,
            plot_structure=q.plot_structure,
            language_quality=q.language_quality,
            overall=q.overall,
        )


@strawberry.type
class Story:
    id: strawberry.ID
    title: str
    genre: Genre
    themes: list[str]
    tone: Tone
    visibility: Visibility
    version: int
    created_at: datetime
    updated_at: datetime
    content: str | None = strawberry.field(
        description="The story's text, once generated or compiled; null until then."
    )
    word_count: int | None
    quality: StoryQuality | None = strawberry.field(
        description="Set once the story's text is assessed; null until then."
    )
    generation_status: GenerationStatus | None = strawberry.field(
        description="GENERATING while the model writes it, then DONE or FAILED; null for "
        "a story told event by event."
    )
    generation_error: str | None = strawberry.field(description="Why generation FAILED.")
    model_used: str | None = strawberry.field(description="The model that wrote it.")
    length: StoryLength | None = strawberry.field(description="The length asked for.")
    uid: strawberry.Private[uuid.UUID]
    owner_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, s: StoryRecord | domain.Story) -> Story:
        return cls(
            id=strawberry.ID(str(s.id)),
            title=s.title,
            genre=s.genre,
            themes=list(s.themes),
            tone=s.tone,
            visibility=s.visibility,
            version=s.version,
            created_at=s.created_at,
            updated_at=s.updated_at,
            content=s.content,
            word_count=s.word_count,
            quality=StoryQuality.from_model(s.quality) if s.quality else None,
            generation_status=s.generation_status,
            generation_error=s.generation_error,
            model_used=s.model_used,
            length=s.length,
            uid=s.id,
            owner_id=s.owner_id,
        )

    @strawberry.field
    async def owner(self, info: Info) -> User | None:
        return await user_by_id(info, self.owner_id)

    @strawberry.field
    async def characters(self, info: Info) -> list[Character]:
        found = await info.context.loader(CharactersByStoryIdLoader).load(self.uid)
        return [Character.from_model(c) for c in visible(info.context, found)]

    @strawberry.field(description="The story's events in the order they were told.")
    async def events(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StoryEvent]:
        loader = info.context.loader(StoryEntriesByPageLoader)
        page = await position_page(loader, self.uid, lambda e: e.sequence, first, after)
        return connection(page, StoryEvent.from_model)


@strawberry.type
class StoryEventAdded:
    story: Story
    event: StoryEvent
