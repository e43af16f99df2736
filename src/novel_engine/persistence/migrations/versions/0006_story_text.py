"""stories written by a model or compiled from a session: their text, word count,
quality, generation status and error, the model that wrote them, the length and prompt
asked for

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("content", sa.Text(), nullable=True))
        batch.add_column(sa.Column("word_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("quality", JSON_DOCUMENT, nullable=True))
        batch.add_column(sa.Column("generation_status", sa.String(12), nullable=True))
        batch.add_column(sa.Column("generation_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("model_used", sa.String(200), nullable=True))
        batch.add_column(sa.Column("length", sa.String(10), nullable=True))
        batch.add_column(sa.Column("prompt", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        for column in (
            "prompt",
            "length",
            "model_used",
            "generation_error",
            "generation_status",
            "quality",
            "word_count",
            "content",
        ):
            batch.drop_column(column)
