"""data version: bumped with every change of the reference data

Revision ID: 7c4d2e9f1b30
Revises: bc3829131434
Create Date: 2026-11-30 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c4d2e9f1b30"
down_revision: str | None = "bc3829131434"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
        schema="locations",
    )
    op.execute("INSERT INTO locations.data_version (id, version) VALUES (1, 1)")


def downgrade() -> None:
    op.drop_table("data_version", schema="locations")
