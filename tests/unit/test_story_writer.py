"""The offline story writer and the story prompts: a brief becomes a story that reads like
prose, is the same every time, changes with its inputs and keeps to its length; the
assessment answers six scores within the schema."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from itertools import product

import pytest

from novel_engine.domain.character import CharacterKind, Personality
from novel_engine.domain.errors import InvalidInput
from novel_engine.domain.language import CallKey
from novel_engine.domain.scene import SceneCharacter
from novel_engine.domain.story import (
    QUALITY_CRITERIA,
    Genre,
    StoryLength,
    StoryQuality,
    Tone,
    count_words,
)
from novel_engine.domain.writing import Manuscript, StoryBrief
from novel_engine.models.structured import schema_problem
from novel_engine.narrative import story_words
from novel_engine.narrative.assessment import sentences
from novel_engine.narrative.offline import OfflineModel
from novel_engine.narrative.prompts import QUALITY_SCHEMA, assessment_request, story_request
from tests.unit.test_offline_model import printed_under_hash_seeds

MODEL = OfflineModel()
KEY = CallKey(job_id="job-1", step="story")

MIRA = SceneCharacter(
    "mira", "Mira", CharacterKind.PROTAGONIST, Personality(openness=0.9), "a cartographer"
)
VOSS = SceneCharacter("voss", "Admiral Voss", CharacterKind.ANTAGONIST, Personality(0.2))
TAM = SceneCharacter("tam", "Tam", CharacterKind.NPC, Personality(agreeableness=0.9))
JUN = SceneCharacter("jun", "Jun", CharacterKind.NPC, Personality(extraversion=0.9))
BRIEF = StoryBrief(
    title="The Drowned Map",
    genre=Genre.SCI_FI,
    tone=Tone.MYSTERIOUS,
    length=StoryLength.MEDIUM,
    themes=("loss", "memory"),
    cast=(TAM, MIRA, VOSS, JUN),
    prompt="A map of a flooded world washes up on a space station",
)


def test_the_same_brief_gives_the_same_story_word_for_word() -> None:
    assert MODEL.write(BRIEF) == OfflineModel().write(replace(BRIEF))


def test_the_story_does_not_depend_on_the_process_hash_seed() -> None:
    runs = printed_under_hash_seeds(
        "from test_story_writer import BRIEF, MODEL", "MODEL.write(BRIEF)"
    )
    assert runs == {MODEL.write(BRIEF)}


def test_a_story_reads_like_prose() -> None:
    story = MODEL.write(BRIEF)
    paragraphs = story.split("\n\n")
    told = sentences(story)

    assert len(paragraphs) >= 8
    assert all(p == p.strip() and "\n" not in p and "  " not in p for p in paragraphs)
    assert not re.search(r"[{}]", story), "a template was left unfilled"
    for sentence in told:
        assert sentence[0].isupper() or sentence[0] == '"', sentence
        assert sentence.endswith((".", "!", "?", '"')), sentence
    assert story.count('"') % 2 == 0
    assert len(set(told)) / len(told) > 0.9


def test_a_story_follows_its_brief() -> None:
    story = MODEL.write(BRIEF)
    for name in ("Mira", "Admiral Voss", "Tam", "Jun"):
        assert name in story
    assert "a map of a flooded world washes up on a space station" in story
    assert "loss" in story or "memory" in story
    # Only the brief's cast: no name from the genre's bank of stand-ins.
    assert not any(name in story for name in story_words.NAMES[Genre.SCI_FI])


@pytest.mark.parametrize("length", list(StoryLength))
def test_the_protagonist_leads_and_the_antagonist_opposes(length: StoryLength) -> None:
    story = MODEL.write(replace(BRIEF, length=length))
    assert '"It ends here, Admiral Voss."' in story
    assert story.count("Mira") > max(story.count(name) for name in ("Tam", "Jun"))


def test_a_brief_without_a_cast_gets_a_hero_a_foe_and_an_ally() -> None:
    story = MODEL.write(replace(BRIEF, cast=()))
    names = [n for n in story_words.NAMES[Genre.SCI_FI] if n in story]
    assert len(names) == 3


@pytest.mark.parametrize(
    "change",
    [
        {"title": "The Salt Road"},
        {"genre": Genre.HORROR},
        {"tone": Tone.COMEDIC},
        {"themes": ("greed",)},
        {"cast": (MIRA, VOSS)},
        {"prompt": "A ghost haunts the reactor"},
        {"length": StoryLength.SHORT},
    ],
)
def test_every_input_changes_the_story(change: dict[str, object]) -> None:
    assert MODEL.write(replace(BRIEF, **change)) != MODEL.write(BRIEF)  # type: ignore[arg-type]


def test_genres_and_tones_tell_different_stories_of_the_same_cast() -> None:
    base = set(sentences(MODEL.write(BRIEF)))
    other = set(sentences(MODEL.write(replace(BRIEF, genre=Genre.ROMANCE, tone=Tone.LIGHT))))
    assert len(base & other) / len(base) < 0.1


@pytest.mark.parametrize("length", list(StoryLength))
def test_a_story_keeps_to_its_length(length: StoryLength) -> None:
    for genre, tone in product(Genre, (Tone.DARK, Tone.COMEDIC)):
        words = count_words(MODEL.write(replace(BRIEF, genre=genre, tone=tone, length=length)))
        assert 0.85 * length.words <= words <= 1.15 * length.words, (genre, tone, words)


def test_the_story_request_tells_a_remote_model_the_whole_brief() -> None:
    request = story_request(BRIEF, KEY)
    for fact in ("The Drowned Map", "sci-fi", "mysterious", "loss, memory", "about 1000 words"):
        assert fact in request.prompt
    for character in BRIEF.cast:
        assert character.name in request.prompt
    assert BRIEF.prompt in request.prompt
    assert request.subject == BRIEF
    assert request.schema is None
    assert request.max_tokens >= StoryLength.MEDIUM.words


def test_the_offline_model_writes_from_the_request() -> None:
    answer = asyncio.run(MODEL.generate(story_request(BRIEF, KEY)))
    assert answer.text == MODEL.write(BRIEF)
    assert answer.output_tokens == len(answer.text.split())
    assert answer.model_used == "offline/offline-1"


def test_the_offline_assessment_matches_the_schema() -> None:
    request = assessment_request(Manuscript("The Drowned Map", MODEL.write(BRIEF)), KEY)
    answer = asyncio.run(MODEL.generate(request))

    assert request.schema == QUALITY_SCHEMA
    assert schema_problem(answer.data, QUALITY_SCHEMA, "$") is None
    assert json.loads(answer.text) == answer.data
    assert isinstance(answer.data, dict)
    assert StoryQuality.from_scores(answer.data).overall > 0.5


FULL = dict.fromkeys((*QUALITY_CRITERIA, "overall"), 0.5)
MISSING = {name: score for name, score in FULL.items() if name != "overall"}


@pytest.mark.parametrize(
    ("scores", "problem"),
    [
        (MISSING, "$.overall is missing"),
        ({**FULL, "overall": 1.5}, "$.overall breaks maximum 1"),
        ({**FULL, "coherence": -0.1}, "$.coherence breaks minimum 0"),
        ({**FULL, "overall": "high"}, "$.overall should be number"),
        ({**FULL, "mood": 0.5}, "$.mood is not allowed"),
    ],
)
def test_the_assessment_schema_holds_six_scores_within_0_and_1(
    scores: dict[str, object], problem: str
) -> None:
    assert schema_problem(FULL, QUALITY_SCHEMA, "$") is None
    assert schema_problem(scores, QUALITY_SCHEMA, "$") == problem


@pytest.mark.parametrize("scores", [MISSING, {**FULL, "overall": 1.5}, {**FULL, "overall": "high"}])
def test_a_quality_needs_all_six_scores_within_0_and_1(scores: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        StoryQuality.from_scores(scores)
    assert StoryQuality.from_scores(FULL).as_dict() == FULL


def test_a_longer_story_is_asked_for_with_more_tokens() -> None:
    short, _, long = (story_request(replace(BRIEF, length=n), KEY) for n in StoryLength)
    assert short.max_tokens < long.max_tokens
