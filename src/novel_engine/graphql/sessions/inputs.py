"""Inputs of the sessions area."""

from __future__ import annotations

import strawberry

from novel_engine.graphql.enums import ActionKind


@strawberry.input
class ActionInput:
    character_id: strawberry.ID
    kind: ActionKind
    intent: str
    target_ids: list[strawberry.ID] | None = None


@strawberry.input
class TurnInput:
    actions: list[ActionInput]
