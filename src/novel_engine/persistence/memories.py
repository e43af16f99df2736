"""Memories: written by the memories projection, read newest first or ranked for a query.

A ranked query never scans a character's memories: its candidates are the top
`CANDIDATES` by full-text rank (SQLite FTS5 bm25, PostgreSQL ts_rank over the GIN
index), by importance and by last recall (B-tree indexes), scored in Python
(domain/memory.py `rank`). User text reaches the full-text engines only as words: see
`search_words`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    column,
    delete,
    func,
    literal_column,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from novel_engine.domain.memory import Candidate, Memory, Ranked, RetrievalWeights, rank
from novel_engine.domain.perception import MemoryKind
from novel_engine.persistence.tables import campaign_characters, memories, projection_checkpoints

MEMORIES = "memories"  # the projection's checkpoint name
_REFLECTED = "reflected:"  # + character id: the last memory id the character reflected on
CANDIDATES = 100  # per source (full text, importance, recency) for a ranked query
# The full-text rank is computed over at most this many matching memories, the latest.
SEARCHED = 1_000
# Words too common to tell memories apart (English; PostgreSQL's configuration drops
# them too, SQLite's tokenizer does not).
_COMMON = (
    "a an and are as at be but by for from had has have he her his i in is it its me "
    "my of on or our she so that the their them then there they this to was we were "
    "what when where which who whom why will with you your"
)
STOP_WORDS = frozenset(_COMMON.split())
MAX_SEARCH_WORDS = 16
MAX_WORD_LENGTH = 64

_m = memories.c
_c = projection_checkpoints.c
_fts = table("memories_fts", column("rowid", Integer))


def search_words(query: str) -> list[str]:
    """The words of a query, and nothing else: quotes, operators, brackets, NUL and any
    other punctuation are dropped, so no user text can break a full-text query."""
    words = re.findall(r"\w+", query.lower())
    kept = [w[:MAX_WORD_LENGTH] for w in words if w.strip("_") and w not in STOP_WORDS]
    return list(dict.fromkeys(kept))[:MAX_SEARCH_WORDS]


def _row(row: Any) -> Memory:
    return Memory(
        campaign_id=row.campaign_id,
        character_id=row.character_id,
        kind=MemoryKind(row.kind),
        content=row.content,
        importance=row.importance,
        created_at_turn=row.created_at_turn,
        last_accessed_turn=row.last_accessed_turn,
        position=row.position,
        event_id=row.event_id,
        evidence=tuple(int(e) for e in row.evidence or ()),
        id=row.id,
    )


_COLUMNS = (
    _m.id,
    _m.campaign_id,
    _m.character_id,
    _m.kind,
    _m.content,
    _m.importance,
    _m.created_at_turn,
    _m.last_accessed_turn,
    _m.position,
    _m.event_id,
    _m.evidence,
)


async def _relevance(
    conn: AsyncConnection,
    campaign_ids: Sequence[uuid.UUID],
    character_id: uuid.UUID,
    words: list[str],
    limit: int,
) -> dict[int, float]:
    """The best `limit` memories by full-text rank, with their rank (higher: better),
    among the latest `SEARCHED` that match any of the words: the work is bounded however
    many memories the character has."""
    if not words:
        return {}
    mine = (_m.campaign_id.in_(campaign_ids), _m.character_id == character_id)
    if conn.dialect.name == "postgresql":
        # The same expression as the GIN index, with the configuration as a literal so
        # the planner can use it. websearch_to_tsquery never fails on its input.
        vector = func.to_tsvector(literal_column("'english'"), _m.content)
        wanted = func.websearch_to_tsquery(literal_column("'english'"), " or ".join(words))
        latest = (
            select(_m.id, _m.content)
            .where(vector.op("@@")(wanted), *mine)
            .order_by(_m.id.desc())
            .limit(SEARCHED)
            .subquery()
        )
        score = func.ts_rank(
            func.to_tsvector(literal_column("'english'"), latest.c.content), wanted
        )
        stmt = select(latest.c.id, score.label("score"))
    else:
        # Each word a quoted FTS5 string (words hold no quote), any of them may match.
        match = " OR ".join(f'"{w}"' for w in words)
        bm25 = literal_column("bm25(memories_fts)", Float)
        stmt = (
            select(_m.id, (-bm25).label("score"))
            .select_from(_fts.join(memories, _m.id == _fts.c.rowid))
            .where(text("memories_fts MATCH :words").bindparams(words=match), *mine)
            .order_by(_fts.c.rowid.desc())
            .limit(SEARCHED)
        )
    found = sorted(((float(row.score), row.id) for row in await conn.execute(stmt)), reverse=True)[
        :limit
    ]
    return {id: score for score, id in found}


async def ranked(
    conn: AsyncConnection,
    turns: Mapping[uuid.UUID, int],
    character_id: uuid.UUID,
    query: str,
    weights: RetrievalWeights,
    candidates: int = CANDIDATES,
) -> list[Ranked]:
    """A character's memories in the campaigns of `turns` (campaign: its current game
    turn) ranked for `query`, best first, from at most 3 x `candidates` rows."""
    campaign_ids = list(turns)
    if not campaign_ids:
        return []
    relevance = await _relevance(conn, campaign_ids, character_id, search_words(query), candidates)
    mine = (_m.campaign_id.in_(campaign_ids), _m.character_id == character_id)
    ids = set(relevance)
    for order in (_m.importance.desc(), _m.last_accessed_turn.desc()):
        found = select(_m.id).where(*mine).order_by(order, _m.id.desc()).limit(candidates)
        ids.update((await conn.execute(found)).scalars())
    if not ids:
        return []
    rows = await conn.execute(select(*_COLUMNS).where(_m.id.in_(ids)))
    found_memories = [_row(r) for r in rows]
    return rank(
        [Candidate(m, relevance.get(m.id, 0.0), turns[m.campaign_id]) for m in found_memories],
        weights,
    )


async def current_turns(
    conn: AsyncConnection, campaign_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Each campaign's game time as its memories know it (0 before any)."""
    ids = list(campaign_ids)
    stmt = select(_c.campaign_id, _c.turn).where(_c.campaign_id.in_(ids), _c.projection == MEMORIES)
    found = {row.campaign_id: row.turn for row in await conn.execute(stmt)}
    return {i: found.get(i, 0) for i in ids}


class SqlMemoryRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, memories_: Sequence[Memory]) -> list[Memory]:
        if not memories_:
            return []
        rows = [
            {
                "campaign_id": m.campaign_id,
                "character_id": m.character_id,
                "kind": m.kind.value,
                "content": m.content,
                "importance": m.importance,
                "created_at_turn": m.created_at_turn,
                "last_accessed_turn": m.last_accessed_turn,
                "position": m.position,
                "event_id": m.event_id,
                "evidence": list(m.evidence),
            }
            for m in memories_
        ]
        stmt = memories.insert().returning(_m.id, sort_by_parameter_order=True)
        ids = list((await self._conn.execute(stmt, rows)).scalars())
        return [_with_id(m, i) for m, i in zip(memories_, ids, strict=True)]

    async def unreflected(
        self, campaign_id: uuid.UUID, character_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Memory]]:
        if not character_ids:
            return {}
        names = [f"{_REFLECTED}{c}" for c in character_ids]
        marks = await self._conn.execute(
            select(_c.projection, _c.position).where(
                _c.campaign_id == campaign_id, _c.projection.in_(names)
            )
        )
        since = {uuid.UUID(p[len(_REFLECTED) :]): position for p, position in marks}
        found: dict[uuid.UUID, list[Memory]] = {c: [] for c in character_ids}
        for character in character_ids:
            rows = await self._conn.execute(
                select(*_COLUMNS)
                .where(
                    _m.campaign_id == campaign_id,
                    _m.character_id == character,
                    _m.id > since.get(character, 0),
                    _m.kind != MemoryKind.REFLECTION.value,
                )
                .order_by(_m.id)
            )
            found[character] = [_row(r) for r in rows]
        return found

    async def mark_reflected(
        self, campaign_id: uuid.UUID, character_id: uuid.UUID, up_to: int
    ) -> None:
        values = {
            "campaign_id": campaign_id,
            "projection": f"{_REFLECTED}{character_id}",
            "position": up_to,
            "turn": 0,
        }
        insert = (
            postgresql.insert(projection_checkpoints)
            if self._conn.dialect.name == "postgresql"
            else sqlite.insert(projection_checkpoints)
        )
        await self._conn.execute(
            insert.values(**values).on_conflict_do_update(
                index_elements=[_c.campaign_id, _c.projection], set_={"position": up_to}
            )
        )

    async def clear(self, campaign_id: uuid.UUID) -> None:
        await self._conn.execute(delete(memories).where(_m.campaign_id == campaign_id))
        await self._conn.execute(
            delete(projection_checkpoints).where(
                _c.campaign_id == campaign_id, _c.projection.startswith(_REFLECTED)
            )
        )

    async def recall(
        self,
        campaign_id: uuid.UUID,
        character_id: uuid.UUID,
        query: str,
        turn: int,
        limit: int,
        weights: RetrievalWeights,
    ) -> list[Ranked]:
        found = (await ranked(self._conn, {campaign_id: turn}, character_id, query, weights))[
            :limit
        ]
        if found:
            await self._conn.execute(
                update(memories)
                .where(_m.id.in_([r.memory.id for r in found]))
                .values(last_accessed_turn=turn)
            )
        return found


class MemoryReads:
    """What the API reads of memories; never writes (reading is not recalling)."""

    def __init__(self, engine: AsyncEngine, weights: RetrievalWeights | None = None) -> None:
        self._engine = engine
        self.weights = weights or RetrievalWeights()

    async def current_turns(self, campaign_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
        async with self._engine.connect() as conn:
            return await current_turns(conn, campaign_ids)

    async def ranked(
        self, turns: Mapping[uuid.UUID, int], character_id: uuid.UUID, query: str
    ) -> list[Ranked]:
        async with self._engine.connect() as conn:
            return await ranked(conn, turns, character_id, query, self.weights)

    async def newest(
        self,
        campaign_ids: Sequence[uuid.UUID],
        character_id: uuid.UUID,
        before: int | None,
        limit: int,
    ) -> list[Memory]:
        """Newest first (by id), keyset: those with ids below `before`."""
        if not campaign_ids:
            return []
        stmt = select(*_COLUMNS).where(
            _m.campaign_id.in_(campaign_ids), _m.character_id == character_id
        )
        if before is not None:
            stmt = stmt.where(_m.id < before)
        async with self._engine.connect() as conn:
            rows = await conn.execute(stmt.order_by(_m.id.desc()).limit(limit))
            return [_row(r) for r in rows]

    async def by_ids(self, ids: Sequence[int]) -> dict[int, Memory]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(*_COLUMNS).where(_m.id.in_(list(ids))))
            return {r.id: _row(r) for r in rows}

    async def campaigns_of(self, character_id: uuid.UUID) -> list[uuid.UUID]:
        """The campaigns the character is cast in."""
        cast = campaign_characters.c
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(cast.campaign_id).where(cast.character_id == character_id)
            )
            return sorted(rows.scalars(), key=str)


def _with_id(memory: Memory, id: int) -> Memory:
    return replace(memory, id=id)
