import uuid

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import (
    Character,
    CharacterChanges,
    CharacterKind,
    Personality,
    Relationship,
    RelationshipType,
    Skill,
    SkillAcquisition,
    Visibility,
)
from novel_engine.domain.commands import CreateCharacter
from novel_engine.domain.errors import (
    AlreadyExists,
    AuthenticationRequired,
    Forbidden,
    InvalidInput,
    VersionConflict,
)
from novel_engine.domain.events import EventType

OWNER = Actor(uuid.uuid4())
STRANGER = Actor(uuid.uuid4())


def make_character(**overrides: object) -> Character:
    fields: dict[str, object] = {
        "name": "Mira",
        "kind": CharacterKind.PROTAGONIST,
        "personality": Personality(openness=0.9),
        "background": "A cartographer.",
        "visibility": Visibility.PRIVATE,
    }
    fields.update(overrides)
    return Character.create(OWNER, CreateCharacter(**fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan"), float("inf")])
def test_personality_traits_outside_zero_to_one_are_rejected_with_the_trait_named(
    value: float,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        Personality(neuroticism=value)
    assert caught.value.field == "personality.neuroticism"


def test_creating_records_the_catalog_event() -> None:
    character = make_character(skills=(Skill("maps", 7),))

    [event] = character.events
    assert event.event_type is EventType.CHARACTER_CREATED
    assert event.event_type.value == "characters.character.created"
    assert event.aggregate_id == character.id
    assert event.user_id == OWNER.user_id
    assert event.payload["type"] == "protagonist"
    assert event.payload["personalityTraits"]["openness"] == 0.9
    assert event.payload["createdBy"] == str(OWNER.user_id)
    assert event.correlation_id == OWNER.correlation_id


def test_anonymous_users_cannot_create_characters() -> None:
    with pytest.raises(AuthenticationRequired):
        Character.create(Actor.anonymous(), CreateCharacter("x", visibility=Visibility.PUBLIC))


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("   ", "name"), ("x" * 201, "name")])
def test_names_must_be_present_and_bounded(name: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_character(name=name)
    assert caught.value.field == field


def test_update_with_current_version_changes_fields_and_bumps_version() -> None:
    character = make_character()
    character.events.clear()

    character.update(OWNER, 1, CharacterChanges(name="Mira Vey", background="Older now."))

    assert (character.name, character.version) == ("Mira Vey", 2)
    [event] = character.events
    assert event.event_type is EventType.CHARACTER_UPDATED
    assert event.payload["changes"] == {"name": "Mira Vey", "background": "Older now."}
    assert event.payload["previousValues"] == {"name": "Mira", "background": "A cartographer."}


def test_stale_version_is_rejected_with_current_version() -> None:
    character = make_character()
    character.update(OWNER, 1, CharacterChanges(name="Two"))
    character.events.clear()

    with pytest.raises(VersionConflict) as caught:
        character.update(OWNER, 1, CharacterChanges(name="Three"))

    assert caught.value.current_version == 2
    assert character.name == "Two"
    assert character.events == []


def test_only_the_owner_changes_a_character() -> None:
    character = make_character()
    with pytest.raises(Forbidden):
        character.update(STRANGER, 1, CharacterChanges(name="Stolen"))
    with pytest.raises(Forbidden):
        character.delete(STRANGER)


def test_an_update_that_changes_nothing_records_nothing() -> None:
    character = make_character()
    character.events.clear()
    character.update(OWNER, 1, CharacterChanges(name="Mira"))
    assert character.events == []
    assert character.version == 1


def test_private_characters_are_visible_only_to_their_owner() -> None:
    character = make_character(visibility=Visibility.PRIVATE)
    assert character.is_visible_to(OWNER.user_id)
    assert not character.is_visible_to(STRANGER.user_id)
    assert not character.is_visible_to(None)
    assert make_character(visibility=Visibility.PUBLIC).is_visible_to(None)


def test_skill_names_are_unique_ignoring_case() -> None:
    with pytest.raises(InvalidInput):
        make_character(skills=[Skill("Maps", 3), Skill("maps", 4)])


def test_gaining_a_skill_raises_its_level_but_never_lowers_it() -> None:
    character = make_character(skills=[Skill("maps", 3)])
    character.gain_skill(OWNER, Skill("Maps", 5), SkillAcquisition.TRAINING)
    assert character.skills == [Skill("Maps", 5)]
    assert character.events[-1].payload["acquisitionMethod"] == "training"
    with pytest.raises(AlreadyExists):
        character.gain_skill(OWNER, Skill("maps", 2), SkillAcquisition.TRAINING)


def test_a_character_cannot_relate_to_itself() -> None:
    character = make_character()
    with pytest.raises(InvalidInput):
        character.form_relationship(OWNER, Relationship(character.id, RelationshipType.ALLY, 0.5))


def test_forming_a_relationship_again_replaces_it() -> None:
    character = make_character()
    other = uuid.uuid4()
    character.form_relationship(OWNER, Relationship(other, RelationshipType.ALLY, 0.5))
    character.form_relationship(OWNER, Relationship(other, RelationshipType.ENEMY, 0.9))
    assert character.relationships == [Relationship(other, RelationshipType.ENEMY, 0.9)]
    assert character.events[-1].payload["relationshipType"] == "enemy"
    with pytest.raises(InvalidInput) as caught:
        Relationship(other, RelationshipType.ALLY, 1.5)
    assert caught.value.field == "relationship.strength"


def test_names_and_skills_with_a_lone_surrogate_are_refused() -> None:
    with pytest.raises(InvalidInput) as name:
        make_character(name="Mi\ud800ra")
    with pytest.raises(InvalidInput) as skill:
        Skill("ma\udfffps", 3)
    assert (name.value.field, skill.value.field) == ("name", "skills.name")


def test_a_relationship_to_a_deleted_character_ends_because_of_its_deletion() -> None:
    ally, rival = (
        make_character(name="Ally"),
        Character.create(
            STRANGER,
            CreateCharacter(
                name="Rival",
                kind=CharacterKind.NPC,
                personality=Personality(),
                background="",
                visibility=Visibility.PUBLIC,
            ),
        ),
    )
    ally.form_relationship(OWNER, Relationship(rival.id, RelationshipType.ENEMY, 0.7))
    keep = Relationship(uuid.uuid4(), RelationshipType.ALLY, 0.5)
    ally.form_relationship(OWNER, keep)
    deletion = rival.delete(STRANGER)

    with pytest.raises(Forbidden):
        ally.end_relationship_with_deleted(OWNER, rival, deletion)
    ally.end_relationship_with_deleted(STRANGER, rival, deletion)

    assert ally.relationships == [keep]
    assert ally.version == 4
    ended = ally.events[-1]
    assert ended.event_type.value == "characters.character.relationship-ended"
    assert ended.causation_id == deletion.event_id
    assert ended.user_id == STRANGER.user_id
    assert ended.payload["relatedCharacterId"] == str(rival.id)
    assert ended.payload["relationshipType"] == "enemy"
