"""Dramatiq actors of the users domain: `dramatiq users.tasks`.

Other domains send these messages by name; their names and fields are users/contract.py,
checked here on receipt. Both are idempotent.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from bunri_shared.messaging import setup_broker
from bunri_shared.worker import WorkerResources, configure_worker
from users import service
from users.config import Settings
from users.contract import AWARD_POINTS, CREATE_PROFILE, AwardPoints, CreateProfile

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
async def create_profile(**fields: Any) -> None:
    message = CreateProfile.model_validate(fields)
    async with resources.get().sessions() as session, session.begin():
        await service.ensure_profile(
            session=session, user_id=message.user_id, nickname=message.nickname, email=message.email
        )


@dramatiq.actor(
    queue_name=AWARD_POINTS.queue,
    actor_name=AWARD_POINTS.actor,
    max_retries=20,  # the profile may not exist yet: retried with back-off until it does
    # Usually it is a moment away (sign-up's message in the same queue): retry soon.
    min_backoff=500,
    max_backoff=60_000,
    throws=(ValueError,),
)
async def award_points(**fields: Any) -> None:
    message = AwardPoints.model_validate(fields)
    async with resources.get().sessions() as session, session.begin():
        await service.award_points(
            session=session,
            user_id=message.user_id,
            source=message.source,
            source_id=message.source_id,
            points=message.points,
            reason=message.reason,
        )
