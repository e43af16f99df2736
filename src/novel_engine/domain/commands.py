"""Commands: what a caller asks the domain to do, one frozen dataclass each.

A mutation builds one from its input, a service runs it (`service(uow, actor,
command)`), and the aggregate takes from it what it needs. Fields hold domain values
(ids, enums, value objects); whether they make sense together is for the aggregate to
decide.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from novel_engine.domain.campaign import CampaignRole
from novel_engine.domain.character import (
    CharacterChanges,
    CharacterKind,
    Personality,
    Relationship,
    Skill,
    SkillAcquisition,
    Visibility,
)
from novel_engine.domain.perception import Perspective
from novel_engine.domain.session import Action
from novel_engine.domain.story import Genre, PlotPoint, StoryLength, Tone


@dataclass(frozen=True)
class SignUp:
    email: str
    password: str
    display_name: str


@dataclass(frozen=True)
class LogIn:
    email: str
    password: str


@dataclass(frozen=True)
class CreateCharacter:
    name: str
    kind: CharacterKind = CharacterKind.NPC
    personality: Personality = field(default_factory=Personality)
    background: str = ""
    visibility: Visibility = Visibility.PRIVATE
    skills: tuple[Skill, ...] = ()


@dataclass(frozen=True)
class UpdateCharacter:
    character_id: uuid.UUID
    changes: CharacterChanges
    expected_version: int


@dataclass(frozen=True)
class DeleteCharacter:
    character_id: uuid.UUID


@dataclass(frozen=True)
class GainSkill:
    character_id: uuid.UUID
    skill: Skill
    method: SkillAcquisition = SkillAcquisition.EXPERIENCE
    context: str = ""


@dataclass(frozen=True)
class FormRelationship:
    character_id: uuid.UUID
    relationship: Relationship


@dataclass(frozen=True)
class CreateStory:
    title: str
    genre: Genre
    themes: tuple[str, ...] = ()
    tone: Tone = Tone.HEROIC
    visibility: Visibility = Visibility.PRIVATE
    character_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class GenerateStory:
    title: str
    genre: Genre
    themes: tuple[str, ...] = ()
    tone: Tone = Tone.HEROIC
    visibility: Visibility = Visibility.PRIVATE
    character_ids: tuple[uuid.UUID, ...] = ()
    length: StoryLength = StoryLength.MEDIUM
    # What the story is about, in the requester's words ("" leaves it to the model).
    prompt: str = ""


@dataclass(frozen=True)
class CompileStory:
    session_id: uuid.UUID
    title: str | None = None


@dataclass(frozen=True)
class AddStoryEvent:
    story_id: uuid.UUID
    description: str
    plot_point: PlotPoint | None = None
    character_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class CreateCampaign:
    name: str
    description: str = ""
    # Any JSON value a client sent: the campaign refuses what is not an object.
    world_state: Any = field(default_factory=dict)
    narration_style: str = ""


@dataclass(frozen=True)
class UpdateCampaignSettings:
    """What to change; None leaves a setting as it is."""

    campaign_id: uuid.UUID
    narration_style: str | None = None
    perspective: Perspective | None = None
    strict_coherence: bool | None = None


@dataclass(frozen=True)
class AddCampaignMember:
    campaign_id: uuid.UUID
    email: str
    role: CampaignRole


@dataclass(frozen=True)
class AddCampaignCharacter:
    campaign_id: uuid.UUID
    character_id: uuid.UUID
    ai_controlled: bool = False


@dataclass(frozen=True)
class UpdateWorldState:
    campaign_id: uuid.UUID
    patch: Any
    expected_version: int


@dataclass(frozen=True)
class StartSession:
    campaign_id: uuid.UUID


@dataclass(frozen=True)
class EndSession:
    session_id: uuid.UUID


@dataclass(frozen=True)
class SubmitTurn:
    session_id: uuid.UUID
    actions: tuple[Action, ...]
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ForkCampaign:
    """Branch a campaign at one of its events: `position` in the campaign's stream, as
    the cursor `at` names it."""

    campaign_id: uuid.UUID
    position: int
    at: str
