"""The relational schema. Alembic migrations are the history of this file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument: Any = JSON().with_variant(JSONB(), "postgresql")
# An autoincrementing key: BIGINT on PostgreSQL, INTEGER (the rowid) on SQLite.
Serial: Any = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _timestamps() -> list[Column[Any]]:
    return [
        Column("version", Integer, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
    ]


users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    *_timestamps(),
)

characters = Table(
    "characters",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("openness", Float, nullable=False),
    Column("conscientiousness", Float, nullable=False),
    Column("extraversion", Float, nullable=False),
    Column("agreeableness", Float, nullable=False),
    Column("neuroticism", Float, nullable=False),
    Column("background", Text, nullable=False),
    Column("visibility", String(10), nullable=False),
    # How play has changed its personality: the traits it started from and the run of
    # outcomes that drifts them (see domain/development.py).
    Column("development", JSONDocument, nullable=True),
    *_timestamps(),
    Index("ix_characters_visibility_created_at_id", "visibility", "created_at", "id"),
)

character_skills = Table(
    "character_skills",
    metadata,
    Column("character_id", Uuid, ForeignKey("characters.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("level", Integer, nullable=False),
)

character_relationships = Table(
    "character_relationships",
    metadata,
    Column("character_id", Uuid, ForeignKey("characters.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "related_character_id",
        Uuid,
        ForeignKey("characters.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("type", String(20), nullable=False),
    Column("strength", Float, nullable=False),
    Column("context", Text, nullable=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, ForeignKey("users.id"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("genre", String(20), nullable=False),
    Column("themes", JSONDocument, nullable=False),
    Column("tone", String(20), nullable=False),
    Column("visibility", String(10), nullable=False),
    Column("entry_count", Integer, nullable=False),
    # A generated or compiled story's text, and how it was judged (the six scores).
    Column("content", Text, nullable=True),
    Column("word_count", Integer, nullable=True),
    Column("quality", JSONDocument, nullable=True),
    # generating | done | failed; NULL for a story told event by event.
    Column("generation_status", String(12), nullable=True),
    Column("generation_error", Text, nullable=True),
    Column("model_used", String(200), nullable=True),
    # What the model was asked for: a length (short | medium | long) and a prompt.
    Column("length", String(10), nullable=True),
    Column("prompt", Text, nullable=False, server_default=""),
    *_timestamps(),
    Index("ix_stories_visibility_created_at_id", "visibility", "created_at", "id"),
)

story_characters = Table(
    "story_characters",
    metadata,
    Column("story_id", Uuid, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "character_id",
        Uuid,
        ForeignKey("characters.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("position", Integer, nullable=False),
)

story_entries = Table(
    "story_entries",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("story_id", Uuid, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("plot_point", String(30), nullable=True),
    Column("character_ids", JSONDocument, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    UniqueConstraint("story_id", "sequence"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, ForeignKey("users.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("world_state", JSONDocument, nullable=False),
    Column("world_version", Integer, nullable=False),
    # How the chronicler writes this campaign's turns ("" = the genre's own voice).
    Column("narration_style", Text, nullable=False, server_default=""),
    # Who sees what: "omniscient" (every member the whole story) or "through_characters"
    # (co-authors only what the characters they play perceived).
    Column("perspective", String(20), nullable=False, server_default="omniscient"),
    # Refuse turns that contradict established facts instead of warning about them.
    Column("strict_coherence", Boolean, nullable=False, server_default=false()),
    # A branch: the campaign it was forked from and the event it was forked at.
    Column("forked_from", Uuid, nullable=True),
    Column("forked_at_event", Uuid, nullable=True),
    *_timestamps(),
)

campaign_members = Table(
    "campaign_members",
    metadata,
    Column("campaign_id", Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
    Column("role", String(20), nullable=False),
    Column("joined_at", UTCDateTime, nullable=False),
)

campaign_characters = Table(
    "campaign_characters",
    metadata,
    Column("campaign_id", Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "character_id",
        Uuid,
        ForeignKey("characters.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("position", Integer, nullable=False),
    # Played by a persona agent rather than by its owner.
    Column("ai_controlled", Boolean, nullable=False, server_default=false()),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("campaign_id", Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("started_by", Uuid, ForeignKey("users.id"), nullable=False),
    Column("turn_count", Integer, nullable=False),
    *_timestamps(),
    UniqueConstraint("campaign_id", "number"),
)

turns = Table(
    "turns",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("session_id", Uuid, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("campaign_id", Uuid, nullable=False),
    Column("number", Integer, nullable=False),
    Column("actions", JSONDocument, nullable=False),
    Column("submitted_by", Uuid, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("correlation_id", Uuid, nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("request_hash", String(64), nullable=False),
    # What the director decided for each action, in order; turns played before it have [].
    Column("outcomes", JSONDocument, nullable=False, server_default="[]"),
    # AI-played characters' reactions: [{action, outcome, answers, modelUsed, fallback}].
    Column("reactions", JSONDocument, nullable=False, server_default="[]"),
    Column("narration_status", String(10), nullable=False, server_default="pending"),
    Column("narrative", Text, nullable=True),
    Column("narration_error", Text, nullable=True),
    Column("model_used", String(200), nullable=True),
    Column("fallback", Boolean, nullable=False, server_default=false()),
    # The coherence check's findings on the turn as submitted.
    Column("warnings", JSONDocument, nullable=False, server_default="[]"),
    UniqueConstraint("session_id", "number"),
    UniqueConstraint("session_id", "idempotency_key"),
)

# A turn's prose as the chronicler wrote it, a chunk per flush: `id` orders a session's
# chunks across turns (one narration at a time per session) and is a chunk's cursor.
narrative_chunks = Table(
    "narrative_chunks",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("session_id", Uuid, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("turn_id", Uuid, ForeignKey("turns.id", ondelete="CASCADE"), nullable=False),
    # Whose telling: "" for the omniscient prose, else the id of the character whose
    # point of view it is written from (through-characters campaigns).
    Column("viewpoint", String(36), nullable=False, server_default=""),
    Column("sequence", Integer, nullable=False),
    Column("text", Text, nullable=False),
    # The turn's last chunk: no text, it says the narration is over.
    Column("done", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("turn_id", "viewpoint", "sequence"),
    Index("ix_narrative_chunks_session_id_id", "session_id", "id"),
)

# Every attempt at every model call, keyed by the job and its step (never the prompt).
model_calls = Table(
    "model_calls",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("job_id", Uuid, nullable=False),
    Column("step", String(100), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("campaign_id", Uuid, nullable=True, index=True),
    Column("turn_id", Uuid, nullable=True, index=True),
    Column("provider", String(50), nullable=False),
    Column("model", String(200), nullable=False),
    Column("system", Text, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("answer", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("prompt_tokens", Integer, nullable=False),
    Column("output_tokens", Integer, nullable=False),
    Column("latency", Float, nullable=False),
    Column("fallback", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("job_id", "step", "attempt"),
)

# The event store. Each stream (a campaign, a character, ...) counts its own positions;
# `event_streams.position` is the last one handed out, reserved under the row's lock
# inside the writing transaction, so within a stream position order is commit order.
event_streams = Table(
    "event_streams",
    metadata,
    Column("stream_id", Uuid, primary_key=True),
    Column("stream_type", String(20), nullable=False),
    Column("position", Integer, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("stream_id", Uuid, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("stream_type", String(20), nullable=False),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("event_version", String(20), nullable=False),
    Column("aggregate_id", Uuid, nullable=False, index=True),
    Column("aggregate_type", String(20), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("correlation_id", Uuid, nullable=False, index=True),
    Column("causation_id", Uuid, nullable=True, index=True),
    Column("user_id", Uuid, nullable=True),
    Column("payload", JSONDocument, nullable=False),
    Column("metadata", JSONDocument, nullable=False),
    CheckConstraint("position > 0", name="position_positive"),
    # A campaign's events of one kind, newest first: the facts the coherence check reads.
    Index("ix_events_stream_id_event_type_position", "stream_id", "event_type", "position"),
)

# Durable work after commit (an outbox): each row is written in the transaction of the event
# that asks for it. Jobs sharing an ordering key are numbered by `sequence`, reserved under
# the `job_sequences` row's lock like stream positions, so the numbering is commit order.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", String(100), nullable=False),
    Column("event_id", Uuid, ForeignKey("events.event_id"), nullable=False),
    Column("campaign_id", Uuid, nullable=True, index=True),
    Column("ordering_key", String(200), nullable=True),
    Column("sequence", Integer, nullable=True),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", UTCDateTime, nullable=False),
    Column("lease_token", Uuid, nullable=True),
    Column("lease_expires_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    UniqueConstraint("kind", "event_id"),
    UniqueConstraint("ordering_key", "sequence"),
    Index("ix_jobs_status_run_after", "status", "run_after"),
    CheckConstraint("status IN ('pending', 'running', 'done', 'dead')", name="status_known"),
)

job_sequences = Table(
    "job_sequences",
    metadata,
    Column("ordering_key", String(200), primary_key=True),
    Column("last_sequence", Integer, nullable=False),
)

# Projections of a campaign's event stream (beliefs, memories): how far each has read.
# A projection's rows and its checkpoint are written in one transaction.
projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("campaign_id", Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("projection", String(50), primary_key=True),
    Column("position", Integer, nullable=False),
    # Game time at that position: the turns played (interactions initiated) so far.
    Column("turn", Integer, nullable=False, server_default="0"),
)

# What each character of a campaign believes, with where it came from. Never updated:
# a conflicting belief is another row beside the first.
beliefs = Table(
    "beliefs",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("campaign_id", Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("character_id", Uuid, nullable=False),
    Column("statement", Text, nullable=False),
    Column("source", String(20), nullable=False),
    # As learned; it decays with the turns played since (domain/perception.py).
    Column("reliability", Float, nullable=False),
    Column("learned_at_turn", Integer, nullable=False),
    Column("told_by", Uuid, nullable=True),
    Column("event_id", Uuid, nullable=True),
    # The position in the campaign's stream of the event it came from.
    Column("position", Integer, nullable=False),
    Index(
        "ix_beliefs_campaign_id_character_id_position", "campaign_id", "character_id", "position"
    ),
)

# Each character's memory stream. Full-text search over `content` lives outside this
# metadata (SQLite FTS5 table `memories_fts`, PostgreSQL GIN index on its tsvector).
memories = Table(
    "memories",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("campaign_id", Uuid, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("character_id", Uuid, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("content", Text, nullable=False),
    Column("importance", Integer, nullable=False),
    Column("created_at_turn", Integer, nullable=False),
    Column("last_accessed_turn", Integer, nullable=False),
    Column("event_id", Uuid, nullable=True),
    # Reflections: the ids of the memories they were drawn from.
    Column("evidence", JSONDocument, nullable=False, server_default="[]"),
    Column("position", Integer, nullable=False),
    Index("ix_memories_campaign_id_character_id_id", "campaign_id", "character_id", "id"),
    Index(
        "ix_memories_campaign_id_character_id_importance",
        "campaign_id",
        "character_id",
        "importance",
    ),
    Index(
        "ix_memories_campaign_id_character_id_last_accessed_turn",
        "campaign_id",
        "character_id",
        "last_accessed_turn",
    ),
)

# Search structures the migrations create beside the tables above.
SEARCH_OBJECTS = frozenset({"memories_fts", "ix_memories_content_search"})


def in_table_model(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """For schema comparisons: everything but the full-text search structures, which
    SQLAlchemy's metadata does not describe."""
    return not (name or "").startswith(tuple(SEARCH_OBJECTS))
