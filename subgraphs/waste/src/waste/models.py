"""Tables of the `waste` schema: image uploads and analyses."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from bunri_shared.db import schema_metadata
from waste.state import IN_PROGRESS, AnalysisStatus, AnalysisStep

SCHEMA = "waste"


class _StatusText(TypeDecorator[AnalysisStatus]):
    """`AnalysisStatus` stored as its plain text value (the column stays TEXT)."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Dialect) -> AnalysisStatus | None:
        return AnalysisStatus(value) if value is not None else None


class _StepText(TypeDecorator[AnalysisStep]):
    """`AnalysisStep` stored as its plain text value (the column stays TEXT)."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Dialect) -> AnalysisStep | None:
        return AnalysisStep(value) if value is not None else None


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID, primary_key=True, server_default=func.gen_random_uuid()
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUID, index=True)
    declared_type: Mapped[str] = mapped_column(Text)
    declared_size: Mapped[int] = mapped_column(Integer)
    detected_type: Mapped[str | None] = mapped_column(Text)
    storage_key: Mapped[str | None] = mapped_column(Text)
    stored_size: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    # Of the bytes as uploaded: "the same image" for the analysis cache.
    sha256: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Analysis(Base):
    __tablename__ = "analyses"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID, primary_key=True, server_default=func.gen_random_uuid()
    )
    user_id: Mapped[uuid.UUID] = mapped_column(UUID)
    upload_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(f"{SCHEMA}.uploads.id"))
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(Text)
    status: Mapped[AnalysisStatus] = mapped_column(
        _StatusText, server_default=AnalysisStatus.QUEUED.value
    )
    stage: Mapped[AnalysisStep] = mapped_column(_StepText, server_default=AnalysisStep.QUEUED.value)
    progress: Mapped[int] = mapped_column(Integer, server_default="0")
    category_code: Mapped[str | None] = mapped_column(Text)
    item_name: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    classifier: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    image_sha256: Mapped[str | None] = mapped_column(Text)
    # image hash + classifier + normalised hint: equal keys give equal answers.
    cache_key: Mapped[str | None] = mapped_column(Text)
    cached: Mapped[bool | None]
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    points_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Decided with the final state (0: none, e.g. a repeat of one's own photo); null before.
    points_awarded: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        # Newest-first pagination of one user's analyses.
        Index("ix_analyses_user_created", "user_id", "created_at", "id"),
        # Cache lookups: the same question answered recently.
        Index(
            "ix_analyses_cache_key",
            "cache_key",
            "finished_at",
            postgresql_where=text(f"status = '{AnalysisStatus.SUCCEEDED}'"),
        ),
        # The reconciler's scan for orphaned and unsent work.
        Index(
            "ix_analyses_unfinished",
            "status",
            "heartbeat_at",
            postgresql_where=text(f"status IN {tuple(str(s) for s in IN_PROGRESS)}"),
        ),
    )
