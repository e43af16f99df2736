"""Inputs of the characters area. `None` on an update input means: leave that field as it
is."""

from __future__ import annotations

import strawberry

from novel_engine.domain import character as domain
from novel_engine.domain import commands
from novel_engine.graphql.enums import (
    CharacterKind,
    RelationshipType,
    SkillAcquisition,
    Visibility,
)


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

    def to_command(self) -> commands.CreateCharacter:
        return commands.CreateCharacter(
            name=self.name,
            kind=self.kind,
            personality=(self.personality or PersonalityInput()).to_domain(),
            background=self.background,
            visibility=self.visibility,
            skills=tuple(s.to_domain() for s in self.skills or []),
        )


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
