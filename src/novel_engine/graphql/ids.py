"""GraphQL IDs are UUIDs; anything else names nothing."""

from __future__ import annotations

import uuid

from novel_engine.domain.errors import NotFound


def parse_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def require_id(value: str, field: str, what: str) -> uuid.UUID:
    parsed = parse_id(value)
    if parsed is None:
        raise NotFound(f"No {what} with this id.", field)
    return parsed
