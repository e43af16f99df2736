"""Parsed and validated documents for operations run outside Strawberry's own pipeline
(subscriptions fanned out to many subscribers), with the same limits as every request."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
    validate,
)
from strawberry import Schema

from novel_engine.graphql.schema import CACHE_SIZE, MAX_TOKENS, OPERATION_LIMITS


@dataclass(frozen=True)
class Prepared:
    document: DocumentNode
    operations: tuple[OperationDefinitionNode, ...]

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        if name is None:
            return self.operations[0] if len(self.operations) == 1 else None
        return next((o for o in self.operations if o.name and o.name.value == name), None)


def subscription_root_field(operation: OperationDefinitionNode) -> FieldNode | None:
    """The single root field of a subscription, when written out as a field."""
    if operation.operation is not OperationType.SUBSCRIPTION:
        return None
    selections = operation.selection_set.selections
    if len(selections) == 1 and isinstance(selections[0], FieldNode):
        return selections[0]
    return None


class DocumentCache:
    def __init__(self, schema: Schema, size: int = CACHE_SIZE) -> None:
        self._schema = schema._schema
        self._size = size
        self._rules = (*specified_rules, OPERATION_LIMITS)
        self._cache: OrderedDict[str, Prepared | list[GraphQLError]] = OrderedDict()

    def prepare(self, query: str) -> Prepared | list[GraphQLError]:
        cached = self._cache.get(query)
        if cached is not None:
            self._cache.move_to_end(query)
            return cached
        prepared = self._prepare(query)
        self._cache[query] = prepared
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return prepared

    def _prepare(self, query: str) -> Prepared | list[GraphQLError]:
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return [error]
        errors = validate(self._schema, document, self._rules)
        if errors:
            return list(errors)
        operations = tuple(
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        )
        return Prepared(document, operations)
