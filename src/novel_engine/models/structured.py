"""Checking a structured answer against its JSON schema (the subset models are asked for).

SDKs do not validate (google-genai leaves `parsed` as None on bad JSON), so we do:
type, properties, required, additionalProperties, items, enum, minimum/maximum,
minLength/maxLength, minItems/maxItems.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from novel_engine.domain.language import JsonSchema
from novel_engine.models.errors import InvalidStructuredOutput

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def parse_structured(text: str, schema: JsonSchema) -> object:
    """The JSON value in `text`, or InvalidStructuredOutput saying where it is wrong."""
    try:
        value: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidStructuredOutput(f"the answer is not JSON: {exc}") from exc
    problem = schema_problem(value, schema, "$")
    if problem is not None:
        raise InvalidStructuredOutput(problem)
    return value


def schema_problem(value: object, schema: JsonSchema, path: str) -> str | None:
    """The first way `value` breaks `schema`, or None when it matches."""
    expected = schema.get("type")
    if expected is not None:
        names = [expected] if isinstance(expected, str) else list(_as_sequence(expected))
        if not any(_is_type(value, str(name)) for name in names):
            return f"{path} should be {' or '.join(map(str, names))}"
    enum = schema.get("enum")
    if isinstance(enum, Sequence) and value not in enum:
        return f"{path} should be one of {list(enum)}"
    return _bounds_problem(value, schema, path) or _nested_problem(value, schema, path)


def _nested_problem(value: object, schema: JsonSchema, path: str) -> str | None:
    if isinstance(value, dict):
        properties = _as_mapping(schema.get("properties"))
        for name in _as_sequence(schema.get("required")):
            if name not in value:
                return f"{path}.{name} is missing"
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(properties))
            if extra:
                return f"{path}.{extra[0]} is not allowed"
        for name, sub in properties.items():
            if name in value and isinstance(sub, Mapping):
                problem = schema_problem(value[name], sub, f"{path}.{name}")
                if problem:
                    return problem
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        for index, item in enumerate(value):
            problem = schema_problem(item, items, f"{path}[{index}]")
            if problem:
                return problem
    return None


def _bounds_problem(value: object, schema: JsonSchema, path: str) -> str | None:
    checks: list[tuple[str, float, bool]] = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        checks = [("minimum", value, True), ("maximum", value, False)]
    elif isinstance(value, str):
        checks = [("minLength", len(value), True), ("maxLength", len(value), False)]
    elif isinstance(value, list):
        checks = [("minItems", len(value), True), ("maxItems", len(value), False)]
    for keyword, measure, is_lower in checks:
        bound = schema.get(keyword)
        if not isinstance(bound, int | float):
            continue
        if (measure < bound) if is_lower else (measure > bound):
            return f"{path} breaks {keyword} {bound}"
    return None


def _is_type(value: object, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(name, (object,)))


def _as_mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _as_sequence(value: object) -> Sequence[object]:
    return value if isinstance(value, list | tuple) else ()
