"""Puts orphaned work back on track; runs in every waste API replica, one at a time.

- RUNNING with a stale heartbeat (its worker died): back to QUEUED and re-sent.
- QUEUED whose message may be lost (a crash between commit and send): re-sent.
  Duplicates are harmless: a job is claimed by one conditional UPDATE.
- SUCCEEDED whose points award was never sent: sent.

API-side only through the service layer (`waste.service.jobs`) and message sends: the API
process never imports the worker's pipeline.
"""

from __future__ import annotations

import asyncio
import logging

from bunri_shared.messaging import send
from bunri_shared.outages import is_outage
from bunri_shared.resources import Resources
from waste.config import Settings
from waste.contract import PURGE_UPLOADS
from waste.service import jobs

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
    async with resources.sessions() as session, session.begin():
        orphans = await jobs.find_orphans(session=session, settings=settings)
    for state in orphans.requeued:
        log.warning("analysis %s lost its worker: re-enqueued", state.id)
    await jobs.resume(resources=resources, settings=settings, orphans=orphans)
    return len(orphans)
