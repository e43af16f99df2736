"""Parsed and validated documents for operations run outside Strawberry's own pipeline
(the live path), with the same limits as every request: which operation to run, and
which root field a subscription asks for."""

from __future__ import annotations

from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    Executor,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields
from strawberry import Schema

from novel_engine.graphql.schema import CACHE_SIZE, MAX_TOKENS, OPERATION_LIMITS

NAME_THE_OPERATION = "Name the operation to run with operationName."


@dataclass(frozen=True)
class Prepared:
    document: DocumentNode
    operations: tuple[OperationDefinitionNode, ...]

    def operation(self, name: str | None) -> OperationDefinitionNode | GraphQLError:
        """The named operation, or the only one. A document with several must name the
        one to run (the spec's GetOperation), over every transport alike."""
        if name is None:
            if len(self.operations) == 1:
                return self.operations[0]
            return GraphQLError(NAME_THE_OPERATION)
        named = next((o for o in self.operations if o.name and o.name.value == name), None)
        return named or GraphQLError(f"Unknown operation named '{name}'.")


def subscription_root_field(executor: Executor[Any]) -> FieldDetails:
    """The root field of the executor's subscription as execution finds it: through
    fragment spreads and inline fragments, with @skip and @include applied. Validation
    leaves exactly one."""
    schema = executor.schema
    root_type = schema.subscription_type
    assert root_type is not None, "the schema has subscriptions"
    grouped = collect_fields(
        schema,
        executor.fragments,
        executor.variable_values,
        root_type,
        executor.operation,
        executor.hide_suggestions,
    ).grouped_field_set
    details = next(iter(grouped.values()))
    return details[0]


class _VariableUses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.counts[node.name.value] += 1


def variable_uses(document: DocumentNode, operation: OperationDefinitionNode) -> Counter[str]:
    """How often each variable is used in the operation and the document's fragments
    (definitions left out): whether a variable feeds anything but one argument."""
    uses = _VariableUses()
    visit(operation.selection_set, uses)
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            visit(definition.selection_set, uses)
    return uses.counts


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
