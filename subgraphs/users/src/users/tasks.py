"""Dramatiq actors of the users domain: `dramatiq users.tasks`.

Other domains send these messages by name (bunri_shared.messaging); both are idempotent.
"""

from __future__ import annotations

import uuid

import dramatiq

from bunri_shared.messaging import AWARD_POINTS, CREATE_PROFILE, pending_profile_key, setup_broker
from bunri_shared.worker import WorkerResources, configure_worker
from users import service
from users.config import Settings

settings = Settings()
configure_worker(settings)
broker = setup_broker(settings.redis_url)
resources = WorkerResources(settings)


@dramatiq.actor(
    queue_name=CREATE_PROFILE.queue,
    actor_name=CREATE_PROFILE.actor,
    max_retries=20,
    throws=(ValueError,),  # a malformed message will not get better by retrying
)
async def create_profile(user_id: str, email: str, nickname: str) -> None:
    r = resources.get()
    async with r.sessions() as session, session.begin():
        await service.ensure_profile(
            session=session, user_id=uuid.UUID(user_id), nickname=nickname, email=email
        )
    await r.redis.delete(pending_profile_key(user_id))


@dramatiq.actor(
    queue_name=AWARD_POINTS.queue,
    actor_name=AWARD_POINTS.actor,
    max_retries=20,  # the profile may not exist yet: retried with back-off until it does
    throws=(ValueError,),
)
async def award_points(
    user_id: str, source: str, source_id: str, points: int, reason: str | None = None
) -> None:
    async with resources.get().sessions() as session, session.begin():
        await service.award_points(
            session=session,
            user_id=uuid.UUID(user_id),
            source=source,
            source_id=source_id,
            points=int(points),
            reason=reason,
        )
