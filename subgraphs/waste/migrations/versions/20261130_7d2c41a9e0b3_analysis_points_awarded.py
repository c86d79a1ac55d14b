"""analysis points awarded

Revision ID: 7d2c41a9e0b3
Revises: e9caba506099
Create Date: 2026-11-30 11:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2c41a9e0b3"
down_revision: str | None = "e9caba506099"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Additive: old replicas ignore the column; rows finished before it stay null.
    op.add_column(
        "analyses", sa.Column("points_awarded", sa.Integer(), nullable=True), schema="waste"
    )


def downgrade() -> None:
    op.drop_column("analyses", "points_awarded", schema="waste")
