"""Validation helpers shared by the aggregates."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from novel_engine.domain.errors import InvalidInput

NAME_MAX = 200
TEXT_MAX = 10_000
JSON_MAX_BYTES = 256 * 1024

# Lone UTF-16 surrogates reach Python strings through JSON escapes ("\ud800") but have no
# UTF-8 form: once stored, every read that encodes them fails, for every reader. NUL
# ("\u0000") is refused by PostgreSQL's text and JSONB types, so it is not text either.
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def is_valid_text(value: str) -> bool:
    """True when `value` can be stored and encoded as UTF-8: no lone surrogate, no NUL."""
    return _NOT_TEXT.search(value) is None


def require_valid_text(value: str, field: str) -> str:
    """Return `value`, or raise InvalidInput naming `field` if it is not valid text."""
    if not is_valid_text(value):
        raise InvalidInput(
            f"{field} is not valid text: it holds a NUL character or a lone UTF-16 surrogate.",
            field,
        )
    return value


def require_text(value: str, field: str, *, max_length: int, allow_empty: bool = False) -> str:
    """Return `value` stripped, or raise InvalidInput naming `field`."""
    text = require_valid_text(value, field).strip()
    if not text and not allow_empty:
        raise InvalidInput(f"{field} must not be empty.", field)
    if len(text) > max_length:
        raise InvalidInput(f"{field} must be at most {max_length} characters.", field)
    return text


def require_unit_interval(value: float, field: str) -> float:
    if not isinstance(value, int | float) or math.isnan(value) or not 0.0 <= value <= 1.0:
        raise InvalidInput(f"{field} must be between 0.0 and 1.0.", field)
    return float(value)


def require_json_object(value: Any, field: str) -> dict[str, Any]:
    """A JSON object of bounded size whose keys and strings are valid text."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a JSON object.", field)
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field} is not valid JSON: {exc}.", field) from exc
    for item in _strings(value):
        require_valid_text(item, field)
    size = len(text.encode())
    if size > JSON_MAX_BYTES:
        raise InvalidInput(f"{field} must be at most {JSON_MAX_BYTES} bytes as JSON.", field)
    return value


def _strings(value: Any) -> list[str]:
    """Every key and string inside a JSON value, found without recursion."""
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON documents: unlike `==`, `1`, `1.0` and `true` are three values."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
