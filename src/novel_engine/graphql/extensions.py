"""Schema extensions: what clients may see of errors, and bounds on documents."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from novel_engine.domain.errors import DomainError

UNEXPECTED = "Unexpected error."


def public_error(error: GraphQLError) -> GraphQLError:
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
            result.errors = [public_error(e) for e in result.errors]


class RequireOperationName(SchemaExtension):
    """A document with several operations must say which one to run (GraphQL spec,
    GetOperation); left alone, Strawberry would quietly run the first.

    Listed after ValidationCache: it adds its error to the cached validation's result.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not getattr(context.context, "operation_name_given", True):
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                context.pre_execution_errors = [
                    *(context.pre_execution_errors or []),
                    GraphQLError("Name the operation to run with operationName."),
                ]
        yield
