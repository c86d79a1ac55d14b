"""Job state of analyses, for the worker's pipeline and the reconciler; no Strawberry here.

Writes take the caller's session (the caller owns the transaction); what goes out after
the commit (progress events, messages) is a separate function the caller calls then.
A job is claimed with one conditional UPDATE, so a redelivered or re-enqueued message
never runs a job twice at the same time, and a job whose worker died is taken over.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Update, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bunri_shared.errors import BunriError, ErrorCode
from bunri_shared.messaging import send
from bunri_shared.resources import Resources
from waste.config import Settings
from waste.contract import ANALYZE_WASTE
from waste.events import publish
from waste.models import Analysis, Upload
from waste.outgoing import AWARD_POINTS
from waste.state import (
    FIELD_NAMES,
    IN_PROGRESS,
    TERMINAL,
    AnalysisState,
    AnalysisStatus,
    AnalysisStep,
)
from waste.telemetry import ANALYSES

EXHAUSTED_MESSAGE = "The analysis kept failing and was given up."
ANALYSES_TABLE = Analysis.__table__
# What a state write returns: the columns of an AnalysisState, not a whole ORM object.
STATE_COLUMNS = [ANALYSES_TABLE.c[name] for name in FIELD_NAMES]


def max_attempts(settings: Settings) -> int:
    # Dramatiq's retries, plus room for restarts after workers died.
    return settings.job_max_retries + 3


def _claimable(settings: Settings) -> ColumnElement[bool]:
    table = ANALYSES_TABLE
    stale = datetime.now(UTC) - timedelta(seconds=settings.stale_after_seconds)
    return (table.c.status == AnalysisStatus.QUEUED) | (
        (table.c.status == AnalysisStatus.RUNNING) & (table.c.heartbeat_at < stale)
    )


# A claimed job: the analysis row's columns (attributes as on `Analysis`), read with a Core
# UPDATE … RETURNING rather than loaded as an ORM object.
Job = Row[Any]


@dataclass(frozen=True, slots=True)
class Claim:
    job: Job | None  # ours to run
    exhausted: AnalysisState | None = None  # out of attempts: now FAILED


async def claim(*, session: AsyncSession, settings: Settings, analysis_id: uuid.UUID) -> Claim:
    """The job, now RUNNING and ours; None if finished, running elsewhere or exhausted."""
    table, claimable = ANALYSES_TABLE, _claimable(settings)
    claimed = await session.execute(
        update(table)
        .where(table.c.id == analysis_id, claimable, table.c.attempts < max_attempts(settings))
        .values(
            status=AnalysisStatus.RUNNING,
            stage=AnalysisStep.START,
            progress=0,
            attempts=table.c.attempts + 1,
            heartbeat_at=datetime.now(UTC),
            started_at=text("coalesce(started_at, now())"),
        )
        .returning(*table.c)
    )
    if (job := claimed.one_or_none()) is not None:
        return Claim(job)
    exhausted = await session.scalar(
        update(Analysis)
        .where(Analysis.id == analysis_id, claimable)
        .values(
            status=AnalysisStatus.FAILED,
            stage=AnalysisStep.FAILED,
            progress=100,
            error_code=ErrorCode.RETRIES_EXHAUSTED,
            error_message=EXHAUSTED_MESSAGE,
            finished_at=datetime.now(UTC),
            points_awarded=0,
        )
        .returning(Analysis)
    )
    return Claim(None, AnalysisState.of(exhausted) if exhausted is not None else None)


async def beat(*, session: AsyncSession, analysis_id: uuid.UUID, attempt: int) -> None:
    """The worker is alive: only while its claim holds."""
    await session.execute(
        update(Analysis)
        .where(
            Analysis.id == analysis_id,
            Analysis.status == AnalysisStatus.RUNNING,
            Analysis.attempts == attempt,
        )
        .values(heartbeat_at=datetime.now(UTC))
    )


async def set_state(
    *,
    session: AsyncSession,
    analysis_id: uuid.UUID,
    status: AnalysisStatus,
    stage: AnalysisStep,
    progress: int | None = None,
    attempt: int | None = None,
    **values: Any,
) -> AnalysisState | None:
    """Write a state. With `attempt`, only while this worker's claim holds (a stale worker
    never overwrites a newer attempt); without it, only an unfinished job changes. None
    when nothing was written."""
    changes: dict[str, Any] = {"status": status, "stage": stage, **values}
    if progress is not None:
        changes["progress"] = progress
    if status is AnalysisStatus.RUNNING:
        changes["heartbeat_at"] = datetime.now(UTC)
    params = {f"new_{name}": value for name, value in changes.items()}
    statement = _state_write(tuple(changes), guarded_by_attempt=attempt is not None)
    row = (
        await session.execute(statement, {"job_id": analysis_id, "job_attempt": attempt, **params})
    ).one_or_none()
    return AnalysisState.of(row) if row is not None else None


@functools.cache
def _state_write(names: tuple[str, ...], *, guarded_by_attempt: bool) -> Update:
    """One Core UPDATE per set of changed columns, built once: the worker writes seven
    states per job, and building and keying a statement cost more than running it."""
    table = ANALYSES_TABLE
    guard = (
        (table.c.status == AnalysisStatus.RUNNING) & (table.c.attempts == bindparam("job_attempt"))
        if guarded_by_attempt
        else table.c.status.in_(IN_PROGRESS)
    )
    return (
        update(table)
        .where(table.c.id == bindparam("job_id"), guard)
        .values({name: bindparam(f"new_{name}") for name in names})
        .returning(*STATE_COLUMNS)
    )


def failure(error: BunriError) -> dict[str, Any]:
    """The values `set_state` stores for a failed job: the error's code and message."""
    return {
        "status": AnalysisStatus.FAILED,
        "stage": AnalysisStep.FAILED,
        "progress": 100,
        "error_code": error.code,
        "error_message": error.message,
        "finished_at": datetime.now(UTC),
        "points_awarded": 0,
    }


async def announce(resources: Resources, state: AnalysisState) -> None:
    """After the commit: subscribers see the state; final ones are counted."""
    if state.status in TERMINAL:
        ANALYSES.labels(state.status).inc()
    await publish(resources.redis, state)


async def stored_image_key(*, session: AsyncSession, upload_id: uuid.UUID | None) -> str | None:
    if upload_id is None:
        return None
    return await session.scalar(select(Upload.storage_key).where(Upload.id == upload_id))


async def earlier_answer(
    *, session: AsyncSession, settings: Settings, job: Job, cache_key: str
) -> Analysis | None:
    """A recent success with the same cache key (the job's own is stored with its state)."""
    return await session.scalar(
        select(Analysis)
        .where(
            Analysis.cache_key == cache_key,
            Analysis.status == AnalysisStatus.SUCCEEDED,
            Analysis.finished_at > datetime.now(UTC) - timedelta(days=settings.cache_days),
            Analysis.id != job.id,
        )
        .order_by(Analysis.finished_at.desc())
        .limit(1)
    )


async def award_points(
    resources: Resources,
    analysis_id: uuid.UUID,
    user_id: uuid.UUID,
    image_sha256: str | None,
    points: int,
    *,
    sessions: async_sessionmaker[AsyncSession] | None = None,
) -> None:
    """Points for the first successful analysis of an image by this user. The ledger keeps
    one award per (source, source_id) and the id names (user, image): whoever sends it —
    pipeline, reconciler, a retry, a duplicate — it counts once. Recorded here once sent
    (its own small write, in `sessions` if given: the send must come first)."""
    await send(
        resources.broker,
        AWARD_POINTS,
        user_id=str(user_id),
        source="waste.image",
        source_id=f"{user_id}:{image_sha256 or analysis_id}",
        points=points,
        reason="analysis succeeded",
    )
    table = ANALYSES_TABLE
    async with (sessions or resources.sessions)() as session, session.begin():
        await session.execute(
            update(table).where(table.c.id == analysis_id).values(points_sent_at=datetime.now(UTC))
        )


async def send_job(resources: Resources, analysis_id: uuid.UUID) -> None:
    await send(resources.broker, ANALYZE_WASTE, analysis_id=str(analysis_id))


# -- the reconciler's scan ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unpaid:
    analysis_id: uuid.UUID
    user_id: uuid.UUID
    image_sha256: str | None
    points: int | None


@dataclass(frozen=True, slots=True)
class Orphans:
    requeued: list[AnalysisState]  # RUNNING with a stale heartbeat: back to QUEUED
    unsent: list[uuid.UUID]  # QUEUED whose message may be lost
    unpaid: list[Unpaid]  # SUCCEEDED whose points award was never sent

    def __len__(self) -> int:
        return len(self.requeued) + len(self.unsent) + len(self.unpaid)


async def find_orphans(*, session: AsyncSession, settings: Settings) -> Orphans:
    """Three statements whatever the numbers; marks what it found as re-sent now."""
    now = datetime.now(UTC)
    stale = now - timedelta(seconds=settings.stale_after_seconds)
    requeued = await session.scalars(
        update(Analysis)
        .where(Analysis.status == AnalysisStatus.RUNNING, Analysis.heartbeat_at < stale)
        .values(
            status=AnalysisStatus.QUEUED, stage=AnalysisStep.REQUEUED, progress=0, enqueued_at=now
        )
        .returning(Analysis)
    )
    requeued_states = [AnalysisState.of(row) for row in requeued]
    unsent = await session.scalars(
        update(Analysis)
        .where(Analysis.status == AnalysisStatus.QUEUED, Analysis.enqueued_at < stale)
        .values(enqueued_at=now)
        .returning(Analysis.id)
    )
    unsent_ids = list(unsent)
    unpaid = await session.execute(
        select(Analysis.id, Analysis.user_id, Analysis.image_sha256, Analysis.points_awarded).where(
            Analysis.status == AnalysisStatus.SUCCEEDED,
            Analysis.points_sent_at.is_(None),
            # 0: nothing to pay (e.g. a repeat of one's own photo); null: rows from before
            # the amount was stored.
            Analysis.points_awarded.is_(None) | (Analysis.points_awarded > 0),
            Analysis.finished_at < stale,
        )
    )
    return Orphans(requeued_states, unsent_ids, [Unpaid(*row) for row in unpaid.tuples()])


async def resume(*, resources: Resources, settings: Settings, orphans: Orphans) -> None:
    """After the scan's commit: events, job messages and point awards go out again.
    Duplicates are harmless: a job is claimed by one conditional UPDATE."""
    for state in orphans.requeued:
        await publish(resources.redis, state)
    for analysis_id in [state.id for state in orphans.requeued] + orphans.unsent:
        await send_job(resources, analysis_id)
    for unpaid in orphans.unpaid:
        await award_points(
            resources,
            unpaid.analysis_id,
            unpaid.user_id,
            unpaid.image_sha256,
            unpaid.points or settings.points_per_analysis,
        )
