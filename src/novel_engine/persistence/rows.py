"""Converting between table rows and domain values, shared by repositories and read queries."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row

from novel_engine.domain.campaign import CampaignRole, Member
from novel_engine.domain.character import (
    CharacterKind,
    Personality,
    Relationship,
    RelationshipType,
    Skill,
    Visibility,
)
from novel_engine.domain.session import Action, ActionKind, SessionStatus, Turn
from novel_engine.domain.story import Genre, PlotPoint, StoryEntry, Tone

TRAITS = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")


def character_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "owner_id": row.owner_id,
        "name": row.name,
        "kind": CharacterKind(row.kind),
        "personality": Personality(**{t: getattr(row, t) for t in TRAITS}),
        "background": row.background,
        "visibility": Visibility(row.visibility),
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def story_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "owner_id": row.owner_id,
        "title": row.title,
        "genre": Genre(row.genre),
        "themes": list(row.themes),
        "tone": Tone(row.tone),
        "visibility": Visibility(row.visibility),
        "entry_count": row.entry_count,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def campaign_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "owner_id": row.owner_id,
        "name": row.name,
        "description": row.description,
        "world_state": row.world_state,
        "world_version": row.world_version,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def to_skill(row: Row[Any]) -> Skill:
    return Skill(row.name, row.level)


def to_relationship(row: Row[Any]) -> Relationship:
    return Relationship(
        row.related_character_id, RelationshipType(row.type), row.strength, row.context
    )


def to_member(row: Row[Any]) -> Member:
    return Member(row.user_id, CampaignRole(row.role), row.joined_at)


def to_story_entry(row: Row[Any]) -> StoryEntry:
    return StoryEntry(
        id=row.id,
        sequence=row.sequence,
        description=row.description,
        plot_point=PlotPoint(row.plot_point) if row.plot_point else None,
        character_ids=tuple(uuid.UUID(c) for c in row.character_ids),
        occurred_at=row.occurred_at,
    )


def session_fields(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "campaign_id": row.campaign_id,
        "number": row.number,
        "status": SessionStatus(row.status),
        "started_by": row.started_by,
        "turn_count": row.turn_count,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def to_turn(row: Row[Any]) -> Turn:
    return Turn(
        id=row.id,
        session_id=row.session_id,
        campaign_id=row.campaign_id,
        number=row.number,
        actions=tuple(
            Action(
                uuid.UUID(a["characterId"]),
                ActionKind(a["kind"]),
                a["intent"],
                tuple(uuid.UUID(t) for t in a["targetIds"]),
            )
            for a in row.actions
        ),
        submitted_by=row.submitted_by,
        created_at=row.created_at,
        correlation_id=row.correlation_id,
        idempotency_key=row.idempotency_key,
        request_hash=row.request_hash,
    )
