"""turn outcomes: what the director decided for each action of a turn

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Turns played before the director decided outcomes have none: [].
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("outcomes", JSON_DOCUMENT, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("outcomes")
