"""Validation helpers shared by the aggregates."""

from __future__ import annotations

import json
import math
from typing import Any

from novel_engine.domain.errors import InvalidInput

NAME_MAX = 200
TEXT_MAX = 10_000
JSON_MAX_BYTES = 256 * 1024


def require_text(value: str, field: str, *, max_length: int, allow_empty: bool = False) -> str:
    """Return `value` stripped, or raise InvalidInput naming `field`."""
    text = value.strip()
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
    """A JSON object of bounded size; anything else is InvalidInput."""
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a JSON object.", field)
    try:
        size = len(json.dumps(value, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{field} is not valid JSON: {exc}.", field) from exc
    if size > JSON_MAX_BYTES:
        raise InvalidInput(f"{field} must be at most {JSON_MAX_BYTES} bytes as JSON.", field)
    return value
