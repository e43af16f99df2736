"""What the coherence check found in a turn, and the refusal of strict mode."""

from __future__ import annotations

import strawberry

from novel_engine.domain import coherence as domain
from novel_engine.domain import errors
from novel_engine.graphql.enums import CoherenceRule, CoherenceSeverity
from novel_engine.graphql.errors import Error, register_error_type


@strawberry.type(
    description="One way a turn does not fit what the story established, and the event "
    "that established it."
)
class CoherenceWarning:
    message: str
    event_id: strawberry.ID | None = strawberry.field(
        description="The event the action conflicts with: the world change that put a "
        "character where it stands or hurt it, or the actor's earlier dialogue. Null when "
        "no event did (a place the campaign began with)."
    )
    severity: CoherenceSeverity = strawberry.field(
        description="ERROR refuses the turn in a campaign with strictCoherence; WARNING never does."
    )
    rule: CoherenceRule
    action_index: int = strawberry.field(description="The action at fault, from 0.")

    @classmethod
    def from_model(cls, w: domain.CoherenceWarning) -> CoherenceWarning:
        return cls(
            message=w.message,
            event_id=strawberry.ID(str(w.event_id)) if w.event_id else None,
            severity=w.severity,
            rule=w.rule,
            action_index=w.action_index,
        )


@strawberry.type(description=errors.CoherenceViolation.__doc__)
class CoherenceViolationError(Error):
    warnings: list[CoherenceWarning] = strawberry.field(
        description="Everything the check found, ERRORs and WARNINGs."
    )

    @classmethod
    def from_domain(cls, exc: errors.DomainError) -> Error:
        assert isinstance(exc, errors.CoherenceViolation)
        return cls(
            code=exc.code,
            message=exc.message,
            field=exc.field,
            warnings=[CoherenceWarning.from_model(w) for w in exc.warnings],
        )


register_error_type(errors.CoherenceViolation, CoherenceViolationError)
