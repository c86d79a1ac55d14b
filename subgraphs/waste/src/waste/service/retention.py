"""Upload retention: stored images do not pile up forever.

- An upload no analysis refers to (a reservation never filled, or an image never
  analysed) goes entirely — row and image — `unreferenced_upload_retention_seconds` after
  it was made or filled (default 24 h, which is also how long an upload may be analysed).
- The image of an analysed upload goes `analysed_image_retention_days` after upload
  (default 30); the row stays (storage_key NULL), so every analysis keeps its result.
- Never an image an analysis still in progress (QUEUED, RUNNING) needs.

Idempotent and safe to run anywhere at any time: rows are taken with FOR UPDATE SKIP
LOCKED in small batches, the images deleted (a missing one is no error), then the rows
changed in the same transaction — a crash in between leaves rows the next run finishes,
never an image without a row. Runs as a Dramatiq job (`purge_uploads`, scheduled by the
reconciler, one at a time under a Redis lock) and as `bunri purge-uploads`
(`python -m waste.retention`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Executable, and_, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waste.config import Settings
from waste.models import Analysis, Upload
from waste.state import IN_PROGRESS
from waste.storage import Storage

BATCH = 200


@dataclass
class Purged:
    reservations: int = 0  # unfilled reservations removed
    unreferenced_images: int = 0  # images no analysis used, removed with their rows
    analysed_images: int = 0  # images of old analyses removed; the analyses stay


def _referenced(upload_id: object) -> object:
    return exists().where(Analysis.upload_id == upload_id)


async def purge_once(
    *,
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    settings: Settings,
    now: datetime | None = None,
) -> Purged:
    now = now or datetime.now(UTC)
    # Never sooner than an upload may still be analysed: no analysis can start on it then.
    unreferenced_after = max(
        settings.unreferenced_upload_retention_seconds, settings.upload_usable_seconds
    )
    unreferenced_cutoff = now - timedelta(seconds=unreferenced_after)
    analysed_cutoff = now - timedelta(days=settings.analysed_image_retention_days)
    unreferenced = await _in_batches(
        sessions,
        storage,
        where=(
            Upload.created_at < unreferenced_cutoff,
            (Upload.uploaded_at.is_(None)) | (Upload.uploaded_at < unreferenced_cutoff),
            ~_referenced(Upload.id),
        ),
        change=lambda ids: delete(Upload).where(Upload.id.in_(ids)),
    )
    in_progress = exists().where(
        and_(Analysis.upload_id == Upload.id, Analysis.status.in_(IN_PROGRESS))
    )
    analysed = await _in_batches(
        sessions,
        storage,
        where=(
            Upload.storage_key.is_not(None),
            Upload.uploaded_at < analysed_cutoff,
            _referenced(Upload.id),
            ~in_progress,
        ),
        change=lambda ids: update(Upload).where(Upload.id.in_(ids)).values(storage_key=None),
    )
    return Purged(
        reservations=sum(key is None for key in unreferenced),
        unreferenced_images=sum(key is not None for key in unreferenced),
        analysed_images=len(analysed),
    )


async def _in_batches(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    *,
    where: tuple[ColumnElement[bool], ...],
    change: Callable[[list[uuid.UUID]], Executable],
) -> list[str | None]:
    """Takes the matching uploads BATCH at a time (FOR UPDATE SKIP LOCKED), deletes their
    images, then applies `change` to their rows in the same transaction. Returns the
    storage keys it went through (None for a reservation never filled)."""
    handled: list[str | None] = []
    while True:
        async with sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(Upload.id, Upload.storage_key)
                    .where(*where)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return handled
            for _, key in rows:
                if key is not None:
                    await storage.delete(key)
            await session.execute(change([upload_id for upload_id, _ in rows]))
        handled.extend(key for _, key in rows)


async def stored_bytes(*, session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    """What a user holds: stored images plus reservations that may still be filled."""
    total = await session.scalar(
        select(func.coalesce(func.sum(func.coalesce(Upload.stored_size, Upload.declared_size)), 0))
        .where(
            Upload.user_id == user_id,
            (Upload.storage_key.is_not(None))
            | (Upload.uploaded_at.is_(None) & (Upload.expires_at > now)),
        )
    )  # fmt: skip
    return int(total or 0)
