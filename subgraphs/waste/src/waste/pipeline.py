"""The analysis pipeline a worker runs for one analysis: stages persisted, then published.

Stages (progress): start 0 → load 10 → hash 20 (cache check) → preprocess 30 →
classify 50 → finalise 80 → done 100. A job is claimed with one conditional UPDATE, so
a redelivered or re-enqueued message never runs a job twice at the same time, and a job
whose worker died (heartbeat gone stale) is taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bunri_shared.messaging import send
from bunri_shared.resources import Resources
from bunri_shared.taxonomy.terms import normalise
from bunri_shared.telemetry.tracing import traced
from waste.classifiers import (
    Classification,
    Classifier,
    PermanentClassifierError,
    TransientClassifierError,
    Unclassified,
)
from waste.config import Settings
from waste.events import TERMINAL, ProgressEvent, publish
from waste.models import Analysis, Upload
from waste.outgoing import AWARD_POINTS
from waste.storage import Storage, StoredObjectMissing
from waste.telemetry import ANALYSES

log = logging.getLogger(__name__)
PROGRESS = {"start": 0, "load": 10, "hash": 20, "preprocess": 30, "classify": 50, "finalise": 80}
MAX_VISION_SIDE = 1024
# Dramatiq's longest back-off; the reconciler leaves a retrying job alone that long.
RETRY_GRACE_SECONDS = 60
EXHAUSTED_MESSAGE = "The analysis kept failing and was given up."


class PipelineFailure(Exception):
    """A permanent failure: the job ends FAILED with this code; retrying cannot help."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # SUCCEEDED | UNCLASSIFIED
    classification: Classification | None
    classifier: str
    cached: bool
    message: str | None = None
    # Answered from the same user's earlier analysis of the same photo: no new points.
    repeat_of_own: bool = False


class Pipeline:
    def __init__(
        self, *, resources: Resources, settings: Settings, storage: Storage, classifier: Classifier
    ) -> None:
        self.resources, self.settings = resources, settings
        self.storage, self.classifier = storage, classifier
        for status in TERMINAL:  # every final status counted from 0 (rate() sees the first)
            ANALYSES.labels(status)

    async def run(self, analysis_id: uuid.UUID) -> None:
        job = await self._claim(analysis_id)
        if job is None:
            log.info("analysis %s is finished or running elsewhere: skipped", analysis_id)
            return
        attempt = job.attempts
        heartbeat = asyncio.create_task(self._heartbeat(analysis_id, attempt))
        try:
            outcome = await asyncio.wait_for(
                self._stages(job), timeout=self.settings.job_time_limit_seconds
            )
        except TimeoutError:
            await self.fail(
                analysis_id, "TIME_LIMIT", "The analysis took too long.", attempt=attempt
            )
            return
        except PipelineFailure as failure:
            await self.fail(analysis_id, failure.code, failure.message, attempt=attempt)
            return
        except TransientClassifierError as error:
            log.warning("analysis %s: classifier unavailable (%s); will retry", analysis_id, error)
            await self._requeue(analysis_id, attempt, "The classifier is busy; retrying shortly.")
            raise  # Dramatiq retries with exponential back-off
        except Exception:
            log.exception("analysis %s failed unexpectedly; will retry", analysis_id)
            await self._requeue(analysis_id, attempt, "Something went wrong; retrying shortly.")
            raise
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        await self._finish(job, attempt, outcome)

    async def _stages(self, job: Analysis) -> Outcome:
        await self._advance(job, "load")
        image = await self._load(job)
        await self._advance(job, "hash")
        cache_key = self._cache_key(job)
        if (hit := await self._cached(job, cache_key)) is not None:
            return hit
        await self._advance(job, "preprocess")
        prepared = await asyncio.to_thread(_prepare, image)
        await self._advance(job, "classify")
        try:
            found = await self.classifier.classify(
                image=prepared, content_type="image/jpeg", hint=job.hint
            )
        except Unclassified as unsure:
            return Outcome("UNCLASSIFIED", None, self.classifier.name, False, unsure.reason)
        except PermanentClassifierError as error:
            # The provider's words (status, body) are for the log, not for users.
            log.warning("analysis %s: classifier error: %s", job.id, error)
            raise PipelineFailure(
                "CLASSIFIER_ERROR", "The classifier could not analyse this image."
            ) from error
        return Outcome("SUCCEEDED", found, self.classifier.name, cached=False)

    # -- stages ----------------------------------------------------------------------

    @traced("analysis.load")
    async def _load(self, job: Analysis) -> bytes:
        async with self.resources.sessions() as session:
            upload = await session.get(Upload, job.upload_id) if job.upload_id else None
        if upload is None or upload.storage_key is None:
            raise PipelineFailure("UPLOAD_NOT_FOUND", "The uploaded image is gone.")
        try:
            return await self.storage.get(upload.storage_key)
        except StoredObjectMissing:
            raise PipelineFailure("UPLOAD_NOT_FOUND", "The uploaded image is gone.") from None

    def _cache_key(self, job: Analysis) -> str:
        # The same bytes, classifier and hint always get the same answer.
        parts = f"{job.image_sha256}|{self.classifier.name}|{normalise(job.hint or '')}"
        return hashlib.sha256(parts.encode()).hexdigest()

    @traced("analysis.hash")
    async def _cached(self, job: Analysis, cache_key: str) -> Outcome | None:
        analysis_id = job.id
        async with self.resources.sessions() as session, session.begin():
            await session.execute(
                update(Analysis).where(Analysis.id == analysis_id).values(cache_key=cache_key)
            )
            earlier = await session.scalar(
                select(Analysis)
                .where(
                    Analysis.cache_key == cache_key,
                    Analysis.status == "SUCCEEDED",
                    Analysis.finished_at
                    > datetime.now(UTC) - timedelta(days=self.settings.cache_days),
                    Analysis.id != analysis_id,
                )
                .order_by(Analysis.finished_at.desc())
                .limit(1)
            )
        if earlier is None or earlier.category_code is None:
            return None
        found = Classification(
            category_code=earlier.category_code,
            item_name=earlier.item_name,
            confidence=earlier.confidence or 0.0,
        )
        return Outcome(
            "SUCCEEDED",
            found,
            earlier.classifier or self.classifier.name,
            cached=True,
            repeat_of_own=earlier.user_id == job.user_id,
        )

    # -- state -----------------------------------------------------------------------

    @property
    def max_attempts(self) -> int:
        # Dramatiq's retries, plus room for restarts after workers died.
        return self.settings.job_max_retries + 3

    @traced("analysis.start")
    async def _claim(self, analysis_id: uuid.UUID) -> Analysis | None:
        stale = datetime.now(UTC) - timedelta(seconds=self.settings.stale_after_seconds)
        claimable = (Analysis.status == "QUEUED") | (
            (Analysis.status == "RUNNING") & (Analysis.heartbeat_at < stale)
        )
        async with self.resources.sessions() as session, session.begin():
            job = await self._take(session, analysis_id, claimable)
            exhausted = None
            if job is None:  # finished, running elsewhere, or out of attempts
                exhausted = await session.scalar(
                    update(Analysis)
                    .where(Analysis.id == analysis_id, claimable)
                    .values(
                        status="FAILED",
                        stage="failed",
                        progress=100,
                        error_code="RETRIES_EXHAUSTED",
                        error_message=EXHAUSTED_MESSAGE,
                        finished_at=datetime.now(UTC),
                        points_awarded=0,
                    )
                    .returning(Analysis.id)
                )
        if exhausted is not None:
            ANALYSES.labels("FAILED").inc()
            await self._publish(analysis_id, "FAILED", "failed", 100, EXHAUSTED_MESSAGE, 0)
        if job is not None:
            await self._publish(job.id, "RUNNING", "start", 0, None)
        return job

    async def _take(
        self, session: AsyncSession, analysis_id: uuid.UUID, claimable: Any
    ) -> Analysis | None:
        return await session.scalar(
            update(Analysis)
            .where(Analysis.id == analysis_id, claimable, Analysis.attempts < self.max_attempts)
            .values(
                status="RUNNING",
                stage="start",
                progress=0,
                attempts=Analysis.attempts + 1,
                heartbeat_at=datetime.now(UTC),
                started_at=text("coalesce(started_at, now())"),
            )
            .returning(Analysis)
        )

    async def _heartbeat(self, analysis_id: uuid.UUID, attempt: int) -> None:
        while True:
            await asyncio.sleep(self.settings.stale_after_seconds / 3)
            try:
                async with self.resources.sessions() as session, session.begin():
                    await session.execute(
                        update(Analysis)
                        .where(
                            Analysis.id == analysis_id,
                            Analysis.status == "RUNNING",
                            Analysis.attempts == attempt,
                        )
                        .values(heartbeat_at=datetime.now(UTC))
                    )
            except Exception:  # a missed beat must not kill the job; the next one may land
                log.warning("analysis %s: heartbeat failed", analysis_id, exc_info=True)

    async def _advance(self, job: Analysis, stage: str) -> None:
        await self._set(
            job.id, status="RUNNING", stage=stage, progress=PROGRESS[stage], attempt=job.attempts
        )

    async def _requeue(self, analysis_id: uuid.UUID, attempt: int, message: str) -> None:
        """Back to QUEUED for Dramatiq's retry. `enqueued_at` in the future keeps the
        reconciler from re-sending before that back-off has had its chance."""
        await self._set(
            analysis_id,
            status="QUEUED",
            stage="retrying",
            message=message,
            attempt=attempt,
            enqueued_at=datetime.now(UTC) + timedelta(seconds=RETRY_GRACE_SECONDS),
        )

    async def _set(
        self,
        analysis_id: uuid.UUID,
        *,
        status: str,
        stage: str,
        progress: int | None = None,
        message: str | None = None,
        attempt: int | None = None,
        **values: Any,
    ) -> bool:
        """Write and publish a state. With `attempt`, only while this worker's claim holds
        (a stale worker never overwrites a newer attempt); without it, only an unfinished
        job changes. False when nothing was written."""
        changes: dict[str, Any] = {"status": status, "stage": stage, **values}
        if progress is not None:
            changes["progress"] = progress
        if status == "RUNNING":
            changes["heartbeat_at"] = datetime.now(UTC)
        guard = (
            (Analysis.status == "RUNNING") & (Analysis.attempts == attempt)
            if attempt is not None
            else Analysis.status.in_(("QUEUED", "RUNNING"))
        )
        async with self.resources.sessions() as session, session.begin():
            row = await session.scalar(
                update(Analysis)
                .where(Analysis.id == analysis_id, guard)
                .values(**changes)
                .returning(Analysis.progress)
            )
        if row is None:
            log.info("analysis %s: state %s not written (superseded)", analysis_id, stage)
            return False
        if status in TERMINAL:
            ANALYSES.labels(status).inc()
        await self._publish(analysis_id, status, stage, row, message, values.get("points_awarded"))
        return True

    @traced("analysis.finalise")
    async def _finish(self, job: Analysis, attempt: int, outcome: Outcome) -> None:
        found = outcome.classification
        # Decided now and stored with the final state, so the final event can say it.
        points = (
            self.settings.points_per_analysis
            if outcome.status == "SUCCEEDED" and not outcome.repeat_of_own
            else 0
        )
        await self._advance(job, "finalise")
        now = datetime.now(UTC)
        # Decided with the result, in the same write: a repeat of one's own photo is settled
        # with nothing to pay, so the reconciler's "unpaid" scan never pays it later.
        settled = {"points_sent_at": now} if outcome.repeat_of_own else {}
        written = await self._set(
            job.id,
            status=outcome.status,
            stage="done",
            progress=100,
            message=outcome.message,
            finished_at=now,
            classifier=outcome.classifier,
            cached=outcome.cached,
            category_code=found.category_code if found else None,
            item_name=found.item_name if found else None,
            confidence=found.confidence if found else None,
            points_awarded=points,
            attempt=attempt,
            **settled,
        )
        if written and points > 0:
            await award_points(self.resources, job.id, job.user_id, job.image_sha256, points)

    async def fail(
        self, analysis_id: uuid.UUID, code: str, message: str, *, attempt: int | None = None
    ) -> None:
        await self._set(
            analysis_id,
            status="FAILED",
            stage="failed",
            progress=100,
            message=message,
            error_code=code,
            error_message=message,
            finished_at=datetime.now(UTC),
            points_awarded=0,
            attempt=attempt,
        )

    async def _publish(
        self,
        analysis_id: uuid.UUID,
        status: str,
        stage: str,
        progress: int,
        message: str | None,
        points_awarded: int | None = None,
    ) -> None:
        event = ProgressEvent(str(analysis_id), status, stage, progress, message, points_awarded)
        await publish(self.resources.redis, event)


async def award_points(
    resources: Resources,
    analysis_id: uuid.UUID,
    user_id: uuid.UUID,
    image_sha256: str | None,
    points: int,
) -> None:
    """Points for the first successful analysis of an image by this user. The ledger keeps
    one award per (source, source_id) and the id names (user, image): whoever sends it —
    pipeline, reconciler, a retry, a duplicate — it counts once. Recorded here once sent."""
    await send(
        resources.broker,
        AWARD_POINTS,
        user_id=str(user_id),
        source="waste.image",
        source_id=f"{user_id}:{image_sha256 or analysis_id}",
        points=points,
        reason="analysis succeeded",
    )
    async with resources.sessions() as session, session.begin():
        await _mark_points_sent(session, analysis_id)


async def _mark_points_sent(session: AsyncSession, analysis_id: uuid.UUID) -> None:
    await session.execute(
        update(Analysis).where(Analysis.id == analysis_id).values(points_sent_at=datetime.now(UTC))
    )


@traced("analysis.preprocess")
def _prepare(image: bytes) -> bytes:
    """Decode, drop alpha, shrink the long side to 1024 px, encode as JPEG for the model."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            opened.load()
            rgb = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise PipelineFailure("INVALID_IMAGE", "The stored image cannot be decoded.") from error
    rgb.thumbnail((MAX_VISION_SIDE, MAX_VISION_SIDE))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=90)
    return out.getvalue()
