"""Uploads and analyses: the waste domain's rules; no Strawberry here.

Every query and write of the waste domain is in this package (`jobs`: job state for the
worker and the reconciler; `retention`: upload retention). Callers own the transaction
(`async with sessions() as session, session.begin()`) and pass the session in; what must
go out only after the commit (progress events, job messages) is a function of its own,
called by the caller after the commit.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import and_, any_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bunri_shared import ratelimit
from bunri_shared.errors import BunriError, ErrorCode, bad_input
from bunri_shared.outages import deliver_after_commit
from bunri_shared.resources import Resources
from waste.config import Settings
from waste.events import publish
from waste.images import ALLOWED_TYPES, CleanImage
from waste.models import Analysis, Upload
from waste.service import jobs, retention
from waste.state import AnalysisState, AnalysisStatus, AnalysisStep
from waste.storage import Storage

MAX_HINT_LENGTH = 200
MAX_IDEMPOTENCY_KEY_LENGTH = 200


def upload_not_found() -> BunriError:
    # Someone else's upload answers exactly like a missing one: ids are not confirmed.
    return BunriError(ErrorCode.UPLOAD_NOT_FOUND, "No such upload.")


def upload_filled() -> BunriError:
    return BunriError(ErrorCode.BAD_USER_INPUT, "This upload already has its bytes.")


def per_user_per_hour(action: str, user_id: uuid.UUID, allowed: int) -> ratelimit.Limit:
    return ratelimit.Limit(f"waste:{action}:user:{user_id}", allowed, 3600)


async def create_upload(
    *,
    session: AsyncSession,
    redis: Redis,
    settings: Settings,
    user_id: uuid.UUID,
    content_type: str,
    size: int,
) -> Upload:
    await ratelimit.take(
        redis, [per_user_per_hour("uploads", user_id, settings.uploads_per_user_per_hour)]
    )
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
    redis: Redis,
    settings: Settings,
    user_id: uuid.UUID,
    upload_id: str,
    hint: str | None,
    idempotency_key: str | None,
) -> tuple[Analysis, bool]:
    """The analysis to run, and whether it is new (False: an idempotent repeat); if new,
    call `start_analysis` after the commit."""
    await ratelimit.take(
        redis, [per_user_per_hour("analyses", user_id, settings.analyses_per_user_per_hour)]
    )
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
            status=AnalysisStatus.QUEUED,
            stage=AnalysisStep.QUEUED,
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


async def start_analysis(resources: Resources, analysis: Analysis) -> None:
    """After the commit: a worker must find the row. Retried through a blip; if it still
    cannot go, the row is the outbox: the reconciler re-sends a job that stays QUEUED with
    an old enqueued_at. The client has its analysis either way."""
    state = AnalysisState.of(analysis)
    await deliver_after_commit(
        lambda: publish(resources.redis, state),
        what=f"analysis {analysis.id} queued event",
        attempts=1,
    )
    await deliver_after_commit(
        lambda: jobs.send_job(resources, analysis.id), what=f"analysis {analysis.id} job"
    )


async def analyses_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Analysis]:
    """One statement for a whole batch (in no particular order)."""
    return list(await session.scalars(select(Analysis).where(Analysis.id.in_(ids))))


async def analysis_state(*, session: AsyncSession, analysis_id: uuid.UUID) -> AnalysisState | None:
    row = await session.get(Analysis, analysis_id)
    return AnalysisState.of(row) if row is not None else None


# Ids per statement when many states are read at once: one bound array, bounded in size.
STATES_PER_QUERY = 500
UUID_ARRAY = ARRAY(UUID(as_uuid=True))


async def analysis_states(
    *, session: AsyncSession, analysis_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AnalysisState]:
    """The stored states of these analyses, by id (missing ones left out): one statement
    per STATES_PER_QUERY ids, whatever the number of ids."""
    found: dict[uuid.UUID, AnalysisState] = {}
    ids = list(analysis_ids)
    for start in range(0, len(ids), STATES_PER_QUERY):
        chunk = ids[start : start + STATES_PER_QUERY]
        rows = await session.scalars(
            select(Analysis).where(Analysis.id == any_(bindparam("ids", chunk, type_=UUID_ARRAY)))
        )
        found.update((row.id, AnalysisState.of(row)) for row in rows)
    return found


# -- PUT /uploads/{id} -------------------------------------------------------------------


async def fillable_upload(*, session: AsyncSession, upload_id: uuid.UUID) -> Upload:
    """The reservation the bytes are for: known, still empty and not expired, else
    UPLOAD_NOT_FOUND, BAD_USER_INPUT (`upload_filled`) or UPLOAD_EXPIRED."""
    upload = await session.get(Upload, upload_id)
    if upload is None:
        raise upload_not_found()
    if upload.uploaded_at is not None:
        raise upload_filled()
    if upload.expires_at <= datetime.now(UTC):
        raise BunriError(ErrorCode.UPLOAD_EXPIRED, "The upload has expired.")
    return upload


async def store_image(
    *,
    session: AsyncSession,
    storage: Storage,
    upload_id: uuid.UUID,
    image: CleanImage,
) -> bool:
    """Store the bytes, then mark the upload filled; only once: False (and the stored
    bytes deleted) if another PUT got there first. The bytes go before the first
    statement, so no database connection is held while they travel."""
    # A fresh key per attempt: two racing PUTs never overwrite each other's bytes.
    storage_key = f"uploads/{upload_id}/{secrets.token_hex(8)}"
    await storage.put(storage_key, image.data, image.content_type)
    marked = await session.execute(
        update(Upload)
        .where(Upload.id == upload_id, Upload.uploaded_at.is_(None))
        .values(
            uploaded_at=datetime.now(UTC),
            detected_type=image.content_type,
            storage_key=storage_key,
            stored_size=image.size,
            width=image.width,
            height=image.height,
            sha256=image.sha256,
        )
    )
    if marked.rowcount == 0:  # type: ignore[attr-defined]
        await storage.delete(storage_key)
        return False
    return True
