"""Expected failures of the domain: each carries a machine-readable code."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from novel_engine.domain.coherence import CoherenceWarning


class ErrorCode(Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    SESSION_NOT_ACTIVE = "SESSION_NOT_ACTIVE"
    CONCURRENT_CHANGE = "CONCURRENT_CHANGE"
    VIEWPOINT_CHANGED = "VIEWPOINT_CHANGED"
    COHERENCE_VIOLATION = "COHERENCE_VIOLATION"


class DomainError(Exception):
    """A failure the caller can act on; never a bug."""

    code: ErrorCode = ErrorCode.INVALID_INPUT

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = ErrorCode.INVALID_INPUT


class NotFound(DomainError):
    """Nothing by that id that the caller may see: existence is never leaked."""

    code = ErrorCode.NOT_FOUND


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN


class AuthenticationRequired(DomainError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "Sign in to do this.") -> None:
        super().__init__(message)


class VersionConflict(DomainError):
    code = ErrorCode.VERSION_CONFLICT

    def __init__(self, expected: int, current: int, field: str | None = "expectedVersion") -> None:
        super().__init__(
            f"Expected version {expected} but the current version is {current}.", field
        )
        self.expected_version = expected
        self.current_version = current


class EmailTaken(DomainError):
    code = ErrorCode.EMAIL_TAKEN

    def __init__(self) -> None:
        super().__init__("An account with this email already exists.", "email")


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS

    def __init__(self) -> None:
        super().__init__("Email or password is wrong.")


class AlreadyExists(DomainError):
    code = ErrorCode.ALREADY_EXISTS


class IdempotencyConflict(DomainError):
    """The idempotency key was used for a different request."""

    code = ErrorCode.IDEMPOTENCY_CONFLICT

    def __init__(self) -> None:
        super().__init__("This idempotency key was used for a different request.", "idempotencyKey")


class SessionNotActive(DomainError):
    code = ErrorCode.SESSION_NOT_ACTIVE


class ConcurrentChange(DomainError):
    """Another change to the same things crossed this one (the database chose this one to
    give way); nothing was written, and running the command again is safe."""

    code = ErrorCode.CONCURRENT_CHANGE

    def __init__(self) -> None:
        super().__init__("Another change crossed this one; nothing was written. Try again.")


class ViewpointChanged(DomainError):
    """A stream seen through characters went past an event that changes what its
    viewer sees (the campaign's perspective, the characters the viewer plays): it ends
    there, and subscribing again after that event continues from the new viewpoint."""

    code = ErrorCode.VIEWPOINT_CHANGED

    def __init__(self, position: int | None) -> None:
        if position is None:  # a narrative stream: it ends before the next telling
            super().__init__(
                "What you read of this session changed; subscribe again after the last "
                "chunk you received."
            )
            return
        super().__init__(
            f"What you see of this campaign changed at position {position}; subscribe "
            "again after that event's cursor."
        )


class CoherenceViolation(DomainError):
    """The turn contradicts what the story established, and the campaign is in strict
    mode: nothing was played or written. `warnings` says what and which events."""

    code = ErrorCode.COHERENCE_VIOLATION

    def __init__(self, warnings: Sequence[CoherenceWarning]) -> None:
        blocking = next(w for w in warnings if w.blocks)
        super().__init__(
            f"This campaign refuses incoherent turns. {blocking.message}",
            f"actions.{blocking.action_index}",
        )
        self.warnings = tuple(warnings)
