"""Inputs of the campaigns area."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON


@strawberry.input
class CreateCampaignInput:
    name: str
    description: str = ""
    world_state: JSON | None = None
