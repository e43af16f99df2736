import uuid
from typing import Any

import pytest

from novel_engine.domain.actor import Actor
from novel_engine.domain.character import Character, Visibility
from novel_engine.domain.commands import (
    AddStoryEvent,
    CreateCharacter,
    CreateStory,
    GenerateStory,
)
from novel_engine.domain.errors import Forbidden, InvalidInput
from novel_engine.domain.events import EventType, utcnow
from novel_engine.domain.narration import NarrationStatus
from novel_engine.domain.session import Turn
from novel_engine.domain.story import (
    Assessment,
    Draft,
    GenerationStatus,
    Genre,
    PlotPoint,
    Story,
    StoryLength,
    StoryQuality,
    Tone,
    count_words,
)
from novel_engine.domain.writing import edited, genre_and_tone

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


def generation(**fields: Any) -> GenerateStory:
    return GenerateStory(
        **{"title": "The Salt Road", "genre": Genre.ADVENTURE, "themes": ("greed",), **fields}
    )


def test_a_requested_story_waits_for_its_text_and_records_its_brief() -> None:
    story = Story.request_generation(
        OWNER, generation(length=StoryLength.LONG, prompt="  a heist at sea  ")
    )
    assert story.generation_status is GenerationStatus.GENERATING
    assert (story.content, story.word_count, story.quality) == (None, None, None)
    [requested] = story.events
    assert requested.event_type is EventType.STORY_GENERATION_REQUESTED
    assert requested.payload["length"] == "long"
    assert requested.payload["configuration"] == {
        "visibility": "private",
        "prompt": "a heist at sea",
    }
    assert requested.payload["requestedBy"] == str(OWNER.user_id)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"prompt": "x" * 4001}, "prompt"),
        ({"prompt": "bad \x00 text"}, "prompt"),
        ({"themes": tuple(f"t{i}" for i in range(21))}, "themes"),
    ],
)
def test_a_story_request_with_a_bad_brief_is_refused(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Story.request_generation(OWNER, generation(**fields))
    assert caught.value.field == field


def test_a_story_is_written_once() -> None:
    story = Story.request_generation(OWNER, generation())
    draft = Draft("Mira sailed. It's done.", "offline/offline-1", tokens=12, seconds=0.5)
    grades = StoryQuality(0.5, 0.5, 0.5, 0.5, 0.5, 0.5)
    story.finish_generation(OWNER, draft, Assessment(grades, "measures"), story.events[0])

    assert (story.content, story.word_count, story.version) == (draft.text, 4, 3)
    with pytest.raises(InvalidInput):
        story.finish_generation(OWNER, draft, Assessment(grades, "measures"), story.events[0])
    with pytest.raises(InvalidInput):
        story.fail_generation(OWNER, "too late", story.events[0])


def test_a_session_with_nothing_narrated_compiles_to_no_story() -> None:
    with pytest.raises(InvalidInput) as caught:
        Story.compile(
            OWNER,
            title="Gloom, session 1",
            genre=Genre.HORROR,
            tone=Tone.DARK,
            character_ids=[],
            content=" \n ",
            session_id=uuid.uuid4(),
            campaign_id=uuid.uuid4(),
            turns=0,
        )
    assert caught.value.field == "sessionId"


def narrated(number: int, narrative: str) -> Turn:
    return Turn(
        id=uuid.uuid4(),
        session_id=uuid.uuid4(),
        campaign_id=uuid.uuid4(),
        number=number,
        actions=(),
        submitted_by=uuid.uuid4(),
        created_at=utcnow(),
        correlation_id=uuid.uuid4(),
        narration_status=NarrationStatus.DONE,
        narrative=narrative,
    )


def test_narrated_turns_are_edited_into_one_text_in_turn_order() -> None:
    turns = [
        narrated(2, "Bram  answered.\nThe lamp   went out.\n\n\n  Silence.  "),
        narrated(1, "Mira lit\tthe lamp."),
        narrated(3, "   "),
    ]
    assert edited(turns) == "Mira lit the lamp.\n\nBram answered. The lamp went out.\n\nSilence."


@pytest.mark.parametrize(
    ("world", "expected"),
    [
        ({}, (Genre.ADVENTURE, Tone.HEROIC)),
        ({"genre": "sci-fi", "tone": "dark"}, (Genre.SCI_FI, Tone.DARK)),
        ({"genre": "horror", "tone": "mysterious"}, (Genre.HORROR, Tone.MYSTERIOUS)),
        ({"genre": "western", "tone": 3}, (Genre.ADVENTURE, Tone.HEROIC)),
    ],
)
def test_a_campaign_s_genre_and_tone_come_from_its_world(
    world: dict[str, Any], expected: tuple[Genre, Tone]
) -> None:
    assert genre_and_tone(world) == expected


def test_words_are_counted_as_a_reader_counts_them() -> None:
    assert count_words("It's Mara\u2019s map. * * * She \u2014 at last \u2014 left.") == 7
