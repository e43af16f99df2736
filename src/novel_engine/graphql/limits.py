"""Bounds on a document's depth and aliases, measured without expanding fragments.

A fragment spread in several places is measured once per document and its figures
reused wherever it is spread. Walking each fragment once per path that reaches it
(as Strawberry's QueryDepthLimiter and MaxAliasesLimiter do) makes a document of
fragments that each spread the next twice cost 2^n walks: under a kilobyte of text
then holds a process's CPU for seconds. Here the work is linear in the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)


@dataclass(frozen=True)
class Figures:
    """What a selection set costs once every fragment in it is spread.

    `depth`: levels of fields with selections below this one (0: leaf fields only),
    introspection fields (`__schema`, `__type`) not counted. `aliases`: aliased fields,
    each counted as often as execution would meet it.
    """

    depth: int = 0
    aliases: int = 0


NOTHING = Figures()


class DocumentMeasure:
    """The figures of each operation of one document, each fragment measured once.

    `visits` counts the selections looked at: the work done, which tests hold to the
    document's size.
    """

    def __init__(self, document: DocumentNode) -> None:
        self.visits = 0
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        self._measured: dict[str, Figures] = {}
        for name in self._dependency_order():
            self._measured[name] = self._selections(self._fragments[name].selection_set)

    def operations(self) -> list[tuple[OperationDefinitionNode, Figures]]:
        return [(o, self._selections(o.selection_set)) for o in self._operations]

    def _selections(self, selection_set: SelectionSetNode) -> Figures:
        """Figures of a selection set; the fragments it spreads are measured already
        (or are part of a cycle, which the spec's NoFragmentCycles rule refuses)."""
        depth = aliases = 0
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                inner = self._field(selection)
            elif isinstance(selection, InlineFragmentNode):
                inner = self._selections(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self._measured.get(selection.name.value, NOTHING)
            else:  # pragma: no cover - the three kinds of selection are all there is
                continue
            depth = max(depth, inner.depth)
            aliases += inner.aliases
        return Figures(depth, aliases)

    def _field(self, field: FieldNode) -> Figures:
        alias = int(field.alias is not None)
        if field.selection_set is None:
            return Figures(0, alias)
        inner = self._selections(field.selection_set)
        # Introspection is not counted (nor was it by Strawberry's limiter): GraphiQL's
        # own introspection query nests deeper than any limit a client needs.
        depth = 0 if field.name.value.startswith("__") else inner.depth + 1
        return Figures(depth, alias + inner.aliases)

    def _dependency_order(self) -> list[str]:
        """Fragment names, each after the fragments it spreads (a depth-first walk kept
        on an explicit stack: a chain of hundreds of fragments fits in 5,000 tokens)."""
        order: list[str] = []
        seen: set[str] = set()
        for root in self._fragments:
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, iter(self._spreads(self._fragments[root].selection_set)))]
            while stack:
                name, pending = stack[-1]
                following = next((n for n in pending if n not in seen), None)
                if following is None:
                    stack.pop()
                    order.append(name)
                else:
                    seen.add(following)
                    spreads = self._spreads(self._fragments[following].selection_set)
                    stack.append((following, iter(spreads)))
        return order

    def _spreads(self, selection_set: SelectionSetNode) -> list[str]:
        """The known fragments spread directly in a selection set, at any nesting."""
        names: list[str] = []
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FragmentSpreadNode):
                if selection.name.value in self._fragments:
                    names.append(selection.name.value)
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                names.extend(self._spreads(selection.selection_set))
        return names


def operation_limits(max_depth: int, max_aliases: int) -> type[ValidationRule]:
    """A validation rule refusing operations deeper than `max_depth` and documents with
    more than `max_aliases` aliases. Build it once: a new rule class per request would
    defeat the validation cache, whose key includes the rules."""

    class OperationLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            measured = DocumentMeasure(node).operations()
            for operation, figures in measured:
                if figures.depth > max_depth:
                    name = operation.name.value if operation.name else "anonymous"
                    self.report_error(
                        GraphQLError(
                            f"'{name}' exceeds maximum operation depth of {max_depth}",
                            operation,
                        )
                    )
            aliases = sum(figures.aliases for _, figures in measured)
            if aliases > max_aliases:
                self.report_error(GraphQLError(f"{aliases} aliases found. Allowed: {max_aliases}"))

    return OperationLimits
