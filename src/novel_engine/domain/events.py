"""Domain events with the catalog's envelope (seeds: domain events catalog v1.0.0)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

EVENT_SOURCE = "novel-engine"
# Metadata of an event copied into a branch of its campaign: the original event's id, and
# whether the work it asked for was done where it was first committed (then the copy asks
# for none: a branch does not narrate again what was narrated before it was taken).
COPIED_FROM = "copiedFrom"
WORK_DONE = "workDone"


class EventType(Enum):
    """Catalog type names. Those not in the 1.0.0 catalog follow its naming rule."""

    CHARACTER_CREATED = "characters.character.created"
    CHARACTER_UPDATED = "characters.character.updated"
    CHARACTER_DELETED = "characters.character.deleted"
    CHARACTER_SKILL_GAINED = "characters.character.skill-gained"
    CHARACTER_RELATIONSHIP_FORMED = "characters.character.relationship-formed"
    CHARACTER_RELATIONSHIP_ENDED = "characters.character.relationship-ended"
    CHARACTER_PERSONALITY_EVOLVED = "characters.character.personality-evolved"
    STORY_CREATED = "narratives.story.created"
    STORY_EVENT_ADDED = "narratives.story.event-added"
    STORY_CHARACTER_REMOVED = "narratives.story.character-removed"
    PLOT_POINT_REACHED = "narratives.plot.point-reached"
    STORY_GENERATION_REQUESTED = "narratives.story.generation-requested"
    STORY_GENERATED = "narratives.story.generated"
    STORY_QUALITY_ASSESSED = "narratives.story.quality-assessed"
    STORY_GENERATION_FAILED = "narratives.story.generation-failed"
    STORY_COMPILED = "narratives.story.compiled"
    TURN_NARRATED = "narratives.turn.narrated"
    # A turn told from one character's point of view (through-characters campaigns).
    TURN_VIEWPOINT_NARRATED = "narratives.turn.viewpoint-narrated"
    CAMPAIGN_CREATED = "campaigns.campaign.created"
    CAMPAIGN_MEMBER_ADDED = "campaigns.campaign.member-added"
    CAMPAIGN_CHARACTER_ADDED = "campaigns.campaign.character-added"
    CAMPAIGN_CHARACTER_REMOVED = "campaigns.campaign.character-removed"
    CAMPAIGN_SETTINGS_CHANGED = "campaigns.campaign.settings-changed"
    CAMPAIGN_FORKED = "campaigns.campaign.forked"
    WORLD_STATE_CHANGED = "campaigns.world.state-changed"
    SESSION_STARTED = "campaigns.session.started"
    SESSION_ENDED = "campaigns.session.ended"
    INTERACTION_INITIATED = "interactions.interaction.initiated"
    ACTION_PERFORMED = "interactions.action.performed"
    DIALOGUE_EXCHANGED = "interactions.dialogue.exchanged"
    INTERACTION_RESOLVED = "interactions.interaction.resolved"
    USER_REGISTERED = "shared.user.registered"


class AggregateType(Enum):
    CHARACTER = "Character"
    STORY = "Story"
    CAMPAIGN = "Campaign"
    INTERACTION = "Interaction"
    USER = "User"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StreamId:
    """The stream an event is appended to; positions are counted per stream."""

    kind: AggregateType
    id: uuid.UUID


@dataclass(frozen=True)
class DomainEvent:
    event_type: EventType
    aggregate_id: uuid.UUID
    aggregate_type: AggregateType
    payload: dict[str, Any]
    user_id: uuid.UUID | None
    stream: StreamId
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    event_version: str = "1.0.0"
    timestamp: datetime = field(default_factory=utcnow)
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    causation_id: uuid.UUID | None = None
    metadata: dict[str, Any] = field(default_factory=lambda: {"source": EVENT_SOURCE})


@dataclass(frozen=True)
class StoredEvent:
    """An event as read back from the store, with its position in its stream."""

    event: DomainEvent
    position: int


def asks_for_work(event: DomainEvent) -> bool:
    """Whether durable handlers should run for this event: every event but a copy whose
    work was already done in the campaign it was copied from."""
    return event.metadata.get(WORK_DONE) is not True
