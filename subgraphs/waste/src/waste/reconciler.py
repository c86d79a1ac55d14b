"""Puts orphaned work back on track; runs in every waste API replica, one at a time.

- RUNNING with a stale heartbeat (its worker died): back to QUEUED and re-sent.
- QUEUED whose message may be lost (a crash between commit and send): re-sent.
  Duplicates are harmless: a job is claimed by one conditional UPDATE.
- SUCCEEDED whose points award was never sent: sent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bunri_shared.messaging import send
from bunri_shared.outages import is_outage
from bunri_shared.resources import Resources
from waste.config import Settings
from waste.contract import ANALYZE_WASTE, PURGE_UPLOADS
from waste.events import ProgressEvent, publish
from waste.models import Analysis
from waste.pipeline import award_points

log = logging.getLogger(__name__)
LOCK = "waste:reconciler"
# Set for one retention interval when the purge job is sent: one send per interval.
RETENTION_SCHEDULE = "waste:retention:scheduled"


async def run_forever(resources: Resources, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.reconcile_interval_seconds)
        try:
            # Only one replica per interval does the work.
            ttl = max(int(settings.reconcile_interval_seconds * 1000), 100)
            if await resources.redis.set(LOCK, "1", nx=True, px=ttl):
                await reconcile_once(resources, settings)
            every = max(int(settings.retention_interval_seconds * 1000), 100)
            if await resources.redis.set(RETENTION_SCHEDULE, "1", nx=True, px=every):
                await send(resources.broker, PURGE_UPLOADS)
        except Exception as error:
            if is_outage(error):  # one line per round, not a traceback
                log.warning("reconciliation skipped: %s unavailable", type(error).__name__)
            else:
                log.exception("reconciliation failed; will try again")


async def reconcile_once(resources: Resources, settings: Settings) -> int:
    now = datetime.now(UTC)
    stale = now - timedelta(seconds=settings.stale_after_seconds)
    async with resources.sessions() as session, session.begin():
        orphaned = list(
            await session.scalars(
                update(Analysis)
                .where(Analysis.status == "RUNNING", Analysis.heartbeat_at < stale)
                .values(status="QUEUED", stage="requeued", progress=0, enqueued_at=now)
                .returning(Analysis.id)
            )
        )
        unsent = list(
            await session.scalars(
                update(Analysis)
                .where(Analysis.status == "QUEUED", Analysis.enqueued_at < stale)
                .values(enqueued_at=now)
                .returning(Analysis.id)
            )
        )
        unpaid = list(
            (
                await session.execute(
                    select(
                        Analysis.id,
                        Analysis.user_id,
                        Analysis.image_sha256,
                        Analysis.points_awarded,
                    ).where(
                        Analysis.status == "SUCCEEDED",
                        Analysis.points_sent_at.is_(None),
                        # 0: nothing to pay (e.g. a repeat of one's own photo); null: rows
                        # from before the amount was stored.
                        Analysis.points_awarded.is_(None) | (Analysis.points_awarded > 0),
                        Analysis.finished_at < stale,
                    )
                )
            ).tuples()
        )
    for analysis_id in orphaned:
        log.warning("analysis %s lost its worker: re-enqueued", analysis_id)
        await publish(
            resources.redis,
            ProgressEvent(str(analysis_id), "QUEUED", "requeued", 0, "Restarting the analysis."),
        )
    for analysis_id in orphaned + unsent:
        await send(resources.broker, ANALYZE_WASTE, analysis_id=str(analysis_id))
    for analysis_id, user_id, image_sha256, points in unpaid:
        await award_points(
            resources, analysis_id, user_id, image_sha256, points or settings.points_per_analysis
        )
    return len(orphaned) + len(unsent) + len(unpaid)
