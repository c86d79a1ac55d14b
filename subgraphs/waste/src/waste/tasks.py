"""Dramatiq actors of the waste domain: `dramatiq waste.tasks`."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict
from typing import Any

import dramatiq

from bunri_shared.errors import BunriError, ErrorCode
from bunri_shared.messaging import setup_broker
from bunri_shared.worker import WorkerResources, configure_worker
from waste.classifiers import Classifier, classifier_from_settings
from waste.classifiers.traced import TracedClassifier
from waste.components import build_storage
from waste.config import Settings
from waste.contract import ANALYZE_WASTE, PURGE_UPLOADS
from waste.pipeline import Pipeline
from waste.service.retention import purge_once

settings = Settings()
configure_worker(settings)
broker = setup_broker(settings.redis_url)
resources = WorkerResources(settings)
_pipeline: Pipeline | None = None
log = logging.getLogger(__name__)
PURGE_LOCK = "waste:retention:running"
RETRIES_EXHAUSTED = "analysis_retries_exhausted"


def build_classifier(settings: Settings) -> Classifier:
    classifier = classifier_from_settings(
        backend=settings.classifier,
        vision_base_url=settings.vision_base_url,
        vision_api_key=settings.vision_api_key,
        vision_model=settings.vision_model,
        vision_timeout_seconds=settings.vision_timeout_seconds,
    )
    return TracedClassifier(classifier)  # each call a client span


def pipeline() -> Pipeline:
    global _pipeline
    if _pipeline is None:
        _pipeline = Pipeline(
            resources=resources.get(),
            settings=settings,
            storage=build_storage(settings),
            classifier=build_classifier(settings),
        )
    return _pipeline


@dramatiq.actor(
    queue_name=ANALYZE_WASTE.queue,
    actor_name=ANALYZE_WASTE.actor,
    max_retries=settings.job_max_retries,
    min_backoff=int(settings.job_retry_min_backoff_seconds * 1000),
    max_backoff=60_000,
    # The pipeline enforces the job's own limit; this only catches a wedged worker.
    time_limit=int((settings.job_time_limit_seconds + 60) * 1000),
    on_retry_exhausted=RETRIES_EXHAUSTED,
    throws=(ValueError,),
)
async def analyze_waste(analysis_id: str) -> None:
    await pipeline().run(uuid.UUID(analysis_id))


@dramatiq.actor(queue_name=ANALYZE_WASTE.queue, actor_name=RETRIES_EXHAUSTED, max_retries=3)
async def analysis_retries_exhausted(
    message_data: dict[str, Any], retry_info: dict[str, Any]
) -> None:
    """Dead-lettered: the job ends FAILED, visible to its owner."""
    analysis_id = uuid.UUID(message_data["kwargs"]["analysis_id"])
    attempts = retry_info.get("retries", "?")
    await pipeline().fail(
        analysis_id,
        BunriError(
            ErrorCode.RETRIES_EXHAUSTED, f"The classifier kept failing ({attempts} attempts)."
        ),
    )


@dramatiq.actor(queue_name=PURGE_UPLOADS.queue, actor_name=PURGE_UPLOADS.actor, max_retries=0)
async def purge_uploads() -> None:
    """Upload retention (waste/retention.py), one run at a time across all workers."""
    r = resources.get()
    ttl_ms = 15 * 60 * 1000  # longer than a run; freed at the end, expires if we crash
    if not await r.redis.set(PURGE_LOCK, "1", nx=True, px=ttl_ms):
        log.info("upload retention is already running elsewhere: skipped")
        return
    try:
        purged = await purge_once(
            sessions=r.sessions, storage=pipeline().storage, settings=settings
        )
        log.info("upload retention done", extra={"purged": asdict(purged)})
    finally:
        await r.redis.delete(PURGE_LOCK)
