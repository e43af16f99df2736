"""Starting and ending sessions, and playing turns."""

from __future__ import annotations

import strawberry

from novel_engine.domain import commands, errors
from novel_engine.domain.services import sessions as service
from novel_engine.domain.session import Action
from novel_engine.graphql.campaigns.mutations import CHANGE_ERRORS
from novel_engine.graphql.context import Info
from novel_engine.graphql.errors import Error, ResultUnion
from novel_engine.graphql.ids import require_id
from novel_engine.graphql.sessions import coherence as _coherence  # noqa: F401  its error type
from novel_engine.graphql.sessions.inputs import ActionInput, TurnInput
from novel_engine.graphql.sessions.types import Session, Turn

StartSessionResult = ResultUnion(
    "StartSessionResult", Session, *CHANGE_ERRORS, errors.AlreadyExists
)
EndSessionResult = ResultUnion("EndSessionResult", Session, *CHANGE_ERRORS, errors.SessionNotActive)
SubmitTurnResult = ResultUnion(
    "SubmitTurnResult",
    Turn,
    *CHANGE_ERRORS,
    errors.SessionNotActive,
    errors.IdempotencyConflict,
    errors.CoherenceViolation,
)


def _action(index: int, given: ActionInput) -> Action:
    where = f"actions.{index}"
    return Action(
        require_id(given.character_id, f"{where}.characterId", "character"),
        given.kind,
        given.intent,
        tuple(require_id(t, f"{where}.targetIds", "character") for t in given.target_ids or []),
    )


@strawberry.type
class SessionsMutation:
    @strawberry.mutation(
        description="Open a session; OWNER or GAMEMASTER, one at a time.",
        graphql_type=StartSessionResult.annotation,
    )
    async def start_session(self, info: Info, campaign_id: strawberry.ID) -> Session | Error:
        ctx = info.context
        return await StartSessionResult.attempt(
            lambda: service.start_session(
                ctx.uow(),
                ctx.actor(),
                commands.StartSession(require_id(campaign_id, "campaignId", "campaign")),
            ),
            Session.from_model,
        )

    @strawberry.mutation(graphql_type=EndSessionResult.annotation)
    async def end_session(self, info: Info, session_id: strawberry.ID) -> Session | Error:
        ctx = info.context
        return await EndSessionResult.attempt(
            lambda: service.end_session(
                ctx.uow(),
                ctx.actor(),
                commands.EndSession(require_id(session_id, "sessionId", "session")),
            ),
            Session.from_model,
        )

    @strawberry.mutation(
        description="Play a turn with characters you control (OWNER and GAMEMASTER may act "
        "for any). With an idempotencyKey, a retry returns the first result.",
        graphql_type=SubmitTurnResult.annotation,
    )
    async def submit_turn(
        self,
        info: Info,
        session_id: strawberry.ID,
        input: TurnInput,
        idempotency_key: str | None = None,
    ) -> Turn | Error:
        ctx = info.context
        return await SubmitTurnResult.attempt(
            lambda: service.submit_turn(
                ctx.uow(),
                ctx.actor(),
                commands.SubmitTurn(
                    require_id(session_id, "sessionId", "session"),
                    tuple(_action(i, a) for i, a in enumerate(input.actions)),
                    idempotency_key,
                ),
            ),
            Turn.from_model,
        )
