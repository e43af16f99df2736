"""Schema extensions: what clients may see of errors, and bounds on documents."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from novel_engine.domain.errors import DomainError

UNEXPECTED = "Unexpected error."


def _public(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error  # syntax, validation and variable errors speak for themselves
    if isinstance(original, DomainError):
        extensions = {"code": original.code.value, "field": original.field}
        message = original.message
    else:
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
        message = UNEXPECTED
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


class ErrorPolicy(SchemaExtension):
    """Expected failures keep their message and code; anything else is masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, ExecutionResult) and result.errors:
            result.errors = [_public(e) for e in result.errors]
