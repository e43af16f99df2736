"""Inputs of the stories area."""

from __future__ import annotations

import strawberry

from novel_engine.graphql.enums import Genre, PlotPoint, StoryLength, Tone, Visibility


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


@strawberry.input(description="A story for the configured model to write.")
class GenerateStoryInput:
    title: str
    genre: Genre
    themes: list[str] | None = None
    tone: Tone = Tone.HEROIC
    character_ids: list[strawberry.ID] | None = None
    length: StoryLength = StoryLength.MEDIUM
    prompt: str = strawberry.field(
        default="", description="What the story is about, in your words (up to 4,000 characters)."
    )
    visibility: Visibility = Visibility.PRIVATE
