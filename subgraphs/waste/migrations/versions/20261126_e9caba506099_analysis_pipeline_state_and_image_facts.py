"""analysis pipeline state and image facts

Revision ID: e9caba506099
Revises: c3e8996c520c
Create Date: 2026-11-26 08:43:44.457398
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e9caba506099"
down_revision: str | None = "c3e8996c520c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("analyses", sa.Column("cache_key", sa.Text(), nullable=True), schema="waste")
    op.add_column(
        "analyses",
        sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True),
        schema="waste",
    )
    op.add_column(
        "analyses",
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        schema="waste",
    )
    op.add_column(
        "analyses",
        sa.Column("points_sent_at", sa.DateTime(timezone=True), nullable=True),
        schema="waste",
    )
    op.drop_index(op.f("ix_analyses_image_sha256"), table_name="analyses", schema="waste")
    op.create_index(
        "ix_analyses_cache_key",
        "analyses",
        ["cache_key", "finished_at"],
        unique=False,
        schema="waste",
        postgresql_where=sa.text("status = 'SUCCEEDED'"),
    )
    op.create_index(
        "ix_analyses_unfinished",
        "analyses",
        ["status", "heartbeat_at"],
        unique=False,
        schema="waste",
        postgresql_where=sa.text("status IN ('QUEUED', 'RUNNING')"),
    )
    op.add_column("uploads", sa.Column("stored_size", sa.Integer(), nullable=True), schema="waste")
    op.add_column("uploads", sa.Column("width", sa.Integer(), nullable=True), schema="waste")
    op.add_column("uploads", sa.Column("height", sa.Integer(), nullable=True), schema="waste")


def downgrade() -> None:
    op.drop_column("uploads", "height", schema="waste")
    op.drop_column("uploads", "width", schema="waste")
    op.drop_column("uploads", "stored_size", schema="waste")
    op.drop_index(
        "ix_analyses_unfinished",
        table_name="analyses",
        schema="waste",
        postgresql_where=sa.text("status IN ('QUEUED', 'RUNNING')"),
    )
    op.drop_index(
        "ix_analyses_cache_key",
        table_name="analyses",
        schema="waste",
        postgresql_where=sa.text("status = 'SUCCEEDED'"),
    )
    op.create_index(
        op.f("ix_analyses_image_sha256"),
        "analyses",
        ["image_sha256", "finished_at"],
        unique=False,
        schema="waste",
    )
    op.drop_column("analyses", "points_sent_at", schema="waste")
    op.drop_column("analyses", "heartbeat_at", schema="waste")
    op.drop_column("analyses", "enqueued_at", schema="waste")
    op.drop_column("analyses", "cache_key", schema="waste")
