"""story engine: AI-played characters, narration (status, text, streamed chunks), the
campaign's narration style, and the record of every model call

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("narration_style", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("campaign_characters") as batch:
        batch.add_column(
            sa.Column("ai_controlled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("reactions", JSON_DOCUMENT, nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("narration_status", sa.String(10), nullable=False, server_default="pending")
        )
        batch.add_column(sa.Column("narrative", sa.Text(), nullable=True))
        batch.add_column(sa.Column("narration_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("model_used", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column("fallback", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Turns played before turns were narrated will never be: say so rather than leave
    # them pending forever.
    op.execute(
        "UPDATE turns SET narration_status = 'failed', "
        "narration_error = 'played before turns were narrated'"
    )
    op.create_table(
        "narrative_chunks",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.Uuid(),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "turn_id", sa.Uuid(), sa.ForeignKey("turns.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_narrative_chunks"),
        sa.UniqueConstraint("turn_id", "sequence", name="uq_narrative_chunks_turn_id_sequence"),
    )
    op.create_index("ix_narrative_chunks_session_id_id", "narrative_chunks", ["session_id", "id"])
    # A turn's events (its interaction) are read back by the engine that narrates it.
    op.create_index("ix_events_aggregate_id", "events", ["aggregate_id"])
    op.create_table(
        "model_calls",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("turn_id", sa.Uuid(), nullable=True),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("system", sa.Text(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("latency", sa.Float(), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_calls"),
        sa.UniqueConstraint("job_id", "step", "attempt", name="uq_model_calls_job_id_step_attempt"),
    )
    op.create_index("ix_model_calls_campaign_id", "model_calls", ["campaign_id"])
    op.create_index("ix_model_calls_turn_id", "model_calls", ["turn_id"])


def downgrade() -> None:
    op.drop_table("model_calls")
    op.drop_table("narrative_chunks")
    op.drop_index("ix_events_aggregate_id", "events")
    with op.batch_alter_table("turns") as batch:
        for column in (
            "fallback",
            "model_used",
            "narration_error",
            "narrative",
            "narration_status",
            "reactions",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("campaign_characters") as batch:
        batch.drop_column("ai_controlled")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("narration_style")
