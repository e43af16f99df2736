"""Reading what a character perceived and holds."""

from __future__ import annotations

import strawberry

from novel_engine.domain.services import perceiving
from novel_engine.graphql.context import Info
from novel_engine.graphql.ids import require_id
from novel_engine.graphql.perception.types import TurnBrief


@strawberry.type
class PerceptionQuery:
    @strawberry.field(
        description="A character's turn brief: where it is, who is there, what it believes "
        "and perceived, its goals. For the character's player, the campaign's OWNER and "
        "GAMEMASTER."
    )
    async def turn_brief(
        self, info: Info, session_id: strawberry.ID, character_id: strawberry.ID
    ) -> TurnBrief | None:
        ctx = info.context
        found = await perceiving.turn_brief(
            ctx.services.reading(),
            ctx.actor(),
            require_id(session_id, "sessionId", "session"),
            require_id(character_id, "characterId", "character"),
        )
        return TurnBrief.from_model(found)
