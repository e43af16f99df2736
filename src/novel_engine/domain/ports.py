"""What the domain needs from the outside world, as Protocols."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from novel_engine.domain.campaign import Campaign
    from novel_engine.domain.character import Character, Personality
    from novel_engine.domain.coherence import Record
    from novel_engine.domain.events import StoredEvent
    from novel_engine.domain.memory import Memory, Ranked, RetrievalWeights
    from novel_engine.domain.narration import NarrativeChunk
    from novel_engine.domain.perception import Belief, Checkpoint
    from novel_engine.domain.session import Session, Turn
    from novel_engine.domain.story import Story
    from novel_engine.domain.user import User


class PasswordHasher(Protocol):
    """Deliberately slow hashing: implementations keep it off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a wrong password; with no hash, spend the same time and say False."""
        ...


class CharacterRepository(Protocol):
    async def add(self, character: Character) -> None: ...

    async def get(self, character_id: uuid.UUID) -> Character | None:
        """Load for change: the row stays locked until the unit of work ends."""
        ...

    async def get_many(
        self, character_ids: Sequence[uuid.UUID], *, lock: bool = False
    ) -> list[Character]:
        """Load several; without `lock`, writing one back fails if another writer changed
        it meanwhile; with it, they stay as loaded (and present) until the commit."""
        ...

    async def relating_to(self, character_id: uuid.UUID) -> list[Character]:
        """Load for change the characters with a relationship to this one."""
        ...

    async def personalities_at(
        self, character_ids: Sequence[uuid.UUID], moment: datetime
    ) -> dict[uuid.UUID, Personality]:
        """Each character's personality as its events had set it before `moment`
        (creation, owners' updates, drift in play); left out when none had."""
        ...

    async def remove(self, character: Character) -> None: ...


class StoryRepository(Protocol):
    async def add(self, story: Story) -> None: ...

    async def get(self, story_id: uuid.UUID) -> Story | None: ...

    async def featuring(self, character_id: uuid.UUID) -> list[Story]:
        """Load for change the stories whose cast has this character."""
        ...


class CampaignRepository(Protocol):
    async def add(self, campaign: Campaign) -> None: ...

    async def get(self, campaign_id: uuid.UUID) -> Campaign | None: ...

    async def featuring(self, character_id: uuid.UUID) -> list[Campaign]:
        """Load for change the campaigns whose cast has this character."""
        ...


class SessionRepository(Protocol):
    async def add(self, session: Session) -> None: ...

    async def get(self, session_id: uuid.UUID) -> Session | None:
        """Load for change: turns of one session resolve one at a time."""
        ...

    async def count_for(self, campaign_id: uuid.UUID) -> int: ...

    async def has_active(self, campaign_id: uuid.UUID) -> bool: ...

    async def turn_by_key(self, session_id: uuid.UUID, idempotency_key: str) -> Turn | None: ...

    async def turn(self, turn_id: uuid.UUID) -> Turn | None: ...

    async def turns(self, session_id: uuid.UUID) -> list[Turn]:
        """The session's turns, by number (read, not locked)."""
        ...


class NarrationRepository(Protocol):
    """A turn's prose as it is written, chunk by chunk."""

    async def chunks(self, turn_id: uuid.UUID) -> list[NarrativeChunk]:
        """The turn's chunks so far, of every telling, in the order written."""
        ...

    async def of_turns(self, turn_ids: Sequence[uuid.UUID]) -> list[NarrativeChunk]:
        """The chunks of several turns, of every telling, in the order written."""
        ...

    async def add(self, chunk: NarrativeChunk) -> tuple[NarrativeChunk, int]:
        """Store the next chunk (the turn is STREAMING from its first); returns it with
        its cursor, and the session's cursor before it. Storing a sequence twice is
        refused by storage."""
        ...

    async def copy(self, turns: Mapping[uuid.UUID, tuple[uuid.UUID, uuid.UUID]]) -> None:
        """A branch's copy of other turns' prose: turn id -> (session id, turn id) of the
        copy. The chunks are read now and written at commit, after the turns themselves,
        in the order they were first written."""
        ...


class NarrativeReader(Protocol):
    """Reading a session's narration back: what live subscribers start from and heal from."""

    async def after(self, session_id: uuid.UUID, cursor: int, limit: int) -> list[NarrativeChunk]:
        """Chunks with cursors after `cursor`, oldest first, at most `limit`."""
        ...

    async def current(self, session_id: uuid.UUID) -> tuple[list[NarrativeChunk], int]:
        """The chunks so far of the last turn narrated, of every telling (a reader keeps
        those of its tellings still under way: `narration.in_progress`), and the
        session's last cursor."""
        ...


class NarrativePublisher(Protocol):
    async def publish(self, chunk: NarrativeChunk, previous: int) -> None:
        """Tell live subscribers of a stored chunk; `previous` is the cursor before it in
        its session, so a listener knows whether it missed one."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...

    async def get(self, user_id: uuid.UUID) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...


class ProjectionCheckpoints(Protocol):
    """How far each projection of a campaign's stream (beliefs, memories) has read; a
    projection advances its checkpoint in the transaction that writes what it derived."""

    async def get(
        self, campaign_id: uuid.UUID, projection: str, *, lock: bool = False
    ) -> Checkpoint: ...

    async def advance(self, campaign_id: uuid.UUID, projection: str, to: Checkpoint) -> None: ...

    async def reset(self, campaign_id: uuid.UUID, projection: str) -> None: ...


class CampaignHistory(Protocol):
    """A campaign's stream read inside a unit of work (to branch it)."""

    async def head(self, campaign_id: uuid.UUID) -> int:
        """The last position committed to the campaign's stream (0 when empty)."""
        ...

    async def read(self, campaign_id: uuid.UUID, through: int) -> list[StoredEvent]:
        """The campaign's events from position 1 through `through`, in order."""
        ...


class FactsReader(Protocol):
    """What a campaign's events established, for the coherence check of a turn."""

    async def established(
        self,
        campaign_id: uuid.UUID,
        characters: Sequence[uuid.UUID],
        speakers: Sequence[uuid.UUID],
    ) -> Record:
        """The latest event that set each character's location and condition, and what
        the speakers said, newest first. Bounded: it reads back from the newest event
        only so far (a fact older than that has no event named)."""
        ...


class MemoryRepository(Protocol):
    """The memories of a campaign's characters (written by the memories projection)."""

    async def add(self, memories: Sequence[Memory]) -> list[Memory]:
        """Store them in order; returns them with their ids."""
        ...

    async def unreflected(
        self, campaign_id: uuid.UUID, character_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Memory]]:
        """Each character's memories (not reflections) since it last reflected, oldest
        first."""
        ...

    async def mark_reflected(
        self, campaign_id: uuid.UUID, character_id: uuid.UUID, up_to: int
    ) -> None:
        """The character has reflected on its memories up to id `up_to`."""
        ...

    async def clear(self, campaign_id: uuid.UUID) -> None:
        """Forget every memory of the campaign (and when each character reflected)."""
        ...

    async def recall(
        self,
        campaign_id: uuid.UUID,
        character_id: uuid.UUID,
        query: str,
        turn: int,
        limit: int,
        weights: RetrievalWeights,
    ) -> list[Ranked]:
        """The memories that best answer `query` at game time `turn`, best first; each
        returned one counts as recalled now (its recency starts again)."""
        ...


class BeliefRepository(Protocol):
    """What each character of a campaign believes (the beliefs projection)."""

    async def add(self, campaign_id: uuid.UUID, found: Sequence[Belief]) -> None: ...

    async def held(
        self,
        campaign_id: uuid.UUID,
        character_id: uuid.UUID,
        limit: int,
        *,
        up_to: int | None = None,
    ) -> list[Belief]:
        """Newest first; with `up_to`, only those from events at or before it."""
        ...

    async def perceived(
        self,
        campaign_id: uuid.UUID,
        character_id: uuid.UUID,
        limit: int,
        *,
        up_to: int | None = None,
    ) -> list[StoredEvent]:
        """The latest events the character perceived, oldest first, as stored."""
        ...

    async def forget(self, campaign_id: uuid.UUID) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: aggregates' changes and their events commit together."""

    @property
    def characters(self) -> CharacterRepository: ...

    @property
    def stories(self) -> StoryRepository: ...

    @property
    def campaigns(self) -> CampaignRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def narration(self) -> NarrationRepository: ...

    @property
    def checkpoints(self) -> ProjectionCheckpoints: ...

    @property
    def history(self) -> CampaignHistory: ...

    @property
    def facts(self) -> FactsReader: ...

    @property
    def memories(self) -> MemoryRepository: ...

    @property
    def beliefs(self) -> BeliefRepository: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> list[StoredEvent]:
        """Persist every changed aggregate, append its events and write the jobs they ask
        for, in one transaction; return the events as stored (with their positions)."""
        ...


class EventStoreReader(Protocol):
    """Reading a stream back: the source of truth live subscribers heal gaps from."""

    async def read(self, stream_id: uuid.UUID, after: int, limit: int) -> list[StoredEvent]:
        """Events with positions after `after`, oldest first, at most `limit`."""
        ...

    async def about(self, aggregate_id: uuid.UUID) -> list[StoredEvent]:
        """Every event about one aggregate (a turn's interaction), in commit order."""
        ...

    async def head(self, stream_id: uuid.UUID) -> int:
        """The last position committed to the stream (0 when it is empty)."""
        ...
