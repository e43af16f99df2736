"""subjective reality: who sees what in a campaign (perspective), strict coherence,
forks, turn warnings, viewpoint narration, character development, the causal index,
and the projections of the event log: beliefs and memories with full-text search

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN: a batch copy of `campaigns` on SQLite would drop the
    # table under its children's ON DELETE CASCADE.
    op.add_column(
        "campaigns",
        sa.Column("perspective", sa.String(20), nullable=False, server_default="omniscient"),
    )
    op.add_column(
        "campaigns",
        sa.Column("strict_coherence", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("campaigns", sa.Column("forked_from", sa.Uuid(), nullable=True))
    op.add_column("campaigns", sa.Column("forked_at_event", sa.Uuid(), nullable=True))
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("development", JSON_DOCUMENT, nullable=True))
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("warnings", JSON_DOCUMENT, nullable=False, server_default="[]"))
    with op.batch_alter_table("narrative_chunks") as batch:
        batch.add_column(sa.Column("viewpoint", sa.String(36), nullable=False, server_default=""))
        batch.drop_constraint("uq_narrative_chunks_turn_id_sequence", type_="unique")
        batch.create_unique_constraint(
            "uq_narrative_chunks_turn_id_viewpoint_sequence", ["turn_id", "viewpoint", "sequence"]
        )
    op.create_index("ix_events_causation_id", "events", ["causation_id"])
    op.create_index(
        "ix_events_stream_id_event_type_position", "events", ["stream_id", "event_type", "position"]
    )
    op.create_table(
        "projection_checkpoints",
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("projection", sa.String(50), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("campaign_id", "projection", name="pk_projection_checkpoints"),
    )
    op.create_table(
        "beliefs",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("character_id", sa.Uuid(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("reliability", sa.Float(), nullable=False),
        sa.Column("learned_at_turn", sa.Integer(), nullable=False),
        sa.Column("told_by", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_beliefs"),
    )
    op.create_index(
        "ix_beliefs_campaign_id_character_id_position",
        "beliefs",
        ["campaign_id", "character_id", "position"],
    )
    op.create_table(
        "memories",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column(
            "campaign_id",
            sa.Uuid(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("character_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("importance", sa.Integer(), nullable=False),
        sa.Column("created_at_turn", sa.Integer(), nullable=False),
        sa.Column("last_accessed_turn", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("evidence", JSON_DOCUMENT, nullable=False, server_default="[]"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_memories"),
    )
    for columns in (["id"], ["importance"], ["last_accessed_turn"]):
        op.create_index(
            f"ix_memories_campaign_id_character_id_{columns[0]}",
            "memories",
            ["campaign_id", "character_id", *columns],
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_memories_content_search ON memories "
            "USING gin (to_tsvector('english', content))"
        )
    else:
        # An external-content FTS5 index kept in step with the table by triggers.
        op.execute(
            "CREATE VIRTUAL TABLE memories_fts USING fts5("
            "content, content='memories', content_rowid='id', tokenize='porter unicode61')"
        )
        op.execute(
            "CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN "
            "INSERT INTO memories_fts(rowid, content) VALUES (new.id, new.content); END"
        )
        op.execute(
            "CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN "
            "INSERT INTO memories_fts(memories_fts, rowid, content) "
            "VALUES ('delete', old.id, old.content); END"
        )
        op.execute(
            "CREATE TRIGGER memories_fts_update AFTER UPDATE OF content ON memories BEGIN "
            "INSERT INTO memories_fts(memories_fts, rowid, content) "
            "VALUES ('delete', old.id, old.content); "
            "INSERT INTO memories_fts(rowid, content) VALUES (new.id, new.content); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("memories_fts_insert", "memories_fts_delete", "memories_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS memories_fts")
    op.drop_table("memories")
    op.drop_table("beliefs")
    op.drop_table("projection_checkpoints")
    op.drop_index("ix_events_stream_id_event_type_position", "events")
    op.drop_index("ix_events_causation_id", "events")
    with op.batch_alter_table("narrative_chunks") as batch:
        batch.drop_constraint("uq_narrative_chunks_turn_id_viewpoint_sequence", type_="unique")
        batch.create_unique_constraint(
            "uq_narrative_chunks_turn_id_sequence", ["turn_id", "sequence"]
        )
        batch.drop_column("viewpoint")
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("warnings")
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("development")
    with op.batch_alter_table("campaigns") as batch:
        for column in ("forked_at_event", "forked_from", "strict_coherence", "perspective"):
            batch.drop_column(column)
