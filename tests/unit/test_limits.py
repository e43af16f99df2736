"""Depth and alias limits: the figures clients were held to before, computed in time
linear in the document however its fragments multiply."""

from __future__ import annotations

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    build_schema,
    parse,
    validate,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions.max_aliases import count_fields_with_alias
from strawberry.extensions.query_depth_limiter import create_validator

from novel_engine.graphql.limits import DocumentMeasure, Figures, operation_limits

SCHEMA = build_schema(
    """
    type Query { viewer: User, node(id: ID): User }
    type User { id: ID, name: String, friends: [User!]! }
    """
)


def bomb(levels: int, width: int, leaf: str = "viewer { id }") -> str:
    """Fragments that each spread the next `width` times: width**levels paths to the leaf."""
    fragments = [
        f"fragment F{i} on Query {{ {' '.join([f'...F{i + 1}'] * width)} }}" for i in range(levels)
    ]
    return " ".join(["{ ...F0 }", *fragments, f"fragment F{levels} on Query {{ {leaf} }}"])


class SelectionCount(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def enter(self, node: object, *_args: object) -> None:
        if isinstance(node, FieldNode | InlineFragmentNode | FragmentSpreadNode):
            self.count += 1


def selections_in(document: DocumentNode) -> int:
    counter = SelectionCount()
    visit(document, counter)
    return counter.count


@pytest.mark.parametrize(("levels", "width"), [(10, 2), (20, 2), (40, 2), (6, 10), (12, 10)])
def test_each_selection_is_looked_at_at_most_twice_however_fragments_multiply(
    levels: int, width: int
) -> None:
    document = parse(bomb(levels, width, leaf="a: viewer { b: id }"))

    measure = DocumentMeasure(document)
    [(_, figures)] = measure.operations()

    assert figures == Figures(depth=1, aliases=2 * width**levels)
    assert measure.visits <= 2 * selections_in(document)


DOCUMENTS = [
    "{ viewer { id } }",
    "{ a: viewer { b: friends { c: name } } d: node(id: 1) { id } }",
    "query Q { viewer { ...Deep } } fragment Deep on User { friends { friends { ...Leaf } } }"
    " fragment Leaf on User { n: name friends { id } }",
    "{ viewer { ... on User { friends { ... { x: id } } } } }",
    "{ __schema { types { fields { type { ofType { name } } } } } viewer { __typename } }",
    "query A { viewer { id } } query B { viewer { friends { m: id } } } fragment U on User { id }",
    "{ ...Twice ...Twice } fragment Twice on Query { v: viewer { friends { f: friends { id } } } }",
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_figures_are_those_clients_were_held_to_before(document: str) -> None:
    parsed = parse(document)
    depths: dict[str, int] = {}
    validate(SCHEMA, parsed, [create_validator(99, None, depths.update)])

    measured = DocumentMeasure(parsed).operations()

    assert {(o.name.value if o.name else "anonymous"): f.depth for o, f in measured} == depths
    fragments = {d.name.value: d for d in parsed.definitions if hasattr(d, "type_condition")}
    assert sum(f.aliases for _, f in measured) == sum(
        count_fields_with_alias(o, fragments) for o, _ in measured
    )


def errors(document: str, max_depth: int = 3, max_aliases: int = 2) -> list[str]:
    rule = operation_limits(max_depth, max_aliases)
    return [e.message for e in validate(SCHEMA, parse(document), [rule])]


def test_operations_deeper_than_the_limit_are_refused_by_name() -> None:
    assert errors("{ viewer { friends { friends { id } } } }") == []
    far = "query Far { viewer { ...F } } fragment F on User { friends { friends { friends {id}}} }"
    assert errors(far) == ["'Far' exceeds maximum operation depth of 3"]


def test_aliases_are_counted_as_often_as_their_fragment_is_spread() -> None:
    assert errors("{ a: viewer { id } b: viewer { id } }") == []
    assert errors("{ ...T ...T } fragment T on Query { a: viewer { b: id } }") == [
        "4 aliases found. Allowed: 2"
    ]


def test_fragment_cycles_and_unknown_fragments_do_not_hang_the_measure() -> None:
    # the spec's own rules refuse both; the measure must only finish
    cyclic = "{ viewer { ...A } } fragment A on User { friends { ...B } } fragment B on User {...A}"
    assert errors(cyclic, max_depth=99) == []
    assert errors("{ viewer { ...Missing } }") == []


def test_a_chain_of_thousands_of_fragments_is_measured_without_deep_recursion() -> None:
    links = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(3000)]
    document = " ".join(["{ ...F0 }", *links, "fragment F3000 on Query { a: viewer { id } }"])

    [(_, figures)] = DocumentMeasure(parse(document)).operations()

    assert figures == Figures(depth=1, aliases=1)
