"""Read queries: each serves a whole batch of keys in one statement (for dataloaders)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Column, Select, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from novel_engine.domain.campaign import Member
from novel_engine.domain.character import (
    CharacterKind,
    Personality,
    Relationship,
    Skill,
    Visibility,
    is_visible,
)
from novel_engine.domain.development import Development
from novel_engine.domain.events import EventType, StoredEvent
from novel_engine.domain.memory import RetrievalWeights
from novel_engine.domain.narration import NarrativeChunk, Usage
from novel_engine.domain.perception import Perspective
from novel_engine.domain.session import Session, Turn
from novel_engine.domain.story import (
    GenerationStatus,
    Genre,
    StoryEntry,
    StoryLength,
    StoryQuality,
    Tone,
)
from novel_engine.persistence import event_store, rows
from novel_engine.persistence.jobs import JobQueries, JobRecord
from novel_engine.persistence.memories import MemoryReads
from novel_engine.persistence.narration import to_chunk
from novel_engine.persistence.tables import (
    campaign_characters,
    campaign_members,
    campaigns,
    character_relationships,
    character_skills,
    characters,
    events,
    model_calls,
    narrative_chunks,
    sessions,
    stories,
    story_characters,
    story_entries,
    turns,
    users,
)

T = TypeVar("T")


@dataclass(frozen=True)
class UserRecord:
    id: uuid.UUID
    email: str
    display_name: str
    created_at: datetime


@dataclass(frozen=True)
class CharacterRecord:
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    kind: CharacterKind
    personality: Personality
    background: str
    visibility: Visibility
    development: Development | None
    version: int
    created_at: datetime
    updated_at: datetime

    def is_visible_to(self, user_id: uuid.UUID | None) -> bool:
        return is_visible(self.visibility, self.owner_id, user_id)


@dataclass(frozen=True)
class StoryRecord:
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    genre: Genre
    themes: list[str]
    tone: Tone
    visibility: Visibility
    entry_count: int
    content: str | None
    quality: StoryQuality | None
    generation_status: GenerationStatus | None
    generation_error: str | None
    model_used: str | None
    length: StoryLength | None
    prompt: str
    version: int
    created_at: datetime
    updated_at: datetime
    word_count: int | None

    def is_visible_to(self, user_id: uuid.UUID | None) -> bool:
        return is_visible(self.visibility, self.owner_id, user_id)

    @classmethod
    def of(cls, row: Any) -> StoryRecord:
        return cls(**rows.story_fields(row), word_count=row.word_count)


@dataclass(frozen=True)
class CampaignRecord:
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    description: str
    world_state: dict[str, Any]
    world_version: int
    narration_style: str
    perspective: Perspective
    strict_coherence: bool
    forked_from: uuid.UUID | None
    forked_at_event: uuid.UUID | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CastMember:
    """A character of a campaign's cast and who plays it."""

    character_id: uuid.UUID
    owner_id: uuid.UUID
    visibility: Visibility
    ai_controlled: bool

    @property
    def controller(self) -> uuid.UUID | None:
        """The user who plays it: its owner, unless a persona agent plays it."""
        return None if self.ai_controlled else self.owner_id

    def is_visible_to(self, user_id: uuid.UUID | None) -> bool:
        return is_visible(self.visibility, self.owner_id, user_id)


# A page of a list ordered by (created_at, id): start after this key, take this many.
ListKey = tuple[datetime, uuid.UUID]
PageKey = tuple[uuid.UUID, int, int]  # (parent id, after position, limit)
AboutKey = tuple[uuid.UUID, uuid.UUID]  # (stream id, aggregate id)


class ReadQueries:
    def __init__(
        self, engine: AsyncEngine, *, memory_weights: RetrievalWeights | None = None
    ) -> None:
        self._engine = engine
        self._events = event_store.SqlEventReader(engine)
        self.memories = MemoryReads(engine, memory_weights)
        self._jobs = JobQueries(engine)

    async def unfinished_jobs_by_campaign_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[JobRecord]]:
        return await self._jobs.jobs_by_campaign_ids(ids)

    async def _all(self, stmt: Select[Any]) -> Sequence[Any]:
        async with self._engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    async def users_by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, UserRecord]:
        found = await self._all(
            select(users.c.id, users.c.email, users.c.display_name, users.c.created_at).where(
                users.c.id.in_(ids)
            )
        )
        return {r.id: UserRecord(r.id, r.email, r.display_name, r.created_at) for r in found}

    async def characters_by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, CharacterRecord]:
        found = await self._all(select(characters).where(characters.c.id.in_(ids)))
        return {r.id: CharacterRecord(**rows.character_fields(r)) for r in found}

    async def stories_by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StoryRecord]:
        found = await self._all(select(stories).where(stories.c.id.in_(ids)))
        return {r.id: StoryRecord.of(r) for r in found}

    async def campaigns_by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, CampaignRecord]:
        found = await self._all(select(campaigns).where(campaigns.c.id.in_(ids)))
        return {r.id: CampaignRecord(**rows.campaign_fields(r)) for r in found}

    async def skills_by_character_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Skill]]:
        found = await self._all(
            select(character_skills)
            .where(character_skills.c.character_id.in_(ids))
            .order_by(character_skills.c.name)
        )
        return _group(found, "character_id", rows.to_skill)

    async def relationships_by_character_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Relationship]]:
        found = await self._all(
            select(character_relationships).where(character_relationships.c.character_id.in_(ids))
        )
        return _group(found, "character_id", rows.to_relationship)

    async def members_by_campaign_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Member]]:
        found = await self._all(
            select(campaign_members)
            .where(campaign_members.c.campaign_id.in_(ids))
            .order_by(campaign_members.c.joined_at, campaign_members.c.user_id)
        )
        return _group(found, "campaign_id", rows.to_member)

    async def characters_by_story_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[CharacterRecord]]:
        link = story_characters
        found = await self._all(
            select(link.c.story_id, characters)
            .join(characters, characters.c.id == link.c.character_id)
            .where(link.c.story_id.in_(ids))
            .order_by(link.c.story_id, link.c.position)
        )
        return _group(found, "story_id", lambda r: CharacterRecord(**rows.character_fields(r)))

    async def characters_by_campaign_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[CharacterRecord]]:
        link = campaign_characters
        found = await self._all(
            select(link.c.campaign_id, characters)
            .join(characters, characters.c.id == link.c.character_id)
            .where(link.c.campaign_id.in_(ids))
            .order_by(link.c.campaign_id, link.c.position)
        )
        return _group(found, "campaign_id", lambda r: CharacterRecord(**rows.character_fields(r)))

    async def cast_by_campaign_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[CastMember]]:
        link = campaign_characters
        found = await self._all(
            select(
                link.c.campaign_id,
                link.c.character_id,
                link.c.ai_controlled,
                characters.c.owner_id,
                characters.c.visibility,
            )
            .join(characters, characters.c.id == link.c.character_id)
            .where(link.c.campaign_id.in_(ids))
            .order_by(link.c.campaign_id, link.c.position)
        )
        return _group(
            found,
            "campaign_id",
            lambda r: CastMember(
                r.character_id, r.owner_id, Visibility(r.visibility), r.ai_controlled
            ),
        )

    async def story_entry_pages(self, keys: Sequence[PageKey]) -> dict[PageKey, list[StoryEntry]]:
        return await self._numbered_pages(
            story_entries.c.story_id, story_entries.c.sequence, keys, rows.to_story_entry
        )

    async def turn_pages(self, keys: Sequence[PageKey]) -> dict[PageKey, list[Turn]]:
        return await self._numbered_pages(turns.c.session_id, turns.c.number, keys, rows.to_turn)

    async def _numbered_pages(
        self,
        parent: Column[Any],
        number: Column[Any],
        keys: Sequence[PageKey],
        convert: Callable[[Any], T],
    ) -> dict[PageKey, list[T]]:
        """Children numbered 1, 2, 3, ... per parent: each page is a range, and one
        statement serves every parent at once."""
        ranges = [
            and_(parent == parent_id, number > after, number <= after + limit)
            for parent_id, after, limit in keys
        ]
        found = await self._all(select(parent.table).where(or_(*ranges)).order_by(parent, number))
        by_parent = _group(found, parent.name, lambda r: r)
        return {
            (parent_id, after, limit): [
                convert(r)
                for r in by_parent.get(parent_id, [])
                if after < getattr(r, number.name) <= after + limit
            ]
            for parent_id, after, limit in keys
        }

    async def viewpoint_chunks_by_turn_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[NarrativeChunk]]:
        """The chunks of the tellings of turns from their characters' points of view (not
        the omniscient prose), in the order written."""
        found = await self._all(
            select(narrative_chunks)
            .where(narrative_chunks.c.turn_id.in_(ids), narrative_chunks.c.viewpoint != "")
            .order_by(narrative_chunks.c.turn_id, narrative_chunks.c.id)
        )
        return _group(found, "turn_id", to_chunk)

    async def sessions_by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Session]:
        found = await self._all(select(sessions).where(sessions.c.id.in_(ids)))
        return {r.id: Session(**rows.session_fields(r)) for r in found}

    async def sessions_by_campaign_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Session]]:
        found = await self._all(
            select(sessions)
            .where(sessions.c.campaign_id.in_(ids))
            .order_by(sessions.c.campaign_id, sessions.c.number)
        )
        return _group(found, "campaign_id", lambda r: Session(**rows.session_fields(r)))

    async def usage_by_turn_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Usage]:
        return await self._usage(model_calls.c.turn_id, ids)

    async def usage_by_campaign_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Usage]:
        return await self._usage(model_calls.c.campaign_id, ids)

    async def _usage(self, key: Column[Any], ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Usage]:
        """Model usage summed per key; keys without calls are left out. A call counts
        once, by its answering attempt; tokens count on every attempt."""
        found = await self._all(
            select(
                key.label("key"),
                func.count(model_calls.c.answer).label("calls"),
                func.sum(model_calls.c.prompt_tokens).label("prompt_tokens"),
                func.sum(model_calls.c.output_tokens).label("output_tokens"),
            )
            .where(key.in_(ids))
            .group_by(key)
        )
        return {
            r.key: Usage(int(r.calls), int(r.prompt_tokens), int(r.output_tokens)) for r in found
        }

    async def event_pages(self, keys: Sequence[PageKey]) -> dict[PageKey, list[StoredEvent]]:
        return await self._events.read_pages(keys)

    async def events_about(
        self, keys: Sequence[AboutKey], types: Sequence[EventType]
    ) -> dict[AboutKey, list[StoredEvent]]:
        """The events of those types about each (stream, aggregate), e.g. a turn's
        interaction in its campaign's stream, in the order they were written."""
        found = await self._all(
            select(events)
            .where(
                tuple_(events.c.stream_id, events.c.aggregate_id).in_(keys),
                events.c.event_type.in_([t.value for t in types]),
            )
            .order_by(events.c.stream_id, events.c.aggregate_id, events.c.position)
        )
        grouped: dict[AboutKey, list[StoredEvent]] = defaultdict(list)
        for row in found:
            grouped[(row.stream_id, row.aggregate_id)].append(event_store.to_stored_event(row))
        return dict(grouped)

    async def events_by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, StoredEvent]:
        return await self._events.by_ids(ids)

    async def events_by_causation_ids(
        self, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[StoredEvent]]:
        return await self._events.caused_by(ids)

    async def list_characters(
        self, viewer: uuid.UUID | None, after: ListKey | None, limit: int
    ) -> list[CharacterRecord]:
        visible = characters.c.visibility == Visibility.PUBLIC.value
        if viewer is not None:
            visible = or_(visible, characters.c.owner_id == viewer)
        stmt = _page(select(characters).where(visible), characters.c, after, limit)
        return [CharacterRecord(**rows.character_fields(r)) for r in await self._all(stmt)]

    async def list_stories(
        self, viewer: uuid.UUID | None, after: ListKey | None, limit: int
    ) -> list[StoryRecord]:
        visible = stories.c.visibility == Visibility.PUBLIC.value
        if viewer is not None:
            visible = or_(visible, stories.c.owner_id == viewer)
        stmt = _page(select(stories).where(visible), stories.c, after, limit)
        return [StoryRecord.of(r) for r in await self._all(stmt)]

    async def list_campaigns(
        self, viewer: uuid.UUID, after: ListKey | None, limit: int
    ) -> list[CampaignRecord]:
        stmt = select(campaigns).join(
            campaign_members,
            and_(
                campaign_members.c.campaign_id == campaigns.c.id,
                campaign_members.c.user_id == viewer,
            ),
        )
        stmt = _page(stmt, campaigns.c, after, limit)
        return [CampaignRecord(**rows.campaign_fields(r)) for r in await self._all(stmt)]


def _page(stmt: Select[Any], columns: Any, after: ListKey | None, limit: int) -> Select[Any]:
    if after is not None:
        stmt = stmt.where(tuple_(columns.created_at, columns.id) > after)
    return stmt.order_by(columns.created_at, columns.id).limit(limit)


def _group(found: Sequence[Any], key: str, convert: Any) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in found:
        grouped[getattr(row, key)].append(convert(row))
    return dict(grouped)
