"""Expected failures as data: each error type carries `code`, `message` and `field`."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from novel_engine.domain import errors
from novel_engine.schema.enums import ErrorCode


@strawberry.interface(description="An expected failure; nothing was changed.")
class Error:
    code: ErrorCode
    message: str
    field: str | None = strawberry.field(
        description="The input field at fault, as a dotted path, when one is."
    )


@strawberry.type
class InvalidInputError(Error):
    pass


@strawberry.type
class NotFoundError(Error):
    pass


@strawberry.type
class ForbiddenError(Error):
    pass


@strawberry.type
class AuthenticationRequiredError(Error):
    pass


@strawberry.type
class EmailTakenError(Error):
    pass


@strawberry.type
class InvalidCredentialsError(Error):
    pass


@strawberry.type
class AlreadyExistsError(Error):
    pass


@strawberry.type(description="The idempotency key was used for a different request.")
class IdempotencyConflictError(Error):
    pass


@strawberry.type
class SessionNotActiveError(Error):
    pass


@strawberry.type(description="The expected version is stale; nothing was changed.")
class VersionConflict(Error):
    current_version: int
    expected_version: int


ErrorType = (
    InvalidInputError
    | NotFoundError
    | ForbiddenError
    | AuthenticationRequiredError
    | EmailTakenError
    | InvalidCredentialsError
    | AlreadyExistsError
    | IdempotencyConflictError
    | SessionNotActiveError
    | VersionConflict
)

_SIMPLE: dict[type[errors.DomainError], type[Error]] = {
    errors.InvalidInput: InvalidInputError,
    errors.NotFound: NotFoundError,
    errors.Forbidden: ForbiddenError,
    errors.AuthenticationRequired: AuthenticationRequiredError,
    errors.EmailTaken: EmailTakenError,
    errors.InvalidCredentials: InvalidCredentialsError,
    errors.AlreadyExists: AlreadyExistsError,
    errors.IdempotencyConflict: IdempotencyConflictError,
    errors.SessionNotActive: SessionNotActiveError,
}


def as_error(exc: errors.DomainError) -> ErrorType:
    if isinstance(exc, errors.VersionConflict):
        return VersionConflict(
            code=exc.code,
            message=exc.message,
            field=exc.field,
            current_version=exc.current_version,
            expected_version=exc.expected_version,
        )
    error_type = _SIMPLE[type(exc)]
    return error_type(code=exc.code, message=exc.message, field=exc.field)  # type: ignore[return-value]


class PublicError(GraphQLError):
    """A top-level error meant for the client (not masked), e.g. a bad `first` on a list."""

    @classmethod
    def from_domain(cls, exc: errors.DomainError) -> PublicError:
        return cls(exc.message, extensions={"code": exc.code.value, "field": exc.field})
