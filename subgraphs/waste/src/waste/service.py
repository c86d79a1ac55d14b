"""Uploads and analyses: the waste domain's rules; no Strawberry here."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bunri_shared.errors import BunriError, ErrorCode, bad_input
from waste import retention
from waste.config import Settings
from waste.images import ALLOWED_TYPES
from waste.models import Analysis, Upload

MAX_HINT_LENGTH = 200
MAX_IDEMPOTENCY_KEY_LENGTH = 200


def upload_not_found() -> BunriError:
    # Someone else's upload answers exactly like a missing one: ids are not confirmed.
    return BunriError(ErrorCode.UPLOAD_NOT_FOUND, "No such upload.")


async def create_upload(
    *, session: AsyncSession, settings: Settings, user_id: uuid.UUID, content_type: str, size: int
) -> Upload:
    if content_type not in ALLOWED_TYPES:
        raise bad_input(
            f"contentType must be one of {', '.join(sorted(ALLOWED_TYPES))}", field="contentType"
        )
    if not 1 <= size <= settings.max_upload_bytes:
        raise bad_input(
            f"byteSize must be between 1 and {settings.max_upload_bytes}", field="byteSize"
        )
    now = datetime.now(UTC)
    held = await retention.stored_bytes(session=session, user_id=user_id, now=now)
    if held + size > settings.storage_quota_bytes_per_user:
        # Freed as retention removes old images; a new upload fits again later.
        raise BunriError(
            ErrorCode.RATE_LIMITED,
            "Your storage quota is used up; older images are removed over time.",
            reason="STORAGE_QUOTA",
            quotaBytes=settings.storage_quota_bytes_per_user,
            usedBytes=held,
            retryAfter=3600,
        )
    upload = Upload(
        id=uuid.uuid4(),
        user_id=user_id,
        declared_type=content_type,
        declared_size=size,
        expires_at=now + timedelta(seconds=settings.upload_url_ttl_seconds),
    )
    session.add(upload)
    await session.flush()
    return upload


async def usable_upload(
    *, session: AsyncSession, settings: Settings, user_id: uuid.UUID, upload_id: str
) -> Upload:
    try:
        key = uuid.UUID(upload_id)
    except ValueError:
        raise upload_not_found() from None
    upload = await session.get(Upload, key)
    if upload is None or upload.user_id != user_id:
        raise upload_not_found()
    if upload.uploaded_at is None:
        if upload.expires_at <= datetime.now(UTC):
            raise BunriError(
                ErrorCode.UPLOAD_EXPIRED, "The upload URL expired before any bytes arrived."
            )
        raise BunriError(ErrorCode.UPLOAD_NOT_FOUND, "The image bytes have not been uploaded yet.")
    if upload.uploaded_at + timedelta(seconds=settings.upload_usable_seconds) <= datetime.now(UTC):
        raise BunriError(
            ErrorCode.UPLOAD_EXPIRED, "The upload is too old to analyse; upload again."
        )
    return upload


def check_request(hint: str | None, idempotency_key: str | None) -> tuple[str | None, str | None]:
    hint = hint.strip() if hint is not None else None
    if hint is not None and len(hint) > MAX_HINT_LENGTH:
        raise bad_input(f"hint is longer than {MAX_HINT_LENGTH} characters", field="hint")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise bad_input(
            f"idempotencyKey must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters",
            field="idempotencyKey",
        )
    return hint or None, idempotency_key


async def request_analysis(
    *,
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    upload_id: str,
    hint: str | None,
    idempotency_key: str | None,
) -> tuple[Analysis, bool]:
    """The analysis to run, and whether it is new (False: an idempotent repeat)."""
    hint, idempotency_key = check_request(hint, idempotency_key)
    if idempotency_key is not None:
        existing = await _by_idempotency_key(session, user_id, idempotency_key)
        if existing is not None:
            return _same_request(existing, upload_id), False
    upload = await usable_upload(
        session=session, settings=settings, user_id=user_id, upload_id=upload_id
    )
    analysis_id = uuid.uuid4()
    inserted = await session.scalar(
        insert(Analysis)
        .values(
            id=analysis_id,
            user_id=user_id,
            upload_id=upload.id,
            idempotency_key=idempotency_key,
            hint=hint,
            image_sha256=upload.sha256,
            status="QUEUED",
            stage="queued",
            progress=0,
            enqueued_at=datetime.now(UTC),
        )
        # Two requests racing with one key: the loser gets the winner's analysis.
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
        .returning(Analysis.id)
    )
    if inserted is None:
        assert idempotency_key is not None
        existing = await _by_idempotency_key(session, user_id, idempotency_key)
        assert existing is not None
        return _same_request(existing, upload_id), False
    analysis = await session.get(Analysis, analysis_id)
    assert analysis is not None
    return analysis, True


def _same_request(existing: Analysis, upload_id: str) -> Analysis:
    """A key names one request: reusing it for another upload is a client bug, said so."""
    if str(existing.upload_id) != upload_id:
        raise bad_input(
            "idempotencyKey was already used for another upload", field="idempotencyKey"
        )
    return existing


async def _by_idempotency_key(
    session: AsyncSession, user_id: uuid.UUID, key: str
) -> Analysis | None:
    return await session.scalar(
        select(Analysis).where(Analysis.user_id == user_id, Analysis.idempotency_key == key)
    )


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Analysis]
    has_next: bool


def cursor_of(row: Analysis) -> str:
    return base64.urlsafe_b64encode(f"{row.created_at.isoformat()}|{row.id}".encode()).decode()


def _parse_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created, _, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created), uuid.UUID(row_id)
    except (ValueError, UnicodeDecodeError):
        raise bad_input("after is not a cursor from this list", field="after") from None


async def analyses_page(
    *, session: AsyncSession, user_id: uuid.UUID, first: int, after: str | None
) -> Page:
    """Newest first; keyset pagination on (created_at, id), index-backed."""
    query = select(Analysis).where(Analysis.user_id == user_id)
    if after is not None:
        created, row_id = _parse_cursor(after)
        query = query.where(
            or_(
                Analysis.created_at < created,
                and_(Analysis.created_at == created, Analysis.id < row_id),
            )
        )
    rows = list(
        await session.scalars(
            query.order_by(Analysis.created_at.desc(), Analysis.id.desc()).limit(first + 1)
        )
    )
    return Page(rows=rows[:first], has_next=len(rows) > first)


async def mark_enqueued(*, session: AsyncSession, analysis_id: uuid.UUID) -> None:
    await session.execute(
        update(Analysis).where(Analysis.id == analysis_id).values(enqueued_at=datetime.now(UTC))
    )
