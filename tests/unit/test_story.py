import uuid
from typing import Any

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import Character, Visibility
from novel_engine.domain.commands import AddStoryEvent, CreateCharacter, CreateStory
from novel_engine.domain.errors import Forbidden, InvalidInput
from novel_engine.domain.events import EventType
from novel_engine.domain.story import Genre, PlotPoint, Story, Tone

OWNER = Actor(uuid.uuid4())
HERO = uuid.uuid4()


def make_story(themes: list[str] | None = None) -> Story:
    return Story.create(
        OWNER,
        CreateStory(
            title="The Drowned Map",
            genre=Genre.MYSTERY,
            themes=tuple(themes) if themes is not None else ("loss",),
            tone=Tone.DARK,
            visibility=Visibility.PRIVATE,
            character_ids=(HERO, HERO),
        ),
    )


def told(story: Story, description: str, **fields: Any) -> AddStoryEvent:
    return AddStoryEvent(story.id, description, **fields)


def test_creating_a_story_keeps_distinct_cast_and_records_an_event() -> None:
    story = make_story(["Loss", "loss", "memory"])
    assert story.character_ids == [HERO]
    assert story.themes == ["Loss", "memory"]
    assert story.events[0].event_type is EventType.STORY_CREATED
    assert story.events[0].payload["genre"] == "mystery"


def test_themes_are_bounded() -> None:
    with pytest.raises(InvalidInput) as caught:
        make_story([f"t{i}" for i in range(21)])
    assert caught.value.field == "themes"


def test_events_are_numbered_in_the_order_they_are_told() -> None:
    story = make_story()
    first = story.add_event(OWNER, told(story, "A map washes ashore.", character_ids=(HERO,)))
    second = story.add_event(
        OWNER, told(story, "The tide turns.", plot_point=PlotPoint.INCITING_INCIDENT)
    )
    assert (first.sequence, second.sequence) == (1, 2)
    assert story.events[-2].event_type is EventType.STORY_EVENT_ADDED
    assert story.events[-1].event_type is EventType.PLOT_POINT_REACHED
    assert story.events[-1].payload["plotPoint"] == "inciting-incident"


def test_an_event_involves_only_characters_of_the_story() -> None:
    story = make_story()
    with pytest.raises(InvalidInput) as caught:
        story.add_event(OWNER, told(story, "x", character_ids=(uuid.uuid4(),)))
    assert caught.value.field == "characterIds"
    assert story.entry_count == 0


def test_only_the_owner_tells_the_story() -> None:
    story = make_story()
    with pytest.raises(Forbidden):
        story.add_event(Actor(uuid.uuid4()), told(story, "x"))


def test_a_deleted_character_leaves_the_cast_but_not_the_events_it_was_in() -> None:
    hero = Character.create(OWNER, CreateCharacter("Hero"))
    story = make_story()
    story.character_ids.append(hero.id)
    entry = story.add_event(OWNER, told(story, "Met.", character_ids=(hero.id,)))
    deletion = hero.delete(OWNER)

    story.remove_deleted_character(OWNER, hero, deletion)

    assert story.character_ids == [HERO]
    assert entry.character_ids == (hero.id,)
    removed = story.events[-1]
    assert removed.event_type.value == "narratives.story.character-removed"
    assert removed.causation_id == deletion.event_id
    assert removed.payload["version"] == story.version == 3
