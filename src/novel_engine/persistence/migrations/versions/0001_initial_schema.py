"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 20:45:24.679666
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "event_streams",
        sa.Column("stream_id", sa.Uuid(), nullable=False),
        sa.Column("stream_type", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_event_streams")),
    )
    op.create_table(
        "events",
        sa.Column("stream_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stream_type", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("event_version", sa.String(length=20), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_type", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.Uuid(), nullable=False),
        sa.Column("causation_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.CheckConstraint("position > 0", name=op.f("ck_events_position_positive")),
        sa.PrimaryKeyConstraint("stream_id", "position", name=op.f("pk_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_events_event_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_correlation_id"), ["correlation_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("world_state", JSON_DOCUMENT, nullable=False),
        sa.Column("world_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_campaigns_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "characters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("openness", sa.Float(), nullable=False),
        sa.Column("conscientiousness", sa.Float(), nullable=False),
        sa.Column("extraversion", sa.Float(), nullable=False),
        sa.Column("agreeableness", sa.Float(), nullable=False),
        sa.Column("neuroticism", sa.Float(), nullable=False),
        sa.Column("background", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_characters_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_characters")),
    )
    with op.batch_alter_table("characters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_characters_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            "ix_characters_visibility_created_at_id",
            ["visibility", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "stories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("genre", sa.String(length=20), nullable=False),
        sa.Column("themes", JSON_DOCUMENT, nullable=False),
        sa.Column("tone", sa.String(length=20), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_stories_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stories_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            "ix_stories_visibility_created_at_id", ["visibility", "created_at", "id"], unique=False
        )

    op.create_table(
        "campaign_characters",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("character_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_characters_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["character_id"],
            ["characters.id"],
            name=op.f("fk_campaign_characters_character_id_characters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "character_id", name=op.f("pk_campaign_characters")),
    )
    with op.batch_alter_table("campaign_characters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_characters_character_id"), ["character_id"], unique=False
        )

    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_members_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_campaign_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "user_id", name=op.f("pk_campaign_members")),
    )
    with op.batch_alter_table("campaign_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaign_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "character_relationships",
        sa.Column("character_id", sa.Uuid(), nullable=False),
        sa.Column("related_character_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("strength", sa.Float(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["character_id"],
            ["characters.id"],
            name=op.f("fk_character_relationships_character_id_characters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_character_id"],
            ["characters.id"],
            name=op.f("fk_character_relationships_related_character_id_characters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "character_id", "related_character_id", name=op.f("pk_character_relationships")
        ),
    )
    with op.batch_alter_table("character_relationships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_character_relationships_related_character_id"),
            ["related_character_id"],
            unique=False,
        )

    op.create_table(
        "character_skills",
        sa.Column("character_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["character_id"],
            ["characters.id"],
            name=op.f("fk_character_skills_character_id_characters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("character_id", "name", name=op.f("pk_character_skills")),
    )
    op.create_table(
        "story_characters",
        sa.Column("story_id", sa.Uuid(), nullable=False),
        sa.Column("character_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["character_id"],
            ["characters.id"],
            name=op.f("fk_story_characters_character_id_characters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_characters_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("story_id", "character_id", name=op.f("pk_story_characters")),
    )
    with op.batch_alter_table("story_characters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_story_characters_character_id"), ["character_id"], unique=False
        )

    op.create_table(
        "story_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("story_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("plot_point", sa.String(length=30), nullable=True),
        sa.Column("character_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["story_id"],
            ["stories.id"],
            name=op.f("fk_story_entries_story_id_stories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_entries")),
        sa.UniqueConstraint(
            "story_id", "sequence", name=op.f("uq_story_entries_story_id_sequence")
        ),
    )


def downgrade() -> None:
    op.drop_table("story_entries")
    with op.batch_alter_table("story_characters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_characters_character_id"))

    op.drop_table("story_characters")
    op.drop_table("character_skills")
    with op.batch_alter_table("character_relationships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_character_relationships_related_character_id"))

    op.drop_table("character_relationships")
    with op.batch_alter_table("campaign_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_members_user_id"))

    op.drop_table("campaign_members")
    with op.batch_alter_table("campaign_characters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_characters_character_id"))

    op.drop_table("campaign_characters")
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_index("ix_stories_visibility_created_at_id")
        batch_op.drop_index(batch_op.f("ix_stories_owner_id"))

    op.drop_table("stories")
    with op.batch_alter_table("characters", schema=None) as batch_op:
        batch_op.drop_index("ix_characters_visibility_created_at_id")
        batch_op.drop_index(batch_op.f("ix_characters_owner_id"))

    op.drop_table("characters")
    op.drop_table("campaigns")
    op.drop_table("users")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_correlation_id"))

    op.drop_table("events")
    op.drop_table("event_streams")
