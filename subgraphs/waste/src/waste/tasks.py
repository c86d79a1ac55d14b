"""Dramatiq actors of the waste domain: `dramatiq waste.tasks`."""

from __future__ import annotations

import uuid
from typing import Any

import dramatiq

from bunri_shared.messaging import ANALYZE_WASTE, setup_broker
from bunri_shared.worker import WorkerResources, configure_worker
from waste.components import build_classifier, build_storage
from waste.config import Settings
from waste.pipeline import Pipeline

settings = Settings()
configure_worker(settings)
broker = setup_broker(settings.redis_url)
resources = WorkerResources(settings)
_pipeline: Pipeline | None = None
RETRIES_EXHAUSTED = "analysis_retries_exhausted"


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
    min_backoff=1_000,
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
    await pipeline().fail(
        analysis_id,
        "RETRIES_EXHAUSTED",
        f"The classifier kept failing ({retry_info.get('retries', '?')} attempts).",
    )
