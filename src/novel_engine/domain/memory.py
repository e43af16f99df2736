"""Memory streams: what a character remembers, how much it mattered, and how memories are
ranked when the character (or its player) looks for one.

Pure Python. A memory is written by the memories projection of a campaign's event log
(narrative/memories.py): one per perceived event, scored for importance (1..10) when
written, and now and then an insight (REFLECTION) drawn from earlier memories, which
keeps their ids as `evidence`.

Retrieval follows Generative Agents: each candidate gets recency (0.99 per turn since it
was last recalled), importance and relevance (the database's full-text rank), each
normalised to 0..1 over the candidates, then a weighted sum.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from novel_engine.domain.perception import MemoryKind

MIN_IMPORTANCE = 1
MAX_IMPORTANCE = 10
RECENCY_DECAY = 0.99  # per turn of game time since the memory was last recalled
# Importance accumulated since a character's last reflection that makes it reflect.
DEFAULT_REFLECTION_THRESHOLD = 25


@dataclass(frozen=True)
class Memory:
    """One memory of one character in one campaign (`id` 0 until stored)."""

    campaign_id: uuid.UUID
    character_id: uuid.UUID
    kind: MemoryKind
    content: str
    importance: int
    created_at_turn: int
    last_accessed_turn: int
    position: int  # of the event it came from (a reflection: the last one it drew on)
    event_id: uuid.UUID | None = None
    evidence: tuple[int, ...] = ()
    id: int = 0

    def __post_init__(self) -> None:
        if not MIN_IMPORTANCE <= self.importance <= MAX_IMPORTANCE:
            raise ValueError(f"importance must be within 1..10, not {self.importance}")


class Cue(Enum):
    """What happened to the character, as far as importance goes (from the event's
    structure, never from its words)."""

    ATTACKED = "attacked"  # it was the target of an attack
    ATTACKING = "attacking"  # it attacked someone
    WITNESSED_ATTACK = "witnessed_attack"
    ADDRESSED = "addressed"  # words said to it
    SPOKE = "spoke"  # its own words
    OVERHEARD = "overheard"  # words said to someone else, or to no one, in its hearing
    ACTED = "acted"  # its own deed that is not a fight, a move or a wait
    WITNESSED_ACT = "witnessed_act"
    MOVED = "moved"  # its own move
    SAW_MOVE = "saw_move"
    WAITED = "waited"
    SAW_WAIT = "saw_wait"
    CONDITION = "condition"  # it saw someone's condition change
    HARMED = "harmed"  # its own condition changed


@dataclass(frozen=True)
class Note:
    """A memory about to be written, with what the importance rules read."""

    character_id: uuid.UUID
    kind: MemoryKind
    content: str
    cue: Cue
    # The one who did or said it (None for a change of the world).
    doer: uuid.UUID | None = None
    # Whether the deed succeeded (None for words and changes of the world).
    succeeded: bool | None = None


@dataclass(frozen=True)
class ImportanceSheet:
    """The language-model subject for scoring the memories of one batch: one score per
    note, in order."""

    notes: tuple[Note, ...]


@dataclass(frozen=True)
class Recollection:
    """A memory as a character reflects on it: `ref` is its index in the sheet."""

    ref: int
    note: Note
    importance: int


@dataclass(frozen=True)
class Insight:
    statement: str
    evidence: tuple[int, ...]  # refs of the recollections it is drawn from
    importance: int


@dataclass(frozen=True)
class ReflectionSheet:
    """The language-model subject for one character's reflection on its memories since
    it last reflected."""

    character_id: uuid.UUID
    name: str
    names: Mapping[uuid.UUID, str]
    recollections: tuple[Recollection, ...]


@dataclass(frozen=True)
class RetrievalWeights:
    """How much each part of the retrieval score counts (Generative Agents' defaults)."""

    recency: float = 0.5
    relevance: float = 3.0
    importance: float = 2.0

    def __post_init__(self) -> None:
        if min(self.recency, self.relevance, self.importance) < 0:
            raise ValueError("retrieval weights cannot be negative")


@dataclass(frozen=True)
class Candidate:
    """A memory found for a query, with its full-text rank (higher is more relevant;
    0 when the full-text search did not find it)."""

    memory: Memory
    relevance: float = 0.0
    current_turn: int = 0


@dataclass(frozen=True)
class Ranked:
    memory: Memory
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def clamp_importance(value: int) -> int:
    return max(MIN_IMPORTANCE, min(MAX_IMPORTANCE, value))


def recency(memory: Memory, current_turn: int) -> float:
    """0.99 for each turn since the memory was last recalled (1.0 if this turn)."""
    return float(RECENCY_DECAY ** max(0, current_turn - memory.last_accessed_turn))


def rank(candidates: Sequence[Candidate], weights: RetrievalWeights) -> list[Ranked]:
    """The candidates by score, best first (ties: the newer first). Each part is
    normalised to 0..1 over the candidates; a part equal for all of them counts 0.5,
    as in Generative Agents."""
    if not candidates:
        return []
    raw = {
        "recency": [recency(c.memory, c.current_turn) for c in candidates],
        "relevance": [c.relevance for c in candidates],
        "importance": [float(c.memory.importance) for c in candidates],
    }
    normal = {part: _normalised(values) for part, values in raw.items()}
    ranked = []
    for i, candidate in enumerate(candidates):
        parts = {part: normal[part][i] for part in normal}
        score = (
            weights.recency * parts["recency"]
            + weights.relevance * parts["relevance"]
            + weights.importance * parts["importance"]
        )
        ranked.append(Ranked(candidate.memory, round(score, 6), parts))
    ranked.sort(key=lambda r: (-r.score, -r.memory.id))
    return ranked


def _normalised(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    if high - low == 0:
        return [0.5] * len(values)
    return [(v - low) / (high - low) for v in values]
