"""The Story aggregate: a genre, themes and tone, its cast, and an ordered list of events;
and, for a story written by a model or compiled from a session, its text and quality."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from novel_engine.domain.actor import Actor
from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.character import Character, Visibility, is_visible
from novel_engine.domain.errors import Forbidden, InvalidInput
from novel_engine.domain.events import AggregateType, DomainEvent, EventType, utcnow
from novel_engine.domain.values import (
    NAME_MAX,
    TEXT_MAX,
    require_text,
    require_unit_interval,
)

if TYPE_CHECKING:
    from novel_engine.domain.commands import AddStoryEvent, CreateStory, GenerateStory

MAX_THEMES = 20
THEME_MAX = 60
MAX_CAST = 100
PROMPT_MAX = 4_000
# A story's text, generated or compiled: about 300,000 words.
CONTENT_MAX = 2_000_000


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
    """The five points of a plot, in the order a story reaches them."""

    INCITING_INCIDENT = "inciting-incident"
    RISING_ACTION = "rising-action"
    CLIMAX = "climax"
    FALLING_ACTION = "falling-action"
    RESOLUTION = "resolution"


class StoryLength(Enum):
    SHORT = "short"
    MEDIUM = "medium"
    LONG = "long"

    @property
    def words(self) -> int:
        """About how many words a story of this length has."""
        return _WORDS[self]


_WORDS = {StoryLength.SHORT: 400, StoryLength.MEDIUM: 1_000, StoryLength.LONG: 2_000}


class GenerationStatus(Enum):
    """Where a story's text stands. Stories told event by event have none."""

    GENERATING = "generating"  # asked of the model; a job is writing it
    DONE = "done"  # written (or compiled from a session)
    FAILED = "failed"  # the job gave up; `generation_error` says why


_WORD = re.compile(r"\w+(?:['\u2019]\w+)*")


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters and digits (an apostrophe inside
    one keeps it whole); punctuation and scene breaks count for nothing."""
    return len(_WORD.findall(text))


QUALITY_CRITERIA = (
    "coherence",
    "engagement",
    "characterDevelopment",
    "plotStructure",
    "languageQuality",
)


@dataclass(frozen=True)
class StoryQuality:
    """How well a story is told, each measure within 0..1."""

    coherence: float
    engagement: float
    character_development: float
    plot_structure: float
    language_quality: float
    overall: float

    @classmethod
    def from_scores(cls, scores: Mapping[str, Any]) -> StoryQuality:
        """From the six scores by their public names (`characterDevelopment`, ...), or
        InvalidInput naming the first missing or out of range."""
        values = []
        for name in (*QUALITY_CRITERIA, "overall"):
            if name not in scores:
                raise InvalidInput(f"A quality assessment gives {name}.", name)
            values.append(require_unit_interval(scores[name], name))
        return cls(*values)

    def as_dict(self) -> dict[str, float]:
        values = (
            self.coherence,
            self.engagement,
            self.character_development,
            self.plot_structure,
            self.language_quality,
            self.overall,
        )
        return dict(zip((*QUALITY_CRITERIA, "overall"), values, strict=True))


@dataclass(frozen=True)
class Assessment:
    """A story's quality and who judged it: a model's structured answer ("model"), or
    the documented measures of the text ("measures")."""

    quality: StoryQuality
    method: str
    model_used: str | None = None


@dataclass(frozen=True)
class Draft:
    """A story's text as a model wrote it, and what writing it took."""

    text: str
    model_used: str
    tokens: int
    seconds: float
    attempts: int = 1
    fallback: bool = False


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


def _outline(command: CreateStory | GenerateStory) -> dict[str, Any]:
    return {
        "title": command.title,
        "genre": command.genre,
        "themes": list(command.themes),
        "tone": command.tone,
        "visibility": command.visibility,
        "character_ids": list(command.character_ids),
    }


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
    # The story's text, once written or compiled, and how it was judged.
    content: str | None = None
    quality: StoryQuality | None = None
    generation_status: GenerationStatus | None = None
    generation_error: str | None = None
    model_used: str | None = None
    # What a model was asked for (a generated story only).
    length: StoryLength | None = None
    prompt: str = ""

    @property
    def word_count(self) -> int | None:
        return None if self.content is None else count_words(self.content)

    @classmethod
    def create(cls, actor: Actor, command: CreateStory) -> Story:
        story = cls._new(actor, **_outline(command))
        story._record(actor, EventType.STORY_CREATED, story._opening("createdBy"))
        return story

    @classmethod
    def request_generation(cls, actor: Actor, command: GenerateStory) -> Story:
        """A story the model is to write: its brief is checked now; a job writes it."""
        story = cls._new(
            actor,
            **_outline(command),
            generation_status=GenerationStatus.GENERATING,
            length=command.length,
            prompt=require_text(command.prompt, "prompt", max_length=PROMPT_MAX, allow_empty=True),
        )
        payload = story._opening("requestedBy")
        payload["length"] = command.length.value
        payload["configuration"]["prompt"] = story.prompt
        story._record(actor, EventType.STORY_GENERATION_REQUESTED, payload)
        return story

    @classmethod
    def compile(
        cls,
        actor: Actor,
        *,
        title: str,
        genre: Genre,
        tone: Tone,
        character_ids: list[uuid.UUID],
        content: str,
        session_id: uuid.UUID,
        campaign_id: uuid.UUID,
        turns: int,
    ) -> Story:
        """A private story whose text is a session's narration edited into one."""
        if not content.strip():
            raise InvalidInput("This session has no narrated turn yet.", "sessionId")
        if len(content) > CONTENT_MAX:
            raise InvalidInput("This session's narration is too long for one story.", "sessionId")
        story = cls._new(
            actor,
            title=title,
            genre=genre,
            themes=[],
            tone=tone,
            visibility=Visibility.PRIVATE,
            character_ids=character_ids,
            content=content,
            generation_status=GenerationStatus.DONE,
        )
        payload = story._opening("compiledBy")
        payload.update(
            sessionId=str(session_id),
            campaignId=str(campaign_id),
            turns=turns,
            content=content,
            wordCount=story.word_count,
        )
        story._record(actor, EventType.STORY_COMPILED, payload)
        return story

    @classmethod
    def _new(
        cls,
        actor: Actor,
        *,
        title: str,
        genre: Genre,
        themes: list[str],
        tone: Tone,
        visibility: Visibility,
        character_ids: list[uuid.UUID],
        **extra: Any,
    ) -> Story:
        return cls(
            owner_id=actor.require_user(),
            title=require_text(title, "title", max_length=NAME_MAX),
            genre=genre,
            themes=_themes(themes),
            tone=tone,
            visibility=visibility,
            character_ids=_distinct(character_ids, "characterIds"),
            **extra,
        )

    def _opening(self, author_key: str) -> dict[str, Any]:
        """The payload of the event a story begins with."""
        return {
            "storyId": str(self.id),
            "title": self.title,
            "genre": self.genre.value,
            "themes": self.themes,
            "tone": self.tone.value,
            "characters": [str(c) for c in self.character_ids],
            "configuration": {"visibility": self.visibility.value},
            author_key: str(self.owner_id),
        }

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

    @property
    def awaits_text(self) -> bool:
        """A model is still to write this story."""
        return self.generation_status is GenerationStatus.GENERATING

    def finish_generation(
        self, actor: Actor, draft: Draft, assessment: Assessment, cause: DomainEvent
    ) -> None:
        """The job that wrote the story keeps its text and its quality, both at once."""
        self._ensure_awaits_text()
        if len(draft.text) > CONTENT_MAX:
            raise InvalidInput("The model's story is too long to keep.", "content")
        self.content = draft.text
        self.model_used = draft.model_used
        self.generation_status = GenerationStatus.DONE
        self._touch()
        self._record(
            actor,
            EventType.STORY_GENERATED,
            {
                "storyId": str(self.id),
                "title": self.title,
                "content": draft.text,
                "wordCount": self.word_count,
                "qualityScore": assessment.quality.overall,
                "generationMetrics": {
                    "duration": round(draft.seconds, 3),
                    "modelUsed": draft.model_used,
                    "tokensConsumed": draft.tokens,
                    "iterations": draft.attempts,
                    "fallback": draft.fallback,
                },
                "characters": [str(c) for c in self.character_ids],
            },
            caused_by=cause,
        )
        self.assess(actor, assessment, cause)

    def fail_generation(self, actor: Actor, reason: str, cause: DomainEvent) -> None:
        """The job gave up for good: the story says so, and why, instead of waiting."""
        self._ensure_awaits_text()
        self.generation_status = GenerationStatus.FAILED
        self.generation_error = reason[:TEXT_MAX]
        self._touch()
        self._record(
            actor,
            EventType.STORY_GENERATION_FAILED,
            {"storyId": str(self.id), "reason": self.generation_error},
            caused_by=cause,
        )

    def assess(self, actor: Actor, assessment: Assessment, cause: DomainEvent) -> None:
        quality = assessment.quality
        self.quality = quality
        self._touch()
        by = assessment.model_used or "the measures of the text"
        self._record(
            actor,
            EventType.STORY_QUALITY_ASSESSED,
            {
                "storyId": str(self.id),
                "qualityScore": quality.overall,
                "assessmentCriteria": {
                    name: score
                    for name, score in quality.as_dict().items()
                    if name in QUALITY_CRITERIA
                },
                "assessor": "ai",
                "assessorId": None,
                "method": assessment.method,
                "modelUsed": assessment.model_used,
                "feedback": f"Assessed by {by}.",
            },
            caused_by=cause,
        )

    def _ensure_awaits_text(self) -> None:
        if not self.awaits_text:
            raise InvalidInput("This story is not waiting to be written.", "storyId")
