"""Relay-style pages: bounded `first`, opaque cursors, and the Connection types."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

import strawberry
from strawberry.dataloader import DataLoader

from novel_engine.domain.errors import InvalidInput
from novel_engine.persistence.queries import ListKey, PageKey

T = TypeVar("T")
N = TypeVar("N")


class Listed(Protocol):
    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


L = TypeVar("L", bound=Listed)

DEFAULT_FIRST = 20
MAX_FIRST = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]  # (cursor, node)
    has_next_page: bool
    has_previous_page: bool


def check_first(first: int | None) -> int:
    if first is None:
        return DEFAULT_FIRST
    if not 0 <= first <= MAX_FIRST:
        raise InvalidInput(f"first must be between 0 and {MAX_FIRST}.", "first")
    return first


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, prefix: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(prefix):
        raise InvalidInput("after is not a cursor from this list.", "after")
    return text[len(prefix) :]


# A cursor's number: ASCII digits only ("²" passes str.isdigit), no larger than its
# column holds (a larger one would reach the database and overflow there).
_NUMBER = re.compile(r"[0-9]{1,19}")
INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1


def _number(body: str, message: str, largest: int = INT64_MAX) -> int:
    if not _NUMBER.fullmatch(body) or int(body) > largest:
        raise InvalidInput(message, "after")
    return int(body)


def position_cursor(position: int) -> str:
    return _encode(f"p:{position}")


def parse_position_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    # Stream positions are 32-bit.
    return _number(_decode(cursor, "p:"), "after is not a cursor from this list.", INT32_MAX)


def chunk_cursor(cursor: int) -> str:
    return _encode(f"n:{cursor}")


def parse_chunk_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    return _number(_decode(cursor, "n:"), "after is not a narrative chunk cursor.")


def number_cursor(kind: str, number: int) -> str:
    """A cursor holding one number of a kind of list (`kind` a letter of its own)."""
    return _encode(f"{kind}:{number}")


def parse_number_cursor(cursor: str | None, kind: str) -> int | None:
    if cursor is None:
        return None
    return _number(_decode(cursor, f"{kind}:"), "after is not a cursor from this list.")


def list_cursor(created_at: datetime, id: uuid.UUID) -> str:
    return _encode(f"l:{created_at.isoformat()}|{id}")


def parse_list_cursor(cursor: str | None) -> ListKey | None:
    if cursor is None:
        return None
    body = _decode(cursor, "l:")
    try:
        created_at, _, id = body.partition("|")
        return datetime.fromisoformat(created_at), uuid.UUID(id)
    except ValueError as exc:
        raise InvalidInput("after is not a cursor from this list.", "after") from exc


def page_of(items: list[tuple[str, T]], first: int, *, after_given: bool) -> Page[T]:
    """`items` was fetched with limit first + 1: the extra one only says there is more."""
    return Page(items[:first], len(items) > first, after_given)


async def list_page(
    fetch: Callable[[ListKey | None, int], Awaitable[list[L]]],
    first: int | None,
    after: str | None,
) -> Page[L]:
    """A page of a list ordered by (created_at, id)."""
    limit = check_first(first)
    found = await fetch(parse_list_cursor(after), limit + 1)
    items = [(list_cursor(x.created_at, x.id), x) for x in found]
    return page_of(items, limit, after_given=after is not None)


async def position_page(
    loader: DataLoader[PageKey, list[T]],
    parent_id: uuid.UUID,
    position: Callable[[T], int],
    first: int | None,
    after: str | None,
) -> Page[T]:
    """A page of children numbered 1, 2, 3, ... under one parent (events of a stream)."""
    limit = check_first(first)
    start = parse_position_cursor(after)
    found = await loader.load((parent_id, start, limit + 1))
    items = [(position_cursor(position(x)), x) for x in found]
    return page_of(items, limit, after_given=start > 0)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo


def connection(page: Page[T], convert: Callable[[T], N]) -> Connection[N]:
    edges = [Edge(cursor=cursor, node=convert(item)) for cursor, item in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
