"""Converting between table rows and domain values, shared by repositories and read queries."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row

from novel_engine.domain.actions import Action, ActionOutcome
from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.campaign import Campaign, CampaignRole, Member
from novel_engine.domain.character import (
    Character,
    CharacterKind,
    Personality,
    Relationship,
    RelationshipType,
    Skill,
    Visibility,
)
from novel_engine.domain.coherence import CoherenceWarning
from novel_engine.domain.development import Development
from novel_engine.domain.narration import NarrationStatus, Reaction
from novel_engine.domain.perception import Perspective
from novel_engine.domain.session import Session, SessionStatus, Turn
from novel_engine.domain.story import (
    GenerationStatus,
    Genre,
    PlotPoint,
    Story,
    StoryEntry,
    StoryLength,
    StoryQuality,
    Tone,
)
from novel_engine.domain.user import User

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
        "development": Development.from_dict(row.development) if row.development else None,
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
        "content": row.content,
        "quality": StoryQuality.from_scores(row.quality) if row.quality else None,
        "generation_status": GenerationStatus(row.generation_status)
        if row.generation_status
        else None,
        "generation_error": row.generation_error,
        "model_used": row.model_used,
        "length": StoryLength(row.length) if row.length else None,
        "prompt": row.prompt,
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
        "narration_style": row.narration_style,
        "perspective": Perspective(row.perspective),
        "strict_coherence": row.strict_coherence,
        "forked_from": row.forked_from,
        "forked_at_event": row.forked_at_event,
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
        actions=tuple(Action.from_dict(a) for a in row.actions),
        submitted_by=row.submitted_by,
        created_at=row.created_at,
        correlation_id=row.correlation_id,
        idempotency_key=row.idempotency_key,
        request_hash=row.request_hash,
        outcomes=tuple(ActionOutcome.from_dict(o) for o in row.outcomes),
        reactions=tuple(Reaction.from_dict(r) for r in row.reactions),
        narration_status=NarrationStatus(row.narration_status),
        narrative=row.narrative,
        narration_error=row.narration_error,
        model_used=row.model_used,
        fallback=row.fallback,
        warnings=tuple(CoherenceWarning.from_dict(w) for w in row.warnings or ()),
    )


def to_user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        password_hash=row.password_hash,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# Writing: the column values of an aggregate's own row (its version is the new one).


def _base_values(aggregate: Aggregate) -> dict[str, Any]:
    return {
        "version": aggregate.version,
        "created_at": aggregate.created_at,
        "updated_at": aggregate.updated_at,
    }


def character_values(character: Character) -> dict[str, Any]:
    return {
        "owner_id": character.owner_id,
        "name": character.name,
        "kind": character.kind.value,
        **character.personality.as_dict(),
        "background": character.background,
        "visibility": character.visibility.value,
        "development": character.development.as_dict() if character.development else None,
        **_base_values(character),
    }


def skill_rows(character: Character) -> list[dict[str, Any]]:
    return [
        {"character_id": character.id, "name": s.name, "level": s.level} for s in character.skills
    ]


def relationship_rows(character: Character) -> list[dict[str, Any]]:
    return [
        {
            "character_id": character.id,
            "related_character_id": r.related_character_id,
            "type": r.type.value,
            "strength": r.strength,
            "context": r.context,
        }
        for r in character.relationships
    ]


def story_values(story: Story) -> dict[str, Any]:
    return {
        "owner_id": story.owner_id,
        "title": story.title,
        "genre": story.genre.value,
        "themes": story.themes,
        "tone": story.tone.value,
        "visibility": story.visibility.value,
        "entry_count": story.entry_count,
        "content": story.content,
        "word_count": story.word_count,
        "quality": story.quality.as_dict() if story.quality else None,
        "generation_status": story.generation_status.value if story.generation_status else None,
        "generation_error": story.generation_error,
        "model_used": story.model_used,
        "length": story.length.value if story.length else None,
        "prompt": story.prompt,
        **_base_values(story),
    }


def story_entry_row(story_id: uuid.UUID, entry: StoryEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "story_id": story_id,
        "sequence": entry.sequence,
        "description": entry.description,
        "plot_point": entry.plot_point.value if entry.plot_point else None,
        "character_ids": [str(c) for c in entry.character_ids],
        "occurred_at": entry.occurred_at,
    }


def campaign_values(campaign: Campaign) -> dict[str, Any]:
    return {
        "owner_id": campaign.owner_id,
        "name": campaign.name,
        "description": campaign.description,
        "world_state": campaign.world_state,
        "world_version": campaign.world_version,
        "narration_style": campaign.narration_style,
        "perspective": campaign.perspective.value,
        "strict_coherence": campaign.strict_coherence,
        "forked_from": campaign.forked_from,
        "forked_at_event": campaign.forked_at_event,
        **_base_values(campaign),
    }


def member_row(campaign_id: uuid.UUID, member: Member) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "user_id": member.user_id,
        "role": member.role.value,
        "joined_at": member.joined_at,
    }


def session_values(session: Session) -> dict[str, Any]:
    return {
        "campaign_id": session.campaign_id,
        "number": session.number,
        "status": session.status.value,
        "started_by": session.started_by,
        "turn_count": session.turn_count,
        **_base_values(session),
    }


def turn_row(turn: Turn) -> dict[str, Any]:
    return {
        "id": turn.id,
        "session_id": turn.session_id,
        "campaign_id": turn.campaign_id,
        "number": turn.number,
        "actions": [a.as_dict() for a in turn.actions],
        "submitted_by": turn.submitted_by,
        "created_at": turn.created_at,
        "correlation_id": turn.correlation_id,
        "idempotency_key": turn.idempotency_key,
        "request_hash": turn.request_hash,
        "outcomes": [o.as_dict() for o in turn.outcomes],
        "warnings": [w.as_dict() for w in turn.warnings],
        **turn_narration_values(turn),
    }


def turn_narration_values(turn: Turn) -> dict[str, Any]:
    """What happens to a turn after it is played: its reactions and its narration."""
    return {
        "reactions": [r.as_dict() for r in turn.reactions],
        "narration_status": turn.narration_status.value,
        "narrative": turn.narrative,
        "narration_error": turn.narration_error,
        "model_used": turn.model_used,
        "fallback": turn.fallback,
    }


def user_values(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "password_hash": user.password_hash,
        **_base_values(user),
    }
