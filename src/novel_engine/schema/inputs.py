"""GraphQL inputs. `None` on an update input means: leave that field as it is."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from novel_engine.domain import character as domain
from novel_engine.schema.enums import (
    ActionKind,
    CharacterKind,
    Genre,
    PlotPoint,
    RelationshipType,
    SkillAcquisition,
    Tone,
    Visibility,
)


@strawberry.input
class SignUpInput:
    email: str
    password: str
    display_name: str


@strawberry.input
class LogInInput:
    email: str
    password: str


@strawberry.input(description="OCEAN traits, each 0.0..1.0.")
class PersonalityInput:
    openness: float = 0.5
    conscientiousness: float = 0.5
    extraversion: float = 0.5
    agreeableness: float = 0.5
    neuroticism: float = 0.5

    def to_domain(self) -> domain.Personality:
        return domain.Personality(
            self.openness,
            self.conscientiousness,
            self.extraversion,
            self.agreeableness,
            self.neuroticism,
        )


@strawberry.input
class SkillInput:
    name: str
    level: int = 1

    def to_domain(self) -> domain.Skill:
        return domain.Skill(self.name, self.level)


@strawberry.input
class CreateCharacterInput:
    name: str
    kind: CharacterKind = CharacterKind.NPC
    personality: PersonalityInput | None = None
    background: str = ""
    visibility: Visibility = Visibility.PRIVATE
    skills: list[SkillInput] | None = None


@strawberry.input
class UpdateCharacterInput:
    name: str | None = None
    kind: CharacterKind | None = None
    personality: PersonalityInput | None = None
    background: str | None = None
    visibility: Visibility | None = None

    def to_domain(self) -> domain.CharacterChanges:
        return domain.CharacterChanges(
            name=self.name,
            kind=self.kind,
            personality=self.personality.to_domain() if self.personality else None,
            background=self.background,
            visibility=self.visibility,
        )


@strawberry.input
class GainSkillInput:
    name: str
    level: int
    acquisition_method: SkillAcquisition = SkillAcquisition.EXPERIENCE
    context: str = ""


@strawberry.input
class FormRelationshipInput:
    related_character_id: strawberry.ID
    type: RelationshipType
    strength: float
    context: str = ""


@strawberry.input
class CreateStoryInput:
    title: str
    genre: Genre
    themes: list[str] | None = None
    tone: Tone = Tone.HEROIC
    character_ids: list[strawberry.ID] | None = None
    visibility: Visibility = Visibility.PRIVATE


@strawberry.input
class StoryEventInput:
    description: str
    plot_point: PlotPoint | None = None
    character_ids: list[strawberry.ID] | None = None


@strawberry.input
class CreateCampaignInput:
    name: str
    description: str = ""
    world_state: JSON | None = None


@strawberry.input
class ActionInput:
    character_id: strawberry.ID
    kind: ActionKind
    intent: str
    target_ids: list[strawberry.ID] | None = None


@strawberry.input
class TurnInput:
    actions: list[ActionInput]


__all__ = [
    "ActionInput",
    "CreateCampaignInput",
    "CreateCharacterInput",
    "CreateStoryInput",
    "FormRelationshipInput",
    "GainSkillInput",
    "LogInInput",
    "PersonalityInput",
    "SignUpInput",
    "SkillInput",
    "StoryEventInput",
    "TurnInput",
    "UpdateCharacterInput",
]
