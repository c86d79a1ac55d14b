"""Tables of the `locations` schema: drop-off points."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column
from sqlalchemy.types import UserDefinedType

from bunri_shared.data_version import data_version_table
from bunri_shared.db import schema_metadata

SCHEMA = "locations"


class Earth(UserDefinedType[Any]):
    """earthdistance's `earth` (a point on the globe as a 3-D cube), GiST-indexable.

    Stored, not computed in an index expression: PG ≤ 16's ll_to_earth is not
    schema-qualified, so expression indexes on it break under restricted search paths.
    """

    cache_ok = True

    def get_col_spec(self, **_: Any) -> str:
        return "extensions.earth"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


class DropOffPoint(Base):
    __tablename__ = "drop_off_points"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID, primary_key=True, server_default=func.gen_random_uuid()
    )
    source: Mapped[str] = mapped_column(Text)
    source_id: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(Text)
    lot_address: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float]
    longitude: Mapped[float]
    position: Mapped[Any] = deferred(mapped_column(Earth, nullable=False))
    kind: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # Leaf category codes, as collected; `search_categories` adds their ancestors.
    accepted_categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    search_categories: Mapped[list[str]] = mapped_column(ARRAY(Text))
    unmapped_items: Mapped[list[str]] = mapped_column(ARRAY(Text))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_drop_off_points_position", "position", postgresql_using="gist"),
        Index("ix_drop_off_points_search_categories", "search_categories", postgresql_using="gin"),
    )


# Bumped by the importer in its transaction (bunri_shared.data_version).
DATA_VERSION = data_version_table(Base.metadata)
