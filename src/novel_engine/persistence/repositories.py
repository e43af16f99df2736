"""Aggregates loaded for change and written back when the unit of work commits.

Every write of a loaded aggregate's row says `WHERE id = :id AND version = :loaded`: a
row another writer changed since it was loaded (with or without a lock) is never
overwritten; the commit fails with VersionConflict and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, NoReturn, TypeVar

from sqlalchemy import Column, ColumnElement, Select, Table, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.campaign import Campaign, Member
from novel_engine.domain.character import (
    PERSONALITY_EVENTS,
    Character,
    Personality,
    recorded_personality,
)
from novel_engine.domain.errors import EmailTaken, NotFound, VersionConflict
from novel_engine.domain.session import Session, SessionStatus, Turn
from novel_engine.domain.story import Story
from novel_engine.domain.tracking import Tracker, TrackingRepository
from novel_engine.domain.user import User
from novel_engine.persistence import rows
from novel_engine.persistence.engine import is_writer
from novel_engine.persistence.event_store import to_stored_event
from novel_engine.persistence.tables import (
    campaign_characters,
    campaign_members,
    campaigns,
    character_relationships,
    character_skills,
    characters,
    events,
    sessions,
    stories,
    story_characters,
    story_entries,
    turns,
    users,
)

__all__ = [
    "SqlCampaignRepository",
    "SqlCharacterRepository",
    "SqlSessionRepository",
    "SqlStoryRepository",
    "SqlUserRepository",
    "Tracker",
]

A = TypeVar("A", bound=Aggregate)


class _Repository(TrackingRepository[A]):
    table: ClassVar[Table]

    def __init__(self, conn: AsyncConnection, tracker: Tracker) -> None:
        super().__init__(tracker)
        self._conn = conn

    def _for_update(self, stmt: Select[Any]) -> Select[Any]:
        # SQLite ignores FOR UPDATE; its writers are serialized by BEGIN IMMEDIATE.
        # A statement locks its rows in id order, so two writers locking overlapping sets
        # (the campaigns that cast a character, say) never wait on each other in a cycle.
        # A reader's connection (a read-only unit of work) locks nothing.
        ordered = stmt.order_by(self.table.c.id)
        return ordered.with_for_update() if is_writer(self._conn) else ordered

    async def _insert(self, aggregate: A, values: dict[str, Any]) -> None:
        await self._conn.execute(self.table.insert().values(id=aggregate.id, **values))

    async def _update(self, aggregate: A, values: dict[str, Any]) -> None:
        """Write the row back if it still holds the version this unit of work loaded."""
        loaded = self._tracker.loaded_version(aggregate)
        result = await self._conn.execute(
            update(self.table).where(*self._as_loaded(aggregate, loaded)).values(**values)
        )
        if result.rowcount != 1:
            await self._conflict(aggregate, loaded)

    async def _delete(self, aggregate: A) -> None:
        loaded = self._tracker.loaded_version(aggregate)
        result = await self._conn.execute(
            delete(self.table).where(*self._as_loaded(aggregate, loaded))
        )
        if result.rowcount != 1:
            await self._conflict(aggregate, loaded)

    def _as_loaded(self, aggregate: A, loaded: int) -> tuple[ColumnElement[bool], ...]:
        return (self.table.c.id == aggregate.id, self.table.c.version == loaded)

    async def _conflict(self, aggregate: A, loaded: int) -> NoReturn:
        found = await self._conn.execute(
            select(self.table.c.version).where(self.table.c.id == aggregate.id)
        )
        current = found.scalar_one_or_none()
        name = aggregate.aggregate_type.value.lower()
        if current is None:
            raise NotFound(f"This {name} was deleted while the change was being made.")
        # No input is at fault: another writer changed the row after it was loaded.
        raise VersionConflict(loaded, current, field=None)


class _CastRepository(_Repository[A]):
    """Stories and campaigns: an ordered cast of characters in a link table."""

    cast_table: ClassVar[Table]
    cast_key: ClassVar[str]  # the link table's column naming the story or campaign

    def __init__(self, conn: AsyncConnection, tracker: Tracker) -> None:
        super().__init__(conn, tracker)
        # Per aggregate: the cast as stored, character id -> position.
        self._stored_cast: dict[uuid.UUID, dict[uuid.UUID, int]] = {}

    @property
    def _owner_column(self) -> Column[Any]:
        return self.cast_table.c[self.cast_key]

    async def _load_casts(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        owner = self._owner_column
        found = await self._conn.execute(
            select(owner, self.cast_table.c.character_id, self.cast_table.c.position)
            .where(owner.in_(ids))
            .order_by(owner, self.cast_table.c.position)
        )
        casts: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
        for owner_id, character_id, position in found:
            casts[owner_id].append(character_id)
            self._stored_cast.setdefault(owner_id, {})[character_id] = position
        return casts

    async def _write_cast(self, aggregate_id: uuid.UUID, cast: list[uuid.UUID]) -> None:
        stored = self._stored_cast.setdefault(aggregate_id, {})
        owner, link = self._owner_column, self.cast_table
        gone = [c for c in stored if c not in cast]
        if gone:
            await self._conn.execute(
                delete(link).where(owner == aggregate_id, link.c.character_id.in_(gone))
            )
            for character_id in gone:
                del stored[character_id]
        joined = [c for c in cast if c not in stored]
        if joined:
            after = max(stored.values(), default=-1) + 1
            positions = {c: after + i for i, c in enumerate(joined)}
            await self._conn.execute(
                link.insert(),
                [
                    {self.cast_key: aggregate_id, "character_id": c, "position": p}
                    for c, p in positions.items()
                ],
            )
            stored.update(positions)


class SqlCharacterRepository(_Repository[Character]):
    table = characters

    async def get(self, character_id: uuid.UUID) -> Character | None:
        found = await self._load(characters.c.id == character_id, lock=True)
        return found[0] if found else None

    async def get_many(
        self, character_ids: Sequence[uuid.UUID], *, lock: bool = False
    ) -> list[Character]:
        if not character_ids:
            return []
        return await self._load(characters.c.id.in_(character_ids), lock=lock)

    async def relating_to(self, character_id: uuid.UUID) -> list[Character]:
        relating = select(character_relationships.c.character_id).where(
            character_relationships.c.related_character_id == character_id
        )
        return await self._load(characters.c.id.in_(relating), lock=True)

    async def remove(self, character: Character) -> None:
        self._remove(character)

    async def personalities_at(
        self, character_ids: Sequence[uuid.UUID], moment: datetime
    ) -> dict[uuid.UUID, Personality]:
        if not character_ids:
            return {}
        found = await self._conn.execute(
            select(events)
            .where(
                events.c.stream_id.in_(character_ids),
                events.c.event_type.in_([t.value for t in PERSONALITY_EVENTS]),
                events.c.occurred_at < moment,
            )
            .order_by(events.c.stream_id, events.c.position)
        )
        at: dict[uuid.UUID, Personality] = {}
        for row in found:
            personality = recorded_personality(to_stored_event(row).event)
            if personality is not None:
                at[row.stream_id] = personality
        return at

    async def _load(self, where: ColumnElement[bool], *, lock: bool) -> list[Character]:
        stmt = select(characters).where(where)
        result = await self._conn.execute(self._for_update(stmt) if lock else stmt)
        loaded = {row.id: Character(**rows.character_fields(row)) for row in result}
        if not loaded:
            return []
        skills = await self._conn.execute(
            select(character_skills)
            .where(character_skills.c.character_id.in_(loaded))
            .order_by(character_skills.c.name)
        )
        for row in skills:
            loaded[row.character_id].skills.append(rows.to_skill(row))
        relationships = await self._conn.execute(
            select(character_relationships).where(
                character_relationships.c.character_id.in_(loaded)
            )
        )
        for row in relationships:
            loaded[row.character_id].relationships.append(rows.to_relationship(row))
        for character in loaded.values():
            self._track(character)
        return list(loaded.values())

    async def persist(self, character: Character) -> None:
        if self._tracker.is_removed(character):
            await self._delete(character)
            return
        if self._tracker.is_new(character):
            await self._insert(character, rows.character_values(character))
        else:
            await self._update(character, rows.character_values(character))
            for table in (character_skills, character_relationships):
                await self._conn.execute(delete(table).where(table.c.character_id == character.id))
        if character.skills:
            await self._conn.execute(character_skills.insert(), rows.skill_rows(character))
        if character.relationships:
            await self._conn.execute(
                character_relationships.insert(), rows.relationship_rows(character)
            )


class SqlStoryRepository(_CastRepository[Story]):
    table = stories
    cast_table = story_characters
    cast_key = "story_id"

    async def get(self, story_id: uuid.UUID) -> Story | None:
        found = await self._load(stories.c.id == story_id)
        return found[0] if found else None

    async def featuring(self, character_id: uuid.UUID) -> list[Story]:
        casting = select(story_characters.c.story_id).where(
            story_characters.c.character_id == character_id
        )
        return await self._load(stories.c.id.in_(casting))

    async def _load(self, where: ColumnElement[bool]) -> list[Story]:
        found = list(await self._conn.execute(self._for_update(select(stories).where(where))))
        casts = await self._load_casts([row.id for row in found])
        loaded = [Story(**rows.story_fields(row), character_ids=casts[row.id]) for row in found]
        for story in loaded:
            self._track(story)
        return loaded

    async def persist(self, story: Story) -> None:
        if self._tracker.is_new(story):
            await self._insert(story, rows.story_values(story))
        else:
            await self._update(story, rows.story_values(story))
        await self._write_cast(story.id, story.character_ids)
        if story.new_entries:
            entries = [rows.story_entry_row(story.id, e) for e in story.new_entries]
            await self._conn.execute(story_entries.insert(), entries)
            story.new_entries.clear()


class SqlCampaignRepository(_CastRepository[Campaign]):
    table = campaigns
    cast_table = campaign_characters
    cast_key = "campaign_id"

    def __init__(self, conn: AsyncConnection, tracker: Tracker) -> None:
        super().__init__(conn, tracker)
        self._stored_members: dict[uuid.UUID, set[uuid.UUID]] = {}
        self._stored_ai: dict[uuid.UUID, set[uuid.UUID]] = {}

    async def get(self, campaign_id: uuid.UUID) -> Campaign | None:
        found = await self._load(campaigns.c.id == campaign_id)
        return found[0] if found else None

    async def featuring(self, character_id: uuid.UUID) -> list[Campaign]:
        casting = select(campaign_characters.c.campaign_id).where(
            campaign_characters.c.character_id == character_id
        )
        return await self._load(campaigns.c.id.in_(casting))

    async def _load(self, where: ColumnElement[bool]) -> list[Campaign]:
        found = list(await self._conn.execute(self._for_update(select(campaigns).where(where))))
        ids = [row.id for row in found]
        casts = await self._load_casts(ids)
        members = await self._conn.execute(
            select(campaign_members).where(campaign_members.c.campaign_id.in_(ids))
        )
        by_campaign: dict[uuid.UUID, dict[uuid.UUID, Member]] = {i: {} for i in ids}
        for row in members:
            by_campaign[row.campaign_id][row.user_id] = rows.to_member(row)
        played = await self._conn.execute(
            select(campaign_characters.c.campaign_id, campaign_characters.c.character_id).where(
                campaign_characters.c.campaign_id.in_(ids), campaign_characters.c.ai_controlled
            )
        )
        ai: dict[uuid.UUID, set[uuid.UUID]] = {i: set() for i in ids}
        for campaign_id, character_id in played:
            ai[campaign_id].add(character_id)
        loaded = []
        for row in found:
            campaign = Campaign(
                **rows.campaign_fields(row),
                members=by_campaign[row.id],
                character_ids=casts[row.id],
                ai_character_ids=set(ai[row.id]),
            )
            self._stored_members[campaign.id] = set(campaign.members)
            self._stored_ai[campaign.id] = ai[row.id]
            self._track(campaign)
            loaded.append(campaign)
        return loaded

    async def persist(self, campaign: Campaign) -> None:
        if self._tracker.is_new(campaign):
            await self._insert(campaign, rows.campaign_values(campaign))
        else:
            await self._update(campaign, rows.campaign_values(campaign))
        stored_members = self._stored_members.setdefault(campaign.id, set())
        new_members = [m for uid, m in campaign.members.items() if uid not in stored_members]
        if new_members:
            await self._conn.execute(
                campaign_members.insert(), [rows.member_row(campaign.id, m) for m in new_members]
            )
            stored_members.update(m.user_id for m in new_members)
        await self._write_cast(campaign.id, campaign.character_ids)
        stored_ai = self._stored_ai.setdefault(campaign.id, set())
        playing = campaign.ai_character_ids & set(campaign.character_ids)
        for flag, changed in ((True, playing - stored_ai), (False, stored_ai - playing)):
            if changed:
                await self._conn.execute(
                    update(campaign_characters)
                    .where(
                        campaign_characters.c.campaign_id == campaign.id,
                        campaign_characters.c.character_id.in_(changed),
                    )
                    .values(ai_controlled=flag)
                )
        self._stored_ai[campaign.id] = set(playing)


class SqlSessionRepository(_Repository[Session]):
    table = sessions

    async def get(self, session_id: uuid.UUID) -> Session | None:
        row = (
            await self._conn.execute(
                self._for_update(select(sessions).where(sessions.c.id == session_id))
            )
        ).one_or_none()
        if row is None:
            return None
        session = Session(**rows.session_fields(row))
        self._track(session)
        return session

    async def count_for(self, campaign_id: uuid.UUID) -> int:
        found = await self._conn.execute(
            select(func.count()).where(sessions.c.campaign_id == campaign_id)
        )
        return int(found.scalar_one())

    async def has_active(self, campaign_id: uuid.UUID) -> bool:
        found = await self._conn.execute(
            select(sessions.c.id).where(
                sessions.c.campaign_id == campaign_id,
                sessions.c.status == SessionStatus.ACTIVE.value,
            )
        )
        return found.first() is not None

    async def turn_by_key(self, session_id: uuid.UUID, idempotency_key: str) -> Turn | None:
        row = (
            await self._conn.execute(
                select(turns).where(
                    turns.c.session_id == session_id,
                    turns.c.idempotency_key == idempotency_key,
                )
            )
        ).one_or_none()
        return rows.to_turn(row) if row else None

    async def turn(self, turn_id: uuid.UUID) -> Turn | None:
        row = (await self._conn.execute(select(turns).where(turns.c.id == turn_id))).one_or_none()
        return rows.to_turn(row) if row else None

    async def turns(self, session_id: uuid.UUID) -> list[Turn]:
        found = await self._conn.execute(
            select(turns).where(turns.c.session_id == session_id).order_by(turns.c.number)
        )
        return [rows.to_turn(row) for row in found]

    async def persist(self, session: Session) -> None:
        if self._tracker.is_new(session):
            await self._insert(session, rows.session_values(session))
        else:
            await self._update(session, rows.session_values(session))
        if session.new_turns:
            await self._conn.execute(turns.insert(), [rows.turn_row(t) for t in session.new_turns])
            session.new_turns.clear()
        for turn in session.changed_turns:
            await self._conn.execute(
                update(turns).where(turns.c.id == turn.id).values(rows.turn_narration_values(turn))
            )
        session.changed_turns.clear()


class SqlUserRepository(_Repository[User]):
    table = users

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self._one(select(users).where(users.c.id == user_id))

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(select(users).where(users.c.email == email))

    async def _one(self, stmt: Select[Any]) -> User | None:
        row = (await self._conn.execute(stmt)).one_or_none()
        if row is None:
            return None
        user = rows.to_user(row)
        self._track(user)
        return user

    async def persist(self, user: User) -> None:
        if not self._tracker.is_new(user):
            await self._update(user, rows.user_values(user))
            return
        try:
            async with self._conn.begin_nested():
                await self._insert(user, rows.user_values(user))
        except IntegrityError as exc:
            # Two sign-ups with one email raced past the lookup; the constraint decides.
            raise EmailTaken() from exc
