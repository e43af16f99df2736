"""Inputs of the campaigns area."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from novel_engine.graphql.enums import Perspective


@strawberry.input
class CreateCampaignInput:
    name: str
    description: str = ""
    world_state: JSON | None = strawberry.field(
        default=None,
        description="Any JSON object. The story engine reads `genre` and `tone` (a Genre "
        "or Tone value, lower case), `place` (where characters without a location are), "
        "`weather`, `timeOfDay` and `locations` (character id -> place).",
    )
    narration_style: str = strawberry.field(
        default="",
        description="How the chronicler writes this campaign's turns, in a few words "
        '(e.g. "terse, present-tense noir"); empty: the genre\'s own voice.',
    )


@strawberry.input(description="Settings to change; a field left out stays as it is.")
class CampaignSettingsInput:
    narration_style: str | None = strawberry.field(
        default=None,
        description="How the chronicler writes the campaign's turns from now on "
        "(up to 500 characters; empty: the genre's own voice).",
    )
    perspective: Perspective | None = strawberry.field(
        default=None,
        description="OMNISCIENT: every member sees the whole story. THROUGH_CHARACTERS: "
        "co-authors and viewers see only what the characters they play perceived; OWNER "
        "and GAMEMASTER see everything.",
    )
    strict_coherence: bool | None = strawberry.field(
        default=None,
        description="Refuse a turn that contradicts established facts (COHERENCE_VIOLATION) "
        "instead of playing it with warnings.",
    )
