"""Tables of the `recycling` schema: the disposal taxonomy, its guides and items."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Identity, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bunri_shared.data_version import data_version_table
from bunri_shared.db import schema_metadata

SCHEMA = "recycling"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


class Category(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.categories.code"), index=True
    )
    position: Mapped[int]
    name_ko: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    # {"steps": {"ko": [...], "en": [...]}, "not_accepted": [{"name": {...}, "goes_to": ...}]}
    guide: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str | None] = mapped_column(Text)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    category_code: Mapped[str] = mapped_column(
        ForeignKey(f"{SCHEMA}.categories.code", ondelete="CASCADE"), index=True
    )
    name_ko: Mapped[str] = mapped_column(Text, unique=True)
    name_en: Mapped[str] = mapped_column(Text)
    synonyms: Mapped[list[str]] = mapped_column(ARRAY(Text))


class ItemTerm(Base):
    """Every name and synonym of an item, normalised, for trigram search."""

    __tablename__ = "item_terms"

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey(f"{SCHEMA}.items.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index(
            "ix_item_terms_term_trgm",
            "term",
            postgresql_using="gin",
            postgresql_ops={"term": "extensions.gin_trgm_ops"},
        ),
    )


# Bumped by the seeder in its transaction (bunri_shared.data_version).
DATA_VERSION = data_version_table(Base.metadata)
