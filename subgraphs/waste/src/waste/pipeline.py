"""The analysis pipeline a worker runs for one analysis: stages persisted, then published.

Stages (progress): start 0 → load 10 → hash 20 (cache check) → preprocess 30 →
classify 50 → finalise 80 → done 100. Worker-only: the API process never imports this.
Every read and write goes through `waste.service.jobs`; each step is its own short
transaction, owned here, and its state is announced after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession

from bunri_shared.db import session_factory
from bunri_shared.errors import BunriError, ErrorCode
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
from waste.service import jobs
from waste.state import TERMINAL, AnalysisState, AnalysisStatus, AnalysisStep
from waste.storage import Storage, StoredObjectMissing
from waste.telemetry import ANALYSES

log = logging.getLogger(__name__)
PROGRESS = {
    AnalysisStep.START: 0,
    AnalysisStep.LOAD: 10,
    AnalysisStep.HASH: 20,
    AnalysisStep.PREPROCESS: 30,
    AnalysisStep.CLASSIFY: 50,
    AnalysisStep.FINALISE: 80,
}
MAX_VISION_SIDE = 1024
# Dramatiq's longest back-off; the reconciler leaves a retrying job alone that long.
RETRY_GRACE_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Outcome:
    status: AnalysisStatus  # SUCCEEDED | UNCLASSIFIED
    classification: Classification | None
    classifier: str
    cached: bool
    # Answered from the same user's earlier analysis of the same photo: no new points.
    repeat_of_own: bool = False


class Pipeline:
    def __init__(
        self, *, resources: Resources, settings: Settings, storage: Storage, classifier: Classifier
    ) -> None:
        self.resources, self.settings = resources, settings
        self.storage, self.classifier = storage, classifier
        # Steps that are one statement, or need no atomicity, run in autocommit: no BEGIN
        # and COMMIT round trips for each of a job's state writes (same pool).
        self.autocommit = session_factory(
            resources.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
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
            error = BunriError(ErrorCode.TIME_LIMIT, "The analysis took too long.")
            await self.fail(analysis_id, error, attempt=attempt)
            return
        except BunriError as error:  # permanent: retrying cannot help
            await self.fail(analysis_id, error, attempt=attempt)
            return
        except TransientClassifierError as error:
            log.warning("analysis %s: classifier unavailable (%s); will retry", analysis_id, error)
            await self._requeue(analysis_id, attempt)
            raise  # Dramatiq retries with exponential back-off
        except Exception:
            log.exception("analysis %s failed unexpectedly; will retry", analysis_id)
            await self._requeue(analysis_id, attempt)
            raise
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        await self._finish(job, attempt, outcome)

    async def _stages(self, job: jobs.Job) -> Outcome:
        # One connection for the quick steps before the classifier, none held across its
        # call (a remote model may take seconds).
        async with self.autocommit() as session:
            await self._advance(job, AnalysisStep.LOAD, session=session)
            image = await self._load(job, session)
            cache_key = self._cache_key(job)
            await self._advance(job, AnalysisStep.HASH, session=session, cache_key=cache_key)
            if (hit := await self._cached(job, cache_key, session)) is not None:
                return hit
            await self._advance(job, AnalysisStep.PREPROCESS, session=session)
            prepared = await self._preprocess(image)
            await self._advance(job, AnalysisStep.CLASSIFY, session=session)
        try:
            found = await self.classifier.classify(
                image=prepared, content_type="image/jpeg", hint=job.hint
            )
        except Unclassified:
            return Outcome(AnalysisStatus.UNCLASSIFIED, None, self.classifier.name, False)
        except PermanentClassifierError as error:
            # The provider's words (status, body) are for the log, not for users.
            log.warning("analysis %s: classifier error: %s", job.id, error)
            raise BunriError(
                ErrorCode.CLASSIFIER_ERROR, "The classifier could not analyse this image."
            ) from error
        return Outcome(AnalysisStatus.SUCCEEDED, found, self.classifier.name, cached=False)

    # -- stages ----------------------------------------------------------------------

    @traced("analysis.load")
    async def _load(self, job: jobs.Job, session: AsyncSession) -> bytes:
        key = await jobs.stored_image_key(session=session, upload_id=job.upload_id)
        gone = BunriError(ErrorCode.UPLOAD_NOT_FOUND, "The uploaded image is gone.")
        if key is None:
            raise gone
        try:
            return await self.storage.get(key)
        except StoredObjectMissing:
            raise gone from None

    @traced("analysis.preprocess")
    async def _preprocess(self, image: bytes) -> bytes:
        # Only for a classifier that looks at the photo (the offline one reads the hint;
        # the upload endpoint already decoded and checked every stored image).
        if not self.classifier.reads_image:
            return image
        return await asyncio.to_thread(_prepare, image)

    def _cache_key(self, job: jobs.Job) -> str:
        # The same bytes, classifier and hint always get the same answer.
        parts = f"{job.image_sha256}|{self.classifier.name}|{normalise(job.hint or '')}"
        return hashlib.sha256(parts.encode()).hexdigest()

    @traced("analysis.hash")
    async def _cached(self, job: jobs.Job, cache_key: str, session: AsyncSession) -> Outcome | None:
        earlier = await jobs.earlier_answer(
            session=session, settings=self.settings, job=job, cache_key=cache_key
        )
        if earlier is None or earlier.category_code is None:
            return None
        found = Classification(
            category_code=earlier.category_code,
            item_name=earlier.item_name,
            confidence=earlier.confidence or 0.0,
        )
        return Outcome(
            AnalysisStatus.SUCCEEDED,
            found,
            earlier.classifier or self.classifier.name,
            cached=True,
            repeat_of_own=earlier.user_id == job.user_id,
        )

    # -- state -----------------------------------------------------------------------

    @traced("analysis.start")
    async def _claim(self, analysis_id: uuid.UUID) -> jobs.Job | None:
        # Each of the claim's conditional UPDATEs is atomic on its own: autocommit too.
        async with self.autocommit() as session:
            claim = await jobs.claim(
                session=session, settings=self.settings, analysis_id=analysis_id
            )
        if claim.exhausted is not None:
            await jobs.announce(self.resources, claim.exhausted)
        if claim.job is not None:
            await jobs.announce(self.resources, AnalysisState.of(claim.job))
        return claim.job

    async def _heartbeat(self, analysis_id: uuid.UUID, attempt: int) -> None:
        while True:
            await asyncio.sleep(self.settings.stale_after_seconds / 3)
            try:
                async with self.autocommit() as session:
                    await jobs.beat(session=session, analysis_id=analysis_id, attempt=attempt)
            except Exception:  # a missed beat must not kill the job; the next one may land
                log.warning("analysis %s: heartbeat failed", analysis_id, exc_info=True)

    async def _advance(
        self,
        job: jobs.Job,
        stage: AnalysisStep,
        *,
        session: AsyncSession | None = None,
        **values: Any,
    ) -> None:
        await self._set(
            job.id,
            session=session,
            status=AnalysisStatus.RUNNING,
            stage=stage,
            progress=PROGRESS[stage],
            attempt=job.attempts,
            **values,
        )

    async def _requeue(self, analysis_id: uuid.UUID, attempt: int) -> None:
        """Back to QUEUED for Dramatiq's retry. `enqueued_at` in the future keeps the
        reconciler from re-sending before that back-off has had its chance."""
        await self._set(
            analysis_id,
            status=AnalysisStatus.QUEUED,
            stage=AnalysisStep.RETRYING,
            attempt=attempt,
            enqueued_at=datetime.now(UTC) + timedelta(seconds=RETRY_GRACE_SECONDS),
        )

    async def _set(
        self, analysis_id: uuid.UUID, *, session: AsyncSession | None = None, **changes: Any
    ) -> bool:
        """Write a state (see `jobs.set_state`), then announce it. False if superseded.
        One UPDATE in autocommit: it commits on its own, in `session` if given."""
        async with self._session(session) as writer:
            state = await jobs.set_state(session=writer, analysis_id=analysis_id, **changes)
        if state is None:
            log.info(
                "analysis %s: state %s not written (superseded)", analysis_id, changes["stage"]
            )
            return False
        await jobs.announce(self.resources, state)
        return True

    @contextlib.asynccontextmanager
    async def _session(self, given: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        """The step's autocommit session, or a new one for a step on its own."""
        if given is not None:
            yield given
            return
        async with self.autocommit() as session:
            yield session

    @traced("analysis.finalise")
    async def _finish(self, job: jobs.Job, attempt: int, outcome: Outcome) -> None:
        found = outcome.classification
        # Decided now and stored with the final state, so the final event can say it.
        points = (
            self.settings.points_per_analysis
            if outcome.status is AnalysisStatus.SUCCEEDED and not outcome.repeat_of_own
            else 0
        )
        now = datetime.now(UTC)
        # Decided with the result, in the same write: a repeat of one's own photo is settled
        # with nothing to pay, so the reconciler's "unpaid" scan never pays it later.
        settled = {"points_sent_at": now} if outcome.repeat_of_own else {}
        async with self.autocommit() as session:
            await self._advance(job, AnalysisStep.FINALISE, session=session)
            written = await self._set(
                job.id,
                session=session,
                status=outcome.status,
                stage=AnalysisStep.DONE,
                progress=100,
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
            await jobs.award_points(
                self.resources,
                job.id,
                job.user_id,
                job.image_sha256,
                points,
                sessions=self.autocommit,
            )

    async def fail(
        self, analysis_id: uuid.UUID, error: BunriError, *, attempt: int | None = None
    ) -> None:
        await self._set(analysis_id, **jobs.failure(error), attempt=attempt)


def _prepare(image: bytes) -> bytes:
    """Decode, drop alpha, shrink the long side to 1024 px, encode as JPEG for the model."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            opened.load()
            rgb = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise BunriError(ErrorCode.INVALID_IMAGE, "The stored image cannot be decoded.") from error
    rgb.thumbnail((MAX_VISION_SIDE, MAX_VISION_SIDE))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=90)
    return out.getvalue()
