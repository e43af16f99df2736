"""Hand-written in-memory fakes of the domain's ports.

The repositories build on the domain's own tracking (the same `Tracker` and
`TrackingRepository` the SQL repositories use), so a fake commit writes exactly what a
real one would, refuses a stale write the same way, and writes nothing when it fails.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from novel_engine.domain.aggregate import Aggregate
from novel_engine.domain.campaign import Campaign
from novel_engine.domain.character import Character, Personality, recorded_personality
from novel_engine.domain.coherence import Origin, Record, Said
from novel_engine.domain.errors import EmailTaken, NotFound, VersionConflict
from novel_engine.domain.events import DomainEvent, EventType, StoredEvent
from novel_engine.domain.narration import NarrativeChunk
from novel_engine.domain.perception import Belief, Checkpoint
from novel_engine.domain.session import Session, SessionStatus, Turn
from novel_engine.domain.story import Story, StoryEntry
from novel_engine.domain.tracking import Tracker, TrackingRepository
from novel_engine.domain.user import User

A = TypeVar("A", bound=Aggregate)


@dataclass
class FakeStore:
    """The in-memory database: what committed units of work have written."""

    characters: dict[uuid.UUID, Character] = field(default_factory=dict)
    stories: dict[uuid.UUID, Story] = field(default_factory=dict)
    campaigns: dict[uuid.UUID, Campaign] = field(default_factory=dict)
    sessions: dict[uuid.UUID, Session] = field(default_factory=dict)
    users: dict[uuid.UUID, User] = field(default_factory=dict)
    turns: list[Turn] = field(default_factory=list)
    story_entries: list[StoryEntry] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    chunks: list[NarrativeChunk] = field(default_factory=list)
    checkpoints: dict[tuple[uuid.UUID, str], Checkpoint] = field(default_factory=dict)
    beliefs: list[tuple[uuid.UUID, Belief]] = field(default_factory=list)

    def snapshot(self) -> dict[str, Any]:
        return {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Roll back in place, so every holder of a table sees the rollback."""
        for name, saved in snapshot.items():
            table = getattr(self, name)
            table.clear()
            if isinstance(table, list):
                table.extend(saved)
            else:
                table.update(saved)


class FakeRepository(TrackingRepository[A]):
    def __init__(self, table: dict[uuid.UUID, A], tracker: Tracker) -> None:
        super().__init__(tracker)
        self.items = table

    def _load(self, stored: A) -> A:
        loaded = copy.deepcopy(stored)
        self._track(loaded)
        return loaded

    def _load_where(self, keep: Any) -> list[A]:
        return [self._load(a) for _, a in sorted(self.items.items()) if keep(a)]

    async def get(self, id: uuid.UUID) -> A | None:
        return self._load(self.items[id]) if id in self.items else None

    async def persist(self, aggregate: A) -> None:
        if not self._tracker.is_new(aggregate):
            self._check_unchanged_since_loaded(aggregate)
        if self._tracker.is_removed(aggregate):
            del self.items[aggregate.id]
            return
        stored = copy.deepcopy(aggregate)
        stored.events.clear()
        self.items[aggregate.id] = stored

    def _check_unchanged_since_loaded(self, aggregate: A) -> None:
        stored = self.items.get(aggregate.id)
        loaded = self._tracker.loaded_version(aggregate)
        if stored is None:
            raise NotFound("Deleted while the change was being made.")
        if stored.version != loaded:
            raise VersionConflict(loaded, stored.version, field=None)


class FakeCharacterRepository(FakeRepository[Character]):
    def __init__(
        self, table: dict[uuid.UUID, Character], tracker: Tracker, events: list[DomainEvent]
    ) -> None:
        super().__init__(table, tracker)
        self.events = events  # the store's committed events

    async def get_many(
        self, character_ids: Sequence[uuid.UUID], *, lock: bool = False
    ) -> list[Character]:
        return [self._load(self.items[i]) for i in character_ids if i in self.items]

    async def relating_to(self, character_id: uuid.UUID) -> list[Character]:
        return self._load_where(
            lambda c: any(r.related_character_id == character_id for r in c.relationships)
        )

    async def remove(self, character: Character) -> None:
        self._remove(character)

    async def personalities_at(
        self, character_ids: Sequence[uuid.UUID], moment: datetime
    ) -> dict[uuid.UUID, Personality]:
        at = {}
        for event in self.events:
            personality = recorded_personality(event)
            if event.stream.id in character_ids and personality and event.timestamp < moment:
                at[event.stream.id] = personality
        return at


class FakeStoryRepository(FakeRepository[Story]):
    def __init__(self, store: FakeStore, tracker: Tracker) -> None:
        super().__init__(store.stories, tracker)
        self._entries = store.story_entries

    async def featuring(self, character_id: uuid.UUID) -> list[Story]:
        return self._load_where(lambda s: character_id in s.character_ids)

    async def persist(self, story: Story) -> None:
        self._entries.extend(story.new_entries)
        story.new_entries.clear()
        await super().persist(story)


class FakeCampaignRepository(FakeRepository[Campaign]):
    async def featuring(self, character_id: uuid.UUID) -> list[Campaign]:
        return self._load_where(lambda c: character_id in c.character_ids)


class FakeSessionRepository(FakeRepository[Session]):
    def __init__(self, store: FakeStore, tracker: Tracker) -> None:
        super().__init__(store.sessions, tracker)
        self.played = store.turns

    async def count_for(self, campaign_id: uuid.UUID) -> int:
        return sum(s.campaign_id == campaign_id for s in self.items.values())

    async def has_active(self, campaign_id: uuid.UUID) -> bool:
        return any(
            s.campaign_id == campaign_id and s.status is SessionStatus.ACTIVE
            for s in self.items.values()
        )

    async def turn_by_key(self, session_id: uuid.UUID, idempotency_key: str) -> Turn | None:
        return next(
            (
                t
                for t in self.played
                if t.session_id == session_id and t.idempotency_key == idempotency_key
            ),
            None,
        )

    async def turn(self, turn_id: uuid.UUID) -> Turn | None:
        return next((t for t in self.played if t.id == turn_id), None)

    async def turns(self, session_id: uuid.UUID) -> list[Turn]:
        return sorted(
            (t for t in self.played if t.session_id == session_id), key=lambda t: t.number
        )

    async def persist(self, session: Session) -> None:
        self.played.extend(session.new_turns)
        session.new_turns.clear()
        for changed in session.changed_turns:
            index = next(i for i, t in enumerate(self.played) if t.id == changed.id)
            self.played[index] = changed
        session.changed_turns.clear()
        await super().persist(session)


class FakeNarrationRepository:
    """Chunks written in a unit of work reach the store only when it commits."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.pending: list[NarrativeChunk] = []

    async def chunks(self, turn_id: uuid.UUID) -> list[NarrativeChunk]:
        return [c for c in [*self.store.chunks, *self.pending] if c.turn_id == turn_id]

    async def of_turns(self, turn_ids: Sequence[uuid.UUID]) -> list[NarrativeChunk]:
        return [c for c in [*self.store.chunks, *self.pending] if c.turn_id in turn_ids]

    async def add(self, chunk: NarrativeChunk) -> tuple[NarrativeChunk, int]:
        written = [*self.store.chunks, *self.pending]
        place = (chunk.turn_id, chunk.viewpoint, chunk.sequence)
        if any((c.turn_id, c.viewpoint, c.sequence) == place for c in written):
            raise ValueError("a chunk's sequence is stored once")
        previous = max((c.cursor for c in written if c.session_id == chunk.session_id), default=0)
        stored = dataclasses.replace(chunk, cursor=len(written) + 1)
        self.pending.append(stored)
        return stored, previous

    def committed(self) -> None:
        self.store.chunks.extend(self.pending)
        self.pending.clear()


class FakeCheckpoints:
    """Checkpoints written straight to the store (tests commit what they project)."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def get(
        self, campaign_id: uuid.UUID, projection: str, *, lock: bool = False
    ) -> Checkpoint:
        return self.store.checkpoints.get((campaign_id, projection), Checkpoint(0, 0))

    async def advance(self, campaign_id: uuid.UUID, projection: str, to: Checkpoint) -> None:
        self.store.checkpoints[(campaign_id, projection)] = to

    async def reset(self, campaign_id: uuid.UUID, projection: str) -> None:
        self.store.checkpoints.pop((campaign_id, projection), None)


class FakeBeliefRepository:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def add(self, campaign_id: uuid.UUID, found: Any) -> None:
        self.store.beliefs.extend((campaign_id, b) for b in found)

    def _of(
        self, campaign_id: uuid.UUID, character_id: uuid.UUID, up_to: int | None
    ) -> list[Belief]:
        return [
            b
            for c, b in self.store.beliefs
            if c == campaign_id
            and b.character_id == character_id
            and (up_to is None or b.position <= up_to)
        ]

    async def held(
        self,
        campaign_id: uuid.UUID,
        character_id: uuid.UUID,
        limit: int,
        *,
        up_to: int | None = None,
    ) -> list[Belief]:
        found = self._of(campaign_id, character_id, up_to)
        return sorted(found, key=lambda b: b.position, reverse=True)[:limit]

    async def perceived(
        self,
        campaign_id: uuid.UUID,
        character_id: uuid.UUID,
        limit: int,
        *,
        up_to: int | None = None,
    ) -> list[StoredEvent]:
        positions = sorted({b.position for b in self._of(campaign_id, character_id, up_to)})
        stream = [e for e in self.store.events if e.stream.id == campaign_id]
        return [StoredEvent(stream[p - 1], p) for p in positions[-limit:]]

    async def forget(self, campaign_id: uuid.UUID) -> None:
        self.store.beliefs[:] = [(c, b) for c, b in self.store.beliefs if c != campaign_id]


class FakeUserRepository(FakeRepository[User]):
    async def get_by_email(self, email: str) -> User | None:
        found = [u for u in self.items.values() if u.email == email]
        return self._load(found[0]) if found else None

    async def persist(self, user: User) -> None:
        taken = any(u.email == user.email and u.id != user.id for u in self.items.values())
        if self._tracker.is_new(user) and taken:
            raise EmailTaken()
        await super().persist(user)


class FakeFactsReader:
    """The facts of a campaign read from the committed events, every one of them."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def established(
        self,
        campaign_id: uuid.UUID,
        characters: Sequence[uuid.UUID],
        speakers: Sequence[uuid.UUID],
    ) -> Record:
        stream = [e for e in self.store.events if e.stream.id == campaign_id]
        record = Record()
        by_key = {"locations": record.placed_by, "conditions": record.hurt_by}
        said: list[Said] = []
        for position, event in enumerate(stream, start=1):
            if event.event_type is EventType.WORLD_STATE_CHANGED:
                for key, origins in by_key.items():
                    for character in characters:
                        if str(character) in (event.payload["changes"].get(key) or {}):
                            origins[character] = Origin(event.event_id, position)
            elif event.event_type is EventType.DIALOGUE_EXCHANGED:
                speaker = uuid.UUID(event.payload["speakerId"])
                if speaker in speakers:
                    said.insert(0, Said(speaker, event.payload["message"], event.event_id))
        return dataclasses.replace(record, said=tuple(said))


class FakeUnitOfWork:
    """One transaction over a FakeStore; several may share one store."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()
        self._open(Tracker())

    def _open(self, tracker: Tracker) -> None:
        self._tracker = tracker
        self.characters = FakeCharacterRepository(self.store.characters, tracker, self.store.events)
        self.stories = FakeStoryRepository(self.store, tracker)
        self.campaigns = FakeCampaignRepository(self.store.campaigns, tracker)
        self.sessions = FakeSessionRepository(self.store, tracker)
        self.users = FakeUserRepository(self.store.users, tracker)
        self.narration = FakeNarrationRepository(self.store)
        self.checkpoints = FakeCheckpoints(self.store)
        self.beliefs = FakeBeliefRepository(self.store)
        self.facts = FakeFactsReader(self.store)

    @property
    def published(self) -> list[DomainEvent]:
        """Every event committed to the store, oldest first."""
        return self.store.events

    async def __aenter__(self) -> FakeUnitOfWork:
        self._open(Tracker())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open(Tracker())

    async def commit(self) -> list[StoredEvent]:
        before = self.store.snapshot()
        try:
            pending = await self._tracker.write_back()
        except BaseException:
            self.store.restore(before)
            raise
        self._tracker.committed()
        self.narration.committed()
        stored = []
        for event in pending:
            position = 1 + sum(e.stream == event.stream for e in self.store.events)
            self.store.events.append(event)
            stored.append(StoredEvent(event, position))
        return stored


class FakeHasher:
    async def hash(self, password: str) -> str:
        return f"hashed:{password}"

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return password_hash == f"hashed:{password}"
