"""A structured answer is accepted only as JSON matching its schema."""

from __future__ import annotations

import pytest

from novel_engine.models.errors import InvalidStructuredOutput
from novel_engine.models.structured import parse_structured

BEAT = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 1},
        "tension": {"type": "number", "minimum": 0, "maximum": 1},
        "characters": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "tone": {"enum": ["dark", "light"]},
    },
    "required": ["summary", "tension"],
    "additionalProperties": False,
}


def test_a_matching_answer_is_parsed() -> None:
    text = '{"summary": "A duel.", "tension": 0.8, "characters": ["Ada"], "tone": "dark"}'
    assert parse_structured(text, BEAT) == {
        "summary": "A duel.",
        "tension": 0.8,
        "characters": ["Ada"],
        "tone": "dark",
    }


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"summary": "A duel.", "tension": 0.8', "not JSON"),
        ('{"tension": 0.8}', "summary is missing"),
        ('{"summary": "", "tension": 0.8}', "minLength"),
        ('{"summary": "A", "tension": 1.5}', "maximum"),
        ('{"summary": "A", "tension": true}', "tension should be number"),
        ('{"summary": "A", "tension": 0.1, "characters": ["a", 2]}', "characters[1]"),
        ('{"summary": "A", "tension": 0.1, "characters": ["a", "b", "c"]}', "maxItems"),
        ('{"summary": "A", "tension": 0.1, "tone": "grey"}', "one of"),
        ('{"summary": "A", "tension": 0.1, "mood": "x"}', "mood is not allowed"),
        ('["A", 0.1]', "should be object"),
    ],
)
def test_an_answer_breaking_its_schema_is_refused_saying_where(text: str, where: str) -> None:
    with pytest.raises(InvalidStructuredOutput) as caught:
        parse_structured(text, BEAT)
    assert where in caught.value.reason
