"""Aggregates loaded for change and written back when the unit of work commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.campaign import Campaign
from novel_engine.domain.character import Character
from novel_engine.domain.errors import EmailTaken
from novel_engine.domain.session import Session, SessionStatus, Turn
from novel_engine.domain.story import Story
from novel_engine.domain.user import User
from novel_engine.persistence import rows
from novel_engine.persistence.tables import (
    campaign_characters,
    campaign_members,
    campaigns,
    character_relationships,
    character_skills,
    characters,
    sessions,
    stories,
    story_characters,
    story_entries,
    turns,
    users,
)


class Tracker:
    """What one unit of work has loaded or added, in order, and how to write it back."""

    def __init__(self) -> None:
        self.seen: list[tuple[Aggregate, _Repository]] = []
        self.new: set[uuid.UUID] = set()
        self.removed: set[uuid.UUID] = set()
        self.loaded_versions: dict[uuid.UUID, int] = {}

    def changed(self, aggregate: Aggregate) -> bool:
        return (
            bool(aggregate.events)
            or aggregate.id in self.new
            or self.loaded_versions.get(aggregate.id) != aggregate.version
        )


class _Repository:
    def __init__(self, conn: AsyncConnection, tracker: Tracker) -> None:
        self._conn = conn
        self._tracker = tracker

    def _track(self, aggregate: Aggregate, *, new: bool = False) -> None:
        self._tracker.seen.append((aggregate, self))
        if new:
            self._tracker.new.add(aggregate.id)
        else:
            self._tracker.loaded_versions[aggregate.id] = aggregate.version

    def _for_update(self, stmt: Select[Any]) -> Select[Any]:
        # SQLite ignores FOR UPDATE; its writers are serialized by BEGIN IMMEDIATE.
        return stmt.with_for_update()

    def _base_values(self, aggregate: Aggregate) -> dict[str, Any]:
        return {
            "version": aggregate.version,
            "created_at": aggregate.created_at,
            "updated_at": aggregate.updated_at,
        }

    async def persist(self, aggregate: Any) -> None:
        raise TypeError(f"{type(self).__name__} cannot persist {aggregate!r}")


class SqlCharacterRepository(_Repository):
    async def add(self, character: Character) -> None:
        self._track(character, new=True)

    async def get(self, character_id: uuid.UUID) -> Character | None:
        found = await self._load([character_id], lock=True)
        return found[0] if found else None

    async def get_many(self, character_ids: Sequence[uuid.UUID]) -> list[Character]:
        return await self._load(character_ids, lock=False) if character_ids else []

    async def remove(self, character: Character) -> None:
        self._tracker.removed.add(character.id)

    async def _load(self, ids: Sequence[uuid.UUID], *, lock: bool) -> list[Character]:
        stmt = select(characters).where(characters.c.id.in_(ids))
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
        if character.id in self._tracker.removed:
            await self._conn.execute(delete(characters).where(characters.c.id == character.id))
            return
        values = {
            "owner_id": character.owner_id,
            "name": character.name,
            "kind": character.kind.value,
            **character.personality.as_dict(),
            "background": character.background,
            "visibility": character.visibility.value,
            **self._base_values(character),
        }
        if character.id in self._tracker.new:
            await self._conn.execute(characters.insert().values(id=character.id, **values))
        else:
            await self._conn.execute(
                update(characters).where(characters.c.id == character.id).values(**values)
            )
            for table in (character_skills, character_relationships):
                await self._conn.execute(delete(table).where(table.c.character_id == character.id))
        if character.skills:
            await self._conn.execute(
                character_skills.insert(),
                [
                    {"character_id": character.id, "name": s.name, "level": s.level}
                    for s in character.skills
                ],
            )
        if character.relationships:
            await self._conn.execute(
                character_relationships.insert(),
                [
                    {
                        "character_id": character.id,
                        "related_character_id": r.related_character_id,
                        "type": r.type.value,
                        "strength": r.strength,
                        "context": r.context,
                    }
                    for r in character.relationships
                ],
            )


class SqlStoryRepository(_Repository):
    async def add(self, story: Story) -> None:
        self._track(story, new=True)

    async def get(self, story_id: uuid.UUID) -> Story | None:
        row = (
            await self._conn.execute(
                self._for_update(select(stories).where(stories.c.id == story_id))
            )
        ).one_or_none()
        if row is None:
            return None
        cast = await self._conn.execute(
            select(story_characters.c.character_id)
            .where(story_characters.c.story_id == story_id)
            .order_by(story_characters.c.position)
        )
        story = Story(**rows.story_fields(row), character_ids=list(cast.scalars()))
        self._track(story)
        return story

    async def persist(self, story: Story) -> None:
        values = {
            "owner_id": story.owner_id,
            "title": story.title,
            "genre": story.genre.value,
            "themes": story.themes,
            "tone": story.tone.value,
            "visibility": story.visibility.value,
            "entry_count": story.entry_count,
            **self._base_values(story),
        }
        if story.id in self._tracker.new:
            await self._conn.execute(stories.insert().values(id=story.id, **values))
            if story.character_ids:
                await self._conn.execute(
                    story_characters.insert(),
                    [
                        {"story_id": story.id, "character_id": c, "position": i}
                        for i, c in enumerate(story.character_ids)
                    ],
                )
        else:
            await self._conn.execute(
                update(stories).where(stories.c.id == story.id).values(**values)
            )
        if story.new_entries:
            await self._conn.execute(
                story_entries.insert(),
                [
                    {
                        "id": e.id,
                        "story_id": story.id,
                        "sequence": e.sequence,
                        "description": e.description,
                        "plot_point": e.plot_point.value if e.plot_point else None,
                        "character_ids": [str(c) for c in e.character_ids],
                        "occurred_at": e.occurred_at,
                    }
                    for e in story.new_entries
                ],
            )
            story.new_entries.clear()


class SqlCampaignRepository(_Repository):
    def __init__(self, conn: AsyncConnection, tracker: Tracker) -> None:
        super().__init__(conn, tracker)
        self._stored_members: dict[uuid.UUID, set[uuid.UUID]] = {}
        self._stored_characters: dict[uuid.UUID, set[uuid.UUID]] = {}

    async def add(self, campaign: Campaign) -> None:
        self._track(campaign, new=True)
        self._stored_members[campaign.id] = set()
        self._stored_characters[campaign.id] = set()

    async def get(self, campaign_id: uuid.UUID) -> Campaign | None:
        row = (
            await self._conn.execute(
                self._for_update(select(campaigns).where(campaigns.c.id == campaign_id))
            )
        ).one_or_none()
        if row is None:
            return None
        members = await self._conn.execute(
            select(campaign_members).where(campaign_members.c.campaign_id == campaign_id)
        )
        cast = await self._conn.execute(
            select(campaign_characters.c.character_id)
            .where(campaign_characters.c.campaign_id == campaign_id)
            .order_by(campaign_characters.c.position)
        )
        campaign = Campaign(
            **rows.campaign_fields(row),
            members={m.user_id: m for m in map(rows.to_member, members)},
            character_ids=list(cast.scalars()),
        )
        self._stored_members[campaign.id] = set(campaign.members)
        self._stored_characters[campaign.id] = set(campaign.character_ids)
        self._track(campaign)
        return campaign

    async def persist(self, campaign: Campaign) -> None:
        values = {
            "owner_id": campaign.owner_id,
            "name": campaign.name,
            "description": campaign.description,
            "world_state": campaign.world_state,
            "world_version": campaign.world_version,
            **self._base_values(campaign),
        }
        if campaign.id in self._tracker.new:
            await self._conn.execute(campaigns.insert().values(id=campaign.id, **values))
        else:
            await self._conn.execute(
                update(campaigns).where(campaigns.c.id == campaign.id).values(**values)
            )
        stored_members = self._stored_members[campaign.id]
        new_members = [m for uid, m in campaign.members.items() if uid not in stored_members]
        if new_members:
            await self._conn.execute(
                campaign_members.insert(),
                [
                    {
                        "campaign_id": campaign.id,
                        "user_id": m.user_id,
                        "role": m.role.value,
                        "joined_at": m.joined_at,
                    }
                    for m in new_members
                ],
            )
            stored_members.update(m.user_id for m in new_members)
        stored_cast = self._stored_characters[campaign.id]
        new_cast = [(i, c) for i, c in enumerate(campaign.character_ids) if c not in stored_cast]
        if new_cast:
            await self._conn.execute(
                campaign_characters.insert(),
                [
                    {"campaign_id": campaign.id, "character_id": c, "position": i}
                    for i, c in new_cast
                ],
            )
            stored_cast.update(c for _, c in new_cast)


class SqlSessionRepository(_Repository):
    async def add(self, session: Session) -> None:
        self._track(session, new=True)

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

    async def persist(self, session: Session) -> None:
        values = {
            "campaign_id": session.campaign_id,
            "number": session.number,
            "status": session.status.value,
            "started_by": session.started_by,
            "turn_count": session.turn_count,
            **self._base_values(session),
        }
        if session.id in self._tracker.new:
            await self._conn.execute(sessions.insert().values(id=session.id, **values))
        else:
            await self._conn.execute(
                update(sessions).where(sessions.c.id == session.id).values(**values)
            )
        if session.new_turns:
            await self._conn.execute(
                turns.insert(),
                [
                    {
                        "id": t.id,
                        "session_id": t.session_id,
                        "campaign_id": t.campaign_id,
                        "number": t.number,
                        "actions": [a.as_dict() for a in t.actions],
                        "submitted_by": t.submitted_by,
                        "created_at": t.created_at,
                        "correlation_id": t.correlation_id,
                        "idempotency_key": t.idempotency_key,
                        "request_hash": t.request_hash,
                    }
                    for t in session.new_turns
                ],
            )
            session.new_turns.clear()


class SqlUserRepository(_Repository):
    async def add(self, user: User) -> None:
        self._track(user, new=True)

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self._one(select(users).where(users.c.id == user_id))

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(select(users).where(users.c.email == email))

    async def _one(self, stmt: Select[Any]) -> User | None:
        row = (await self._conn.execute(stmt)).one_or_none()
        if row is None:
            return None
        user = User(
            id=row.id,
            email=row.email,
            display_name=row.display_name,
            password_hash=row.password_hash,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        self._track(user)
        return user

    async def persist(self, user: User) -> None:
        values = {
            "email": user.email,
            "display_name": user.display_name,
            "password_hash": user.password_hash,
            **self._base_values(user),
        }
        if user.id not in self._tracker.new:
            await self._conn.execute(update(users).where(users.c.id == user.id).values(**values))
            return
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(users.insert().values(id=user.id, **values))
        except IntegrityError as exc:
            # Two sign-ups with one email raced past the lookup; the constraint decides.
            raise EmailTaken() from exc
