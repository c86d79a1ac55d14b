"""The waste domain's rules against the real `waste` schema and Redis (the fast layer: no
HTTP, no worker, no processes). Uploads, analysis requests, history paging, the job state
the worker and the reconciler write, and retention; the stack paths (the PUT endpoint,
the pipeline run by a worker, subscriptions) are in the other test files."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bunri_shared.errors import BunriError, ErrorCode
from waste import service, stages
from waste.config import Settings
from waste.images import CleanImage
from waste.models import Analysis, Upload
from waste.service import jobs
from waste.service.retention import Purged, purge_once, stored_bytes
from waste.state import AnalysisStatus, AnalysisStep
from waste.storage import LocalStorage

PNG = "image/png"
HOUR = timedelta(hours=1)


def _settings(**values: Any) -> Settings:
    return Settings(DATABASE_URL="postgresql://unused", **values)


async def _code(call: object) -> dict[str, Any]:
    """The error's extensions (its code and details), as a client would get them."""
    with pytest.raises(BunriError) as raised:
        await call  # type: ignore[misc]
    return raised.value.extensions


def _image(data: bytes = b"clean image bytes") -> CleanImage:
    return CleanImage(
        data=data, content_type=PNG, width=2, height=1, sha256=uuid.uuid4().hex * 2, size=len(data)
    )


async def _stored(
    session: AsyncSession, redis: Redis, storage: LocalStorage, user_id: uuid.UUID
) -> Upload:
    """An upload whose bytes arrived: what an analysis may be requested on."""
    upload = await service.create_upload(
        session=session,
        redis=redis,
        settings=_settings(),
        user_id=user_id,
        content_type=PNG,
        size=100,
    )
    stored = await service.store_image(
        session=session, storage=storage, upload_id=upload.id, image=_image()
    )
    assert stored
    await session.refresh(upload)
    return upload


def _files(root: Path) -> list[str]:
    """Every stored object's key, from the storage directory itself."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def _row(session: AsyncSession, analysis_id: uuid.UUID) -> Analysis:
    row = await session.get(Analysis, analysis_id, populate_existing=True)
    assert row is not None
    return row


async def _analysis(session: AsyncSession, **values: Any) -> Analysis:
    row = Analysis(id=uuid.uuid4(), user_id=values.pop("user_id", uuid.uuid4()), **values)
    session.add(row)
    await session.flush()
    return await _row(session, row.id)


# -- uploads -----------------------------------------------------------------------------


async def test_an_upload_reservation_is_stored_with_its_declared_type_size_and_expiry(
    session: AsyncSession, redis: Redis
) -> None:
    user_id = uuid.uuid4()
    before = datetime.now(UTC)
    settings = _settings(upload_url_ttl_seconds=600)
    upload = await service.create_upload(
        session=session, redis=redis, settings=settings, user_id=user_id, content_type=PNG, size=42
    )
    stored = await session.get(Upload, upload.id, populate_existing=True)
    assert stored is not None
    assert (stored.user_id, stored.declared_type, stored.declared_size) == (user_id, PNG, 42)
    assert (stored.uploaded_at, stored.storage_key) == (None, None)
    assert before + timedelta(seconds=600) <= stored.expires_at <= datetime.now(UTC) + HOUR


@pytest.mark.parametrize(
    ("content_type", "size", "field"),
    [("image/gif", 10, "contentType"), (PNG, 0, "byteSize"), (PNG, 1001, "byteSize")],
)
async def test_an_upload_outside_the_allowed_types_and_sizes_is_refused(
    session: AsyncSession, redis: Redis, content_type: str, size: int, field: str
) -> None:
    settings = _settings(max_upload_bytes=1000)
    error = await _code(
        service.create_upload(
            session=session,
            redis=redis,
            settings=settings,
            user_id=uuid.uuid4(),
            content_type=content_type,
            size=size,
        )
    )
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field)


async def test_uploads_per_hour_are_limited_per_user(session: AsyncSession, redis: Redis) -> None:
    settings = _settings(uploads_per_user_per_hour=2)
    user_id, other = uuid.uuid4(), uuid.uuid4()
    reserve = {"session": session, "redis": redis, "settings": settings, "content_type": PNG}
    for _ in range(2):
        await service.create_upload(**reserve, user_id=user_id, size=10)
    error = await _code(service.create_upload(**reserve, user_id=user_id, size=10))
    assert error["code"] == "RATE_LIMITED" and error["retryAfter"] >= 1
    await service.create_upload(**reserve, user_id=other, size=10)  # another user's own count


async def test_the_storage_quota_counts_stored_images_and_open_reservations(
    session: AsyncSession, redis: Redis, tmp_path: Path
) -> None:
    user_id = uuid.uuid4()
    storage = LocalStorage(tmp_path)
    filled = await _stored(session, redis, storage, user_id)  # stored size: the clean bytes
    settings = _settings(storage_quota_bytes_per_user=filled.stored_size + 500)
    reserve = {"session": session, "redis": redis, "settings": settings, "user_id": user_id}
    await service.create_upload(**reserve, content_type=PNG, size=400)
    # An expired reservation no longer holds space.
    session.add(
        Upload(
            user_id=user_id,
            declared_type=PNG,
            declared_size=10_000,
            expires_at=datetime.now(UTC) - HOUR,
        )
    )
    await session.flush()
    held = filled.stored_size + 400
    assert await stored_bytes(session=session, user_id=user_id, now=datetime.now(UTC)) == held
    error = await _code(service.create_upload(**reserve, content_type=PNG, size=101))
    assert error == {
        "code": "RATE_LIMITED",
        "reason": "STORAGE_QUOTA",
        "quotaBytes": held + 100,
        "usedBytes": held,
        "retryAfter": 3600,
    }
    await service.create_upload(**reserve, content_type=PNG, size=100)  # exactly fits


async def test_the_bytes_of_an_upload_are_stored_once(
    session: AsyncSession, redis: Redis, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path)
    upload = await _stored(session, redis, storage, uuid.uuid4())
    first_key = upload.storage_key
    assert first_key is not None and upload.stored_size == len(b"clean image bytes")
    assert await storage.get(first_key) == b"clean image bytes"
    # A second PUT loses: the row keeps the first image, the loser's bytes are deleted.
    again = await service.store_image(
        session=session, storage=storage, upload_id=upload.id, image=_image(b"other")
    )
    assert not again
    await session.refresh(upload)
    assert upload.storage_key == first_key
    assert await asyncio.to_thread(_files, tmp_path) == [first_key]


async def test_bytes_go_only_to_a_known_empty_unexpired_reservation(
    session: AsyncSession, redis: Redis, tmp_path: Path
) -> None:
    user_id = uuid.uuid4()
    reserved = await service.create_upload(
        session=session,
        redis=redis,
        settings=_settings(),
        user_id=user_id,
        content_type=PNG,
        size=9,
    )
    fillable = await service.fillable_upload(session=session, upload_id=reserved.id)
    assert fillable.id == reserved.id

    async def code(upload_id: uuid.UUID) -> str:
        return (await _code(service.fillable_upload(session=session, upload_id=upload_id)))["code"]

    assert await code(uuid.uuid4()) == "UPLOAD_NOT_FOUND"
    filled = await _stored(session, redis, LocalStorage(tmp_path), user_id)
    assert await code(filled.id) == "BAD_USER_INPUT"  # already has its bytes
    reserved.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await session.flush()
    assert await code(reserved.id) == "UPLOAD_EXPIRED"


# -- analysis requests -------------------------------------------------------------------


async def test_an_analysis_request_queues_a_job_on_the_uploaded_image(
    session: AsyncSession, redis: Redis, tmp_path: Path
) -> None:
    user_id = uuid.uuid4()
    upload = await _stored(session, redis, LocalStorage(tmp_path), user_id)
    request = {"session": session, "redis": redis, "settings": _settings(), "user_id": user_id}
    analysis, created = await service.request_analysis(
        **request, upload_id=str(upload.id), hint="  페트병 ", idempotency_key=None
    )
    assert created
    row = await _row(session, analysis.id)
    assert (row.status, row.stage, row.progress, row.attempts) == ("QUEUED", "queued", 0, 0)
    # The enums' values are the stored strings: rows written before them read the same.
    stored = await session.execute(
        text("SELECT status, stage FROM analyses WHERE id = :id"), {"id": analysis.id}
    )
    assert stored.one() == ("QUEUED", "queued")
    assert (type(row.status), type(row.stage)) == (AnalysisStatus, AnalysisStep)
    assert (row.upload_id, row.image_sha256, row.hint) == (upload.id, upload.sha256, "페트병")
    assert row.enqueued_at is not None
    # Without a key every request is a new analysis; an empty hint is no hint.
    other, created = await service.request_analysis(
        **request, upload_id=str(upload.id), hint="   ", idempotency_key=None
    )
    assert created and other.id != analysis.id and other.hint is None


async def test_an_idempotency_key_names_one_request(
    session: AsyncSession, redis: Redis, tmp_path: Path
) -> None:
    user_id = uuid.uuid4()
    storage = LocalStorage(tmp_path)
    upload, another = [await _stored(session, redis, storage, user_id) for _ in range(2)]
    request = {"session": session, "redis": redis, "settings": _settings(), "user_id": user_id}
    first, created = await service.request_analysis(
        **request, upload_id=str(upload.id), hint=None, idempotency_key="k1"
    )
    again, created_again = await service.request_analysis(
        **request, upload_id=str(upload.id), hint="ignored", idempotency_key="k1"
    )
    assert (created, created_again, again.id) == (True, False, first.id)
    error = await _code(
        service.request_analysis(
            **request, upload_id=str(another.id), hint=None, idempotency_key="k1"
        )
    )
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "idempotencyKey")
    # Keys are per user: someone else's "k1" is theirs.
    stranger = uuid.uuid4()
    theirs = await _stored(session, redis, storage, stranger)
    _, created = await service.request_analysis(
        **{**request, "user_id": stranger},
        upload_id=str(theirs.id),
        hint=None,
        idempotency_key="k1",
    )
    assert created


async def test_an_analysis_needs_the_users_own_filled_and_fresh_upload(
    session: AsyncSession, redis: Redis, tmp_path: Path
) -> None:
    user_id = uuid.uuid4()
    settings = _settings(upload_usable_seconds=3600)
    request = {"session": session, "redis": redis, "settings": settings, "user_id": user_id}

    async def code(upload_id: str) -> str:
        call = service.request_analysis(
            **request, upload_id=upload_id, hint=None, idempotency_key=None
        )
        return (await _code(call))["code"]

    assert await code("not a uuid") == "UPLOAD_NOT_FOUND"
    assert await code(str(uuid.uuid4())) == "UPLOAD_NOT_FOUND"
    someone_elses = await _stored(session, redis, LocalStorage(tmp_path), uuid.uuid4())
    assert await code(str(someone_elses.id)) == "UPLOAD_NOT_FOUND"
    empty = await service.create_upload(**request, content_type=PNG, size=10)
    assert await code(str(empty.id)) == "UPLOAD_NOT_FOUND"  # bytes not uploaded yet
    empty.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await session.flush()
    assert await code(str(empty.id)) == "UPLOAD_EXPIRED"
    old = await _stored(session, redis, LocalStorage(tmp_path), user_id)
    old.uploaded_at = datetime.now(UTC) - HOUR
    await session.flush()
    assert await code(str(old.id)) == "UPLOAD_EXPIRED"
    old.uploaded_at = datetime.now(UTC) - HOUR + timedelta(minutes=5)
    await session.flush()
    _, created = await service.request_analysis(
        **request, upload_id=str(old.id), hint=None, idempotency_key=None
    )
    assert created


@pytest.mark.parametrize(
    ("hint", "key", "field"),
    [("a" * 201, None, "hint"), (None, "", "idempotencyKey"), (None, "k" * 201, "idempotencyKey")],
)
async def test_a_request_with_a_bad_hint_or_key_names_the_field(
    session: AsyncSession, redis: Redis, hint: str | None, key: str | None, field: str
) -> None:
    error = await _code(
        service.request_analysis(
            session=session,
            redis=redis,
            settings=_settings(),
            user_id=uuid.uuid4(),
            upload_id=str(uuid.uuid4()),
            hint=hint,
            idempotency_key=key,
        )
    )
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field)


async def test_analysis_requests_per_hour_are_limited_per_user(
    session: AsyncSession, redis: Redis, tmp_path: Path
) -> None:
    user_id = uuid.uuid4()
    upload = await _stored(session, redis, LocalStorage(tmp_path), user_id)
    request = {
        "session": session,
        "redis": redis,
        "settings": _settings(analyses_per_user_per_hour=1),
        "user_id": user_id,
        "upload_id": str(upload.id),
        "hint": None,
    }
    await service.request_analysis(**request, idempotency_key="once")
    # Counted before anything else: even an idempotent repeat is an attempt.
    error = await _code(service.request_analysis(**request, idempotency_key="once"))
    assert error["code"] == "RATE_LIMITED"


# -- history -----------------------------------------------------------------------------


async def test_history_pages_newest_first_without_gaps_or_repeats(session: AsyncSession) -> None:
    user_id = uuid.uuid4()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    times = [start, start + HOUR, start + HOUR, start + 2 * HOUR, start + 3 * HOUR]
    rows = [await _analysis(session, user_id=user_id, created_at=t) for t in times]
    await _analysis(session, created_at=start + HOUR)  # another user's: never listed
    expected = [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)]
    seen, after, pages = [], None, []
    while True:
        page = await service.analyses_page(session=session, user_id=user_id, first=2, after=after)
        seen += [row.id for row in page.rows]
        pages.append((len(page.rows), page.has_next))
        if not page.has_next:
            break
        after = service.cursor_of(page.rows[-1])
    assert seen == expected  # the two rows made at the same instant: ordered by id
    assert pages == [(2, True), (2, True), (1, False)]
    error = await _code(
        service.analyses_page(session=session, user_id=user_id, first=2, after="bm9wZQ==")
    )
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "after")


# -- job state: claim, heartbeat, state writes -------------------------------------------


async def test_a_job_is_claimed_once_and_a_stale_claim_is_taken_over(
    session: AsyncSession,
) -> None:
    settings = _settings(stale_after_seconds=30)
    queued = await _analysis(session, status=AnalysisStatus.QUEUED, stage=AnalysisStep.QUEUED)
    claim = await jobs.claim(session=session, settings=settings, analysis_id=queued.id)
    assert claim.job is not None and claim.exhausted is None
    row = await _row(session, queued.id)
    assert (row.status, row.stage, row.attempts) == ("RUNNING", AnalysisStep.START, 1)
    assert row.started_at is not None and row.heartbeat_at is not None
    first_start = row.started_at
    # Running with a live heartbeat: not ours.
    assert await jobs.claim(session=session, settings=settings, analysis_id=queued.id) == (
        jobs.Claim(None, None)
    )
    # Its worker died (the heartbeat went stale): the next claim takes over.
    row.heartbeat_at = datetime.now(UTC) - timedelta(seconds=60)
    await session.flush()
    again = await jobs.claim(session=session, settings=settings, analysis_id=queued.id)
    assert again.job is not None
    row = await _row(session, queued.id)
    assert (row.status, row.attempts, row.started_at) == ("RUNNING", 2, first_start)
    # An unknown job is nobody's.
    assert await jobs.claim(session=session, settings=settings, analysis_id=uuid.uuid4()) == (
        jobs.Claim(None, None)
    )


async def test_a_job_out_of_attempts_fails_instead_of_running(session: AsyncSession) -> None:
    settings = _settings(job_max_retries=2)
    job = await _analysis(
        session, status=AnalysisStatus.QUEUED, attempts=jobs.max_attempts(settings)
    )
    claim = await jobs.claim(session=session, settings=settings, analysis_id=job.id)
    assert claim.job is None and claim.exhausted is not None
    assert (claim.exhausted.status, claim.exhausted.error_code) == ("FAILED", "RETRIES_EXHAUSTED")
    row = await _row(session, job.id)
    assert (row.status, row.stage, row.progress, row.points_awarded) == (
        "FAILED",
        AnalysisStep.FAILED,
        100,
        0,
    )
    assert (row.error_code, row.attempts) == (ErrorCode.RETRIES_EXHAUSTED, 5)
    assert row.finished_at is not None
    # Final: a later message claims nothing and fails nothing again.
    assert await jobs.claim(session=session, settings=settings, analysis_id=job.id) == (
        jobs.Claim(None, None)
    )


async def test_a_heartbeat_lands_only_while_the_claim_holds(session: AsyncSession) -> None:
    long_ago = datetime(2026, 1, 1, tzinfo=UTC)
    job = await _analysis(session, status=AnalysisStatus.RUNNING, attempts=2, heartbeat_at=long_ago)
    await jobs.beat(session=session, analysis_id=job.id, attempt=1)  # a superseded worker
    assert (await _row(session, job.id)).heartbeat_at == long_ago
    await jobs.beat(session=session, analysis_id=job.id, attempt=2)
    assert (await _row(session, job.id)).heartbeat_at > long_ago


async def test_state_writes_follow_the_claim_and_never_change_a_finished_job(
    session: AsyncSession,
) -> None:
    job = await _analysis(
        session, status=AnalysisStatus.RUNNING, stage=AnalysisStep.START, attempts=2
    )
    running = {"status": AnalysisStatus.RUNNING, "attempt": 2}
    state = await jobs.set_state(
        session=session, analysis_id=job.id, stage=AnalysisStep.CLASSIFY, progress=50, **running
    )
    assert state is not None and (state.stage, state.progress) == (AnalysisStep.CLASSIFY, 50)
    assert (await _row(session, job.id)).heartbeat_at is not None
    stale = {**running, "attempt": 1}  # a worker whose claim was taken over
    assert (
        await jobs.set_state(session=session, analysis_id=job.id, stage=AnalysisStep.LOAD, **stale)
        is None
    )
    assert (await _row(session, job.id)).stage == AnalysisStep.CLASSIFY
    error = BunriError(ErrorCode.TIME_LIMIT, "The analysis took too long.")
    failed = await jobs.set_state(
        session=session, analysis_id=job.id, **jobs.failure(error), attempt=2
    )
    assert failed is not None and failed.terminal
    row = await _row(session, job.id)
    assert (row.status, row.stage, row.error_code, row.error_message) == (
        "FAILED", AnalysisStep.FAILED, "TIME_LIMIT", "The analysis took too long.",
    )  # fmt: skip
    # Finished: neither the old worker nor an unguarded write changes it.
    for attempt in (2, None):
        written = await jobs.set_state(
            session=session,
            analysis_id=job.id,
            status=AnalysisStatus.SUCCEEDED,
            stage=AnalysisStep.DONE,
            attempt=attempt,
        )
        assert written is None
    assert (await _row(session, job.id)).status == "FAILED"


async def test_an_earlier_answer_is_a_recent_success_with_the_same_key(
    session: AsyncSession,
) -> None:
    settings = _settings(cache_days=7)
    key = uuid.uuid4().hex
    now = datetime.now(UTC)
    done = {"status": AnalysisStatus.SUCCEEDED, "cache_key": key, "category_code": "PAPER"}
    await _analysis(session, **done, finished_at=now - timedelta(days=8))  # too old
    recent = await _analysis(session, **done, finished_at=now - timedelta(days=2))
    newer = await _analysis(session, **done, finished_at=now - timedelta(days=1))
    failed = {**done, "status": AnalysisStatus.FAILED, "finished_at": now}
    await _analysis(session, **failed)
    job = await _analysis(session, status=AnalysisStatus.RUNNING)
    # The hash step stores the job's key with its state, for later askers.
    hashed = await jobs.set_state(
        session=session,
        analysis_id=job.id,
        status=AnalysisStatus.RUNNING,
        stage=AnalysisStep.HASH,
        progress=20,
        attempt=job.attempts,
        cache_key=key,
    )
    assert hashed is not None and hashed.stage == AnalysisStep.HASH
    assert (await _row(session, job.id)).cache_key == key
    earlier = await jobs.earlier_answer(session=session, settings=settings, job=job, cache_key=key)
    assert earlier is not None and earlier.id == newer.id != recent.id
    other = await _analysis(session, status=AnalysisStatus.RUNNING)
    assert (
        await jobs.earlier_answer(
            session=session, settings=settings, job=other, cache_key=uuid.uuid4().hex
        )
        is None
    )


# -- the reconciler's scan ----------------------------------------------------------------


async def test_the_reconcilers_scan_finds_orphaned_work_once(session: AsyncSession) -> None:
    settings = _settings(stale_after_seconds=30, points_per_analysis=10)
    old = datetime.now(UTC) - timedelta(minutes=5)
    fresh = datetime.now(UTC)
    running = {"status": AnalysisStatus.RUNNING, "stage": AnalysisStep.CLASSIFY, "progress": 50}
    dead = await _analysis(session, **running, heartbeat_at=old)
    await _analysis(session, **running, heartbeat_at=fresh)
    lost = await _analysis(session, status=AnalysisStatus.QUEUED, enqueued_at=old)
    await _analysis(session, status=AnalysisStatus.QUEUED, enqueued_at=fresh)
    succeeded = {"status": AnalysisStatus.SUCCEEDED, "finished_at": old, "image_sha256": "ab"}
    unpaid = await _analysis(session, **succeeded, points_awarded=10)
    await _analysis(session, **succeeded, points_awarded=0)  # nothing to pay
    await _analysis(session, **succeeded, points_awarded=10, points_sent_at=old)  # paid
    await _analysis(session, **{**succeeded, "finished_at": fresh}, points_awarded=10)  # in flight

    orphans = await jobs.find_orphans(session=session, settings=settings)
    assert [(s.id, s.status, s.stage, s.progress) for s in orphans.requeued] == [
        (dead.id, "QUEUED", AnalysisStep.REQUEUED, 0)
    ]
    assert orphans.unsent == [lost.id]
    assert orphans.unpaid == [jobs.Unpaid(unpaid.id, unpaid.user_id, "ab", 10)]
    assert len(orphans) == 3
    for analysis_id in (dead.id, lost.id):  # re-sent now: not again until stale once more
        assert (await _row(session, analysis_id)).enqueued_at > old
    again = await jobs.find_orphans(session=session, settings=settings)
    assert (again.requeued, again.unsent) == ([], [])
    assert again.unpaid == orphans.unpaid  # until a send of the award is recorded


# -- retention ---------------------------------------------------------------------------


async def test_retention_removes_exactly_what_has_expired(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
    tmp_path: Path,
) -> None:
    settings = _settings(
        unreferenced_upload_retention_seconds=3600,
        upload_usable_seconds=3600,
        analysed_image_retention_days=30,
    )
    storage = LocalStorage(tmp_path)
    user_id = uuid.uuid4()
    now = datetime.now(UTC)

    async def upload(age: timedelta, *, filled: bool = True) -> Upload:
        row = await _stored(session, redis, storage, user_id) if filled else (
            await service.create_upload(
                session=session, redis=redis, settings=_settings(), user_id=user_id,
                content_type=PNG, size=10,
            )
        )  # fmt: skip
        row.created_at = now - age
        row.uploaded_at = now - age if filled else None
        await session.flush()
        return row

    old_reservation = await upload(2 * HOUR, filled=False)
    new_reservation = await upload(timedelta(minutes=10), filled=False)
    old_unanalysed = await upload(2 * HOUR)
    new_unanalysed = await upload(timedelta(minutes=10))
    old_analysed = await upload(timedelta(days=31))
    old_in_progress = await upload(timedelta(days=31))
    new_analysed = await upload(timedelta(days=29))
    for row, status in [
        (old_analysed, AnalysisStatus.SUCCEEDED),
        (old_in_progress, AnalysisStatus.RUNNING),
        (new_analysed, AnalysisStatus.SUCCEEDED),
    ]:
        await _analysis(session, user_id=user_id, upload_id=row.id, status=status)
    keys = {row.id: row.storage_key for row in (old_unanalysed, old_analysed, new_unanalysed)}
    await session.commit()  # the test's savepoint: purge_once opens sessions of its own

    purged = await purge_once(sessions=sessions, storage=storage, settings=settings, now=now)
    assert purged == Purged(reservations=1, unreferenced_images=1, analysed_images=1)

    async def kept(row: Upload) -> Upload | None:
        return await session.get(Upload, row.id, populate_existing=True)

    assert await kept(old_reservation) is None and await kept(old_unanalysed) is None
    assert (await kept(old_analysed)).storage_key is None  # the row (and its analysis) stays
    for row in (new_reservation, new_unanalysed, old_in_progress, new_analysed):
        assert (await kept(row)).storage_key == row.storage_key
    assert not (tmp_path / keys[old_unanalysed.id]).exists()
    assert not (tmp_path / keys[old_analysed.id]).exists()
    assert (tmp_path / keys[new_unanalysed.id]).exists()
    # Idempotent: a second run finds nothing.
    assert await purge_once(sessions=sessions, storage=storage, settings=settings, now=now) == (
        Purged()
    )


def test_every_stored_step_has_a_public_stage() -> None:
    """A step added to the pipeline without a public stage fails here, not in a client."""
    public = [stages.public_stage(step) for step in AnalysisStep]
    assert public[0] is stages.Stage.QUEUED and public[-1] is stages.Stage.FAILED
    assert set(public) == set(stages.Stage)  # and every public stage is reachable
