"""Expected failures as data: each error type carries `code`, `message` and `field`.

Every `DomainError` subclass gets its GraphQL type by derivation (`NotFound` ->
`NotFoundError`), so a new domain error cannot be left without one. A mutation's result
union names the domain errors it may answer with; `ResultUnion.attempt` turns those
into data and lets any other DomainError through as a top-level error that keeps its
message and code.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any, TypeVar

import strawberry

from novel_engine.domain import errors
from novel_engine.graphql.enums import ErrorCode

R = TypeVar("R")
S = TypeVar("S")


@strawberry.interface(description="An expected failure; nothing was changed.")
class Error:
    code: ErrorCode
    message: str
    field: str | None = strawberry.field(
        description="The input field at fault, as a dotted path, when one is."
    )

    @classmethod
    def from_domain(cls, exc: errors.DomainError) -> Error:
        return cls(code=exc.code, message=exc.message, field=exc.field)


@strawberry.type(description="The expected version is stale; nothing was changed.")
class VersionConflict(Error):
    current_version: int
    expected_version: int

    @classmethod
    def from_domain(cls, exc: errors.DomainError) -> Error:
        assert isinstance(exc, errors.VersionConflict)
        return cls(
            code=exc.code,
            message=exc.message,
            field=exc.field,
            current_version=exc.current_version,
            expected_version=exc.expected_version,
        )


# Each domain error's type, made once; VersionConflict's says more than code and message.
_TYPES: dict[type[errors.DomainError], type[Error]] = {errors.VersionConflict: VersionConflict}


def register_error_type(error: type[errors.DomainError], graphql_type: type[Error]) -> None:
    """Give a domain error a type that says more than code and message; its area calls
    this when imported, before any result union names the error."""
    if _TYPES.get(error, graphql_type) is not graphql_type:
        raise RuntimeError(f"{error.__name__} already has a GraphQL type.")
    _TYPES[error] = graphql_type


def domain_errors() -> Iterator[type[errors.DomainError]]:
    """Every DomainError subclass defined so far, parents before children."""
    pending = list(errors.DomainError.__subclasses__())
    while pending:
        error = pending.pop(0)
        yield error
        pending.extend(error.__subclasses__())


def error_type(error: type[errors.DomainError]) -> type[Error]:
    """The GraphQL type of a domain error: its name with `Error` appended, its
    docstring as the description."""
    if error not in _TYPES:
        name = error.__name__ if error.__name__.endswith("Error") else f"{error.__name__}Error"
        derived = type(name, (Error,), {"__module__": __name__})
        _TYPES[error] = strawberry.type(
            derived, name=name, description=error.__dict__.get("__doc__")
        )
    return _TYPES[error]


def error_types() -> list[type[Error]]:
    """The GraphQL types of every domain error, for the schema to register."""
    return [error_type(e) for e in domain_errors()]


class ResultUnion:
    """A mutation's result: its success type or one of the listed domain errors' types."""

    def __init__(self, name: str, success: type, *failures: type[errors.DomainError]) -> None:
        self.name = name
        self.success = success
        self.failures = failures

    @functools.cached_property
    def annotation(self) -> Any:
        """The union for Strawberry (the mutation's `graphql_type`)."""
        members = [self.success, *(error_type(f) for f in self.failures)]
        return Annotated[functools.reduce(operator.or_, members), strawberry.union(self.name)]

    async def attempt(
        self, run: Callable[[], Awaitable[R]], present: Callable[[R], S]
    ) -> S | Error:
        """Run a command; present its result, or the error type of the DomainError it
        raised.

        `run` is called inside the try: building domain values from the input (a trait
        out of range, a malformed id) may itself be the expected failure. A DomainError
        the union does not list (nor a parent of it) propagates: a top-level error that
        keeps its message and code.
        """
        try:
            result = await _with_retries(run)
        except errors.DomainError as exc:
            listed = next((f for f in type(exc).__mro__ if f in self.failures), None)
            if listed is None:
                raise
            return error_type(listed).from_domain(exc)
        return present(result)


CONCURRENT_RETRIES = 3


async def _with_retries(run: Callable[[], Awaitable[R]]) -> R:
    """Run a command, again when the database made it give way to a concurrent one
    (nothing of it was written); after the last try the ConcurrentChange is the answer."""
    for _ in range(CONCURRENT_RETRIES - 1):
        try:
            return await run()
        except errors.ConcurrentChange:
            continue
    return await run()
