"""The Story aggregate: a genre, themes and tone, its cast, and an ordered list of events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from novel_engine.domain.actor import Actor
from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.character import Character, Visibility, is_visible
from novel_engine.domain.errors import Forbidden, InvalidInput
from novel_engine.domain.events import AggregateType, DomainEvent, EventType, utcnow
from novel_engine.domain.values import NAME_MAX, TEXT_MAX, require_text

if TYPE_CHECKING:
    from novel_engine.domain.commands import AddStoryEvent, CreateStory

MAX_THEMES = 20
THEME_MAX = 60
MAX_CAST = 100


class Genre(Enum):
    FANTASY = "fantasy"
    SCI_FI = "sci-fi"
    MYSTERY = "mystery"
    ROMANCE = "romance"
    HORROR = "horror"
    ADVENTURE = "adventure"
    DRAMA = "drama"
    COMEDY = "comedy"


class Tone(Enum):
    DARK = "dark"
    LIGHT = "light"
    HEROIC = "heroic"
    MYSTERIOUS = "mysterious"
    COMEDIC = "comedic"


class PlotPoint(Enum):
    INCITING_INCIDENT = "inciting-incident"
    RISING_ACTION = "rising-action"
    CLIMAX = "climax"
    FALLING_ACTION = "falling-action"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class StoryEntry:
    """One event in a story's plot, numbered from 1 in the order it was told."""

    id: uuid.UUID
    sequence: int
    description: str
    plot_point: PlotPoint | None
    character_ids: tuple[uuid.UUID, ...]
    occurred_at: datetime


def _themes(themes: list[str]) -> list[str]:
    if len(themes) > MAX_THEMES:
        raise InvalidInput(f"A story has at most {MAX_THEMES} themes.", "themes")
    cleaned: list[str] = []
    for theme in themes:
        text = require_text(theme, "themes", max_length=THEME_MAX)
        if text.casefold() not in (t.casefold() for t in cleaned):
            cleaned.append(text)
    return cleaned


def _distinct(ids: list[uuid.UUID], field_name: str) -> list[uuid.UUID]:
    if len(ids) > MAX_CAST:
        raise InvalidInput(f"At most {MAX_CAST} characters.", field_name)
    return list(dict.fromkeys(ids))


@dataclass(kw_only=True)
class Story(Aggregate):
    aggregate_type = AggregateType.STORY

    owner_id: uuid.UUID
    title: str
    genre: Genre
    themes: list[str]
    tone: Tone
    visibility: Visibility
    character_ids: list[uuid.UUID] = field(default_factory=list)
    entry_count: int = 0
    new_entries: list[StoryEntry] = field(default_factory=list, repr=False)

    @classmethod
    def create(cls, actor: Actor, command: CreateStory) -> Story:
        owner_id = actor.require_user()
        genre, tone, visibility = command.genre, command.tone, command.visibility
        story = cls(
            owner_id=owner_id,
            title=require_text(command.title, "title", max_length=NAME_MAX),
            genre=genre,
            themes=_themes(list(command.themes)),
            tone=tone,
            visibility=visibility,
            character_ids=_distinct(list(command.character_ids), "characterIds"),
        )
        story._record(
            actor,
            EventType.STORY_CREATED,
            {
                "storyId": str(story.id),
                "title": story.title,
                "genre": genre.value,
                "themes": story.themes,
                "tone": tone.value,
                "characters": [str(c) for c in story.character_ids],
                "configuration": {"visibility": visibility.value},
                "createdBy": str(owner_id),
            },
        )
        return story

    def is_visible_to(self, user_id: uuid.UUID | None) -> bool:
        return is_visible(self.visibility, self.owner_id, user_id)

    def add_event(self, actor: Actor, command: AddStoryEvent) -> StoryEntry:
        if actor.require_user() != self.owner_id:
            raise Forbidden("Only the story's owner can add events to it.")
        plot_point = command.plot_point
        involved = _distinct(list(command.character_ids), "characterIds")
        strangers = [c for c in involved if c not in self.character_ids]
        if strangers:
            raise InvalidInput(f"Character {strangers[0]} is not in this story.", "characterIds")
        self.entry_count += 1
        entry = StoryEntry(
            id=uuid.uuid4(),
            sequence=self.entry_count,
            description=require_text(command.description, "description", max_length=TEXT_MAX),
            plot_point=plot_point,
            character_ids=tuple(involved),
            occurred_at=utcnow(),
        )
        self.new_entries.append(entry)
        self._touch()
        payload: dict[str, object] = {
            "storyId": str(self.id),
            "eventId": str(entry.id),
            "sequence": entry.sequence,
            "description": entry.description,
            "characters": [str(c) for c in entry.character_ids],
            "timestamp": entry.occurred_at.isoformat(),
        }
        if plot_point is None:
            self._record(actor, EventType.STORY_EVENT_ADDED, payload)
        else:
            payload.update(plotPoint=plot_point.value, consequences=[])
            self._record(actor, EventType.PLOT_POINT_REACHED, payload)
        return entry

    def remove_deleted_character(
        self, actor: Actor, character: Character, deletion: DomainEvent
    ) -> None:
        """`character`'s owner deleted it: it leaves the cast; told events keep its id."""
        character.ensure_managed_by(actor)
        if character.id not in self.character_ids:
            return
        self.character_ids.remove(character.id)
        self._touch()
        self._record(
            actor,
            EventType.STORY_CHARACTER_REMOVED,
            {
                "storyId": str(self.id),
                "characterId": str(character.id),
                "characterName": character.name,
                "removalReason": "character-deleted",
                "removedBy": str(actor.user_id),
                "version": self.version,
            },
            caused_by=deletion,
        )
