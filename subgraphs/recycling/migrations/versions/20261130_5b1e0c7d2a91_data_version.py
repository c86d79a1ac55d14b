"""data version: bumped with every change of the reference data

Revision ID: 5b1e0c7d2a91
Revises: 9ac87ef7c849
Create Date: 2026-11-30 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e0c7d2a91"
down_revision: str | None = "9ac87ef7c849"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
        schema="recycling",
    )
    op.execute("INSERT INTO recycling.data_version (id, version) VALUES (1, 1)")


def downgrade() -> None:
    op.drop_table("data_version", schema="recycling")
