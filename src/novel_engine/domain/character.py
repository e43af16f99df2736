"""The Character aggregate: personality, background, skills and relationships."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from novel_engine.domain import development as dev
from novel_engine.domain.actor import Actor
from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.errors import AlreadyExists, Forbidden, InvalidInput
from novel_engine.domain.events import AggregateType, DomainEvent, EventType
from novel_engine.domain.values import NAME_MAX, TEXT_MAX, require_text, require_unit_interval

if TYPE_CHECKING:
    from novel_engine.domain.commands import CreateCharacter

MAX_SKILLS = 50
MAX_RELATIONSHIPS = 200


class CharacterKind(Enum):
    PROTAGONIST = "protagonist"
    ANTAGONIST = "antagonist"
    NPC = "npc"
    NARRATOR = "narrator"


class Visibility(Enum):
    PUBLIC = "public"
    PRIVATE = "private"


class RelationshipType(Enum):
    ALLY = "ally"
    ENEMY = "enemy"
    NEUTRAL = "neutral"
    ROMANTIC = "romantic"
    FAMILY = "family"


class SkillAcquisition(Enum):
    TRAINING = "training"
    EXPERIENCE = "experience"
    STORY_EVENT = "story-event"


def is_visible(visibility: Visibility, owner_id: uuid.UUID, viewer: uuid.UUID | None) -> bool:
    """Who may read a character or a story: anyone when PUBLIC, else only its owner."""
    return visibility is Visibility.PUBLIC or owner_id == viewer


@dataclass(frozen=True)
class Personality:
    """The OCEAN traits, each between 0.0 and 1.0."""

    openness: float = 0.5
    conscientiousness: float = 0.5
    extraversion: float = 0.5
    agreeableness: float = 0.5
    neuroticism: float = 0.5

    def __post_init__(self) -> None:
        for trait, value in asdict(self).items():
            object.__setattr__(self, trait, require_unit_interval(value, f"personality.{trait}"))

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Skill:
    name: str
    level: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", require_text(self.name, "skills.name", max_length=100))
        if not 1 <= self.level <= 100:
            raise InvalidInput("skills.level must be between 1 and 100.", "skills.level")


@dataclass(frozen=True)
class Relationship:
    related_character_id: uuid.UUID
    type: RelationshipType
    strength: float
    context: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "strength", require_unit_interval(self.strength, "relationship.strength")
        )
        object.__setattr__(
            self,
            "context",
            require_text(
                self.context, "relationship.context", max_length=TEXT_MAX, allow_empty=True
            ),
        )


@dataclass(frozen=True)
class CharacterChanges:
    """An update: fields left as None stay as they are."""

    name: str | None = None
    kind: CharacterKind | None = None
    personality: Personality | None = None
    background: str | None = None
    visibility: Visibility | None = None


def _unique_skills(skills: list[Skill]) -> list[Skill]:
    if len(skills) > MAX_SKILLS:
        raise InvalidInput(f"A character has at most {MAX_SKILLS} skills.", "skills")
    names = [s.name.casefold() for s in skills]
    if len(set(names)) != len(names):
        raise InvalidInput("Skill names must be unique.", "skills")
    return skills


@dataclass(kw_only=True)
class Character(Aggregate):
    aggregate_type = AggregateType.CHARACTER

    owner_id: uuid.UUID
    name: str
    kind: CharacterKind
    personality: Personality
    background: str
    visibility: Visibility
    skills: list[Skill] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    # How play has developed the personality; None until the character first plays.
    development: dev.Development | None = None

    @classmethod
    def create(cls, actor: Actor, command: CreateCharacter) -> Character:
        owner_id = actor.require_user()
        kind, personality, visibility = command.kind, command.personality, command.visibility
        character = cls(
            owner_id=owner_id,
            name=require_text(command.name, "name", max_length=NAME_MAX),
            kind=kind,
            personality=personality,
            background=require_text(
                command.background, "background", max_length=TEXT_MAX, allow_empty=True
            ),
            visibility=visibility,
            skills=_unique_skills(list(command.skills)),
        )
        character._record(
            actor,
            EventType.CHARACTER_CREATED,
            {
                "characterId": str(character.id),
                "name": character.name,
                "type": kind.value,
                "personalityTraits": personality.as_dict(),
                "background": character.background,
                "configuration": {
                    "visibility": visibility.value,
                    "skills": [asdict(s) for s in character.skills],
                },
                "createdBy": str(owner_id),
            },
        )
        return character

    def is_visible_to(self, user_id: uuid.UUID | None) -> bool:
        return is_visible(self.visibility, self.owner_id, user_id)

    def ensure_managed_by(self, actor: Actor) -> None:
        if actor.require_user() != self.owner_id:
            raise Forbidden("Only the character's owner can change it.")

    def update(self, actor: Actor, expected_version: int, changes: CharacterChanges) -> None:
        self.ensure_managed_by(actor)
        self.check_version(expected_version)
        new: dict[str, Any] = {}
        if changes.name is not None:
            new["name"] = require_text(changes.name, "name", max_length=NAME_MAX)
        if changes.kind is not None:
            new["kind"] = changes.kind
        if changes.personality is not None:
            new["personality"] = changes.personality
        if changes.background is not None:
            new["background"] = require_text(
                changes.background, "background", max_length=TEXT_MAX, allow_empty=True
            )
        if changes.visibility is not None:
            new["visibility"] = changes.visibility
        changed = {k: v for k, v in new.items() if getattr(self, k) != v}
        if not changed:
            return
        previous = {k: _event_value(getattr(self, k)) for k in changed}
        for key, value in changed.items():
            setattr(self, key, value)
        if "personality" in changed:
            # The owner's personality is the new starting point: play drifts from it.
            self.development = None
        self._touch()
        self._record(
            actor,
            EventType.CHARACTER_UPDATED,
            {
                "characterId": str(self.id),
                "changes": {k: _event_value(v) for k, v in changed.items()},
                "previousValues": previous,
                "updatedBy": str(actor.user_id),
                "version": self.version,
            },
        )

    def delete(self, actor: Actor, reason: str = "") -> DomainEvent:
        """Record the deletion; what referred to the character follows from this event."""
        self.ensure_managed_by(actor)
        return self._record(
            actor,
            EventType.CHARACTER_DELETED,
            {
                "characterId": str(self.id),
                "name": self.name,
                "deletionReason": require_text(
                    reason, "reason", max_length=TEXT_MAX, allow_empty=True
                ),
                "deletedBy": str(actor.user_id),
            },
        )

    def end_relationship_with_deleted(
        self, actor: Actor, deleted: Character, deletion: DomainEvent
    ) -> None:
        """`deleted`'s owner deleted it: this character's relationship to it ends."""
        deleted.ensure_managed_by(actor)
        ended = [r for r in self.relationships if r.related_character_id == deleted.id]
        if not ended:
            return
        self.relationships = [r for r in self.relationships if r not in ended]
        self._touch()
        self._record(
            actor,
            EventType.CHARACTER_RELATIONSHIP_ENDED,
            {
                "characterId": str(self.id),
                "relatedCharacterId": str(deleted.id),
                "relationshipType": ended[0].type.value,
                "endReason": "character-deleted",
                "endedBy": str(actor.user_id),
                "version": self.version,
            },
            caused_by=deletion,
        )

    def gain_skill(
        self, actor: Actor, skill: Skill, method: SkillAcquisition, context: str = ""
    ) -> None:
        self.ensure_managed_by(actor)
        if any(
            s.name.casefold() == skill.name.casefold() and s.level >= skill.level
            for s in self.skills
        ):
            raise AlreadyExists(
                f"{self.name} already has {skill.name} at this level or higher.", "level"
            )
        self._set_skill(actor, skill, method, context)

    def form_relationship(self, actor: Actor, relationship: Relationship) -> None:
        self.ensure_managed_by(actor)
        if relationship.related_character_id == self.id:
            raise InvalidInput("A character cannot relate to itself.", "relatedCharacterId")
        others = [
            r
            for r in self.relationships
            if r.related_character_id != relationship.related_character_id
        ]
        if len(others) >= MAX_RELATIONSHIPS:
            raise InvalidInput(
                f"A character has at most {MAX_RELATIONSHIPS} relationships.", "relatedCharacterId"
            )
        self._set_relationship(actor, relationship, "declared")

    def learn_from_play(
        self, actor: Actor, skill: Skill, context: str, caused_by: DomainEvent
    ) -> None:
        """The rules of play raised a skill: no owner's consent is asked, since the
        turn's player was already allowed to act, and the change follows from play."""
        self._set_skill(actor, skill, SkillAcquisition.EXPERIENCE, context, caused_by)

    def can_relate_to(self, character_id: uuid.UUID) -> bool:
        """Whether a relationship to `character_id` can be formed or changed."""
        known = any(r.related_character_id == character_id for r in self.relationships)
        return character_id != self.id and (known or len(self.relationships) < MAX_RELATIONSHIPS)

    def relate_through_play(
        self, actor: Actor, relationship: Relationship, caused_by: DomainEvent
    ) -> None:
        """What another character did in play changed how this one regards it; like
        `learn_from_play`, the rules decide this, not the owner."""
        others = [
            r
            for r in self.relationships
            if r.related_character_id != relationship.related_character_id
        ]
        if relationship.related_character_id == self.id or len(others) >= MAX_RELATIONSHIPS:
            raise InvalidInput(
                f"{self.name} cannot relate to this character in play.", "relatedCharacterId"
            )
        self._set_relationship(actor, relationship, "play", caused_by)

    def develop_through_play(
        self, actor: Actor, signals: list[dev.Signal], caused_by: DomainEvent
    ) -> None:
        """An action told this character `signals`: its runs of outcomes go on, and a
        run that completes drifts its personality, recorded with the events that made
        the run. Like `learn_from_play`, the rules decide this, not the owner."""
        developed, evolution = dev.observe(
            self.development, self.personality.as_dict(), signals, caused_by.event_id
        )
        if developed == self.development:
            return
        self.development = developed
        self._touch()
        if evolution is None:
            return
        self.personality = Personality(**evolution.traits)
        self._record(
            actor,
            EventType.CHARACTER_PERSONALITY_EVOLVED,
            {
                "characterId": str(self.id),
                "traitChanges": evolution.trait_changes,
                "triggeringEvents": [str(e) for e in evolution.triggering_events],
                "evolutionReason": evolution.reason,
                "personality": self.personality.as_dict(),
                "version": self.version,
            },
            caused_by=caused_by,
        )

    def _set_skill(
        self,
        actor: Actor,
        skill: Skill,
        method: SkillAcquisition,
        context: str,
        caused_by: DomainEvent | None = None,
    ) -> None:
        """Have `skill` at its level (replacing the same skill at another), as one event."""
        others = [s for s in self.skills if s.name.casefold() != skill.name.casefold()]
        self.skills = _unique_skills([*others, skill])
        self._touch()
        self._record(
            actor,
            EventType.CHARACTER_SKILL_GAINED,
            {
                "characterId": str(self.id),
                "skillName": skill.name,
                "skillLevel": skill.level,
                "acquisitionMethod": method.value,
                "context": require_text(context, "context", max_length=TEXT_MAX, allow_empty=True),
            },
            caused_by=caused_by,
        )

    def _set_relationship(
        self,
        actor: Actor,
        relationship: Relationship,
        formation: str,
        caused_by: DomainEvent | None = None,
    ) -> None:
        """Regard the related character as `relationship` says (replacing any earlier
        relationship to it), as one event saying how it was formed."""
        self.relationships = [
            r
            for r in self.relationships
            if r.related_character_id != relationship.related_character_id
        ] + [relationship]
        self._touch()
        self._record(
            actor,
            EventType.CHARACTER_RELATIONSHIP_FORMED,
            {
                "characterId": str(self.id),
                "relatedCharacterId": str(relationship.related_character_id),
                "relationshipType": relationship.type.value,
                "relationshipStrength": relationship.strength,
                "context": relationship.context,
                "formationEvent": formation,
            },
            caused_by=caused_by,
        )


# The events that set a character's personality, each saying what it became.
PERSONALITY_EVENTS = (
    EventType.CHARACTER_CREATED,
    EventType.CHARACTER_UPDATED,
    EventType.CHARACTER_PERSONALITY_EVOLVED,
)


def recorded_personality(event: DomainEvent) -> Personality | None:
    """The personality a character's event says it had from then on, if it says."""
    payload = event.payload
    if event.event_type is EventType.CHARACTER_CREATED:
        traits = payload.get("personalityTraits")
    elif event.event_type is EventType.CHARACTER_UPDATED:
        traits = (payload.get("changes") or {}).get("personality")
    elif event.event_type is EventType.CHARACTER_PERSONALITY_EVOLVED:
        traits = payload.get("personality")
    else:
        traits = None
    return Personality(**traits) if isinstance(traits, dict) else None


def _event_value(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Personality):
        return value.as_dict()
    return value
