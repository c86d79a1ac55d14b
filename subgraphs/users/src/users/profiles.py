"""A profile exists for every account: made by the worker, or here on first read."""

from __future__ import annotations

import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bunri_shared.messaging import pending_profile_key
from bunri_shared.resources import Resources
from users import service
from users.models import Profile


async def provision(
    *, session: AsyncSession, resources: Resources, user_id: uuid.UUID, is_self: bool
) -> Profile | None:
    """Create a missing profile from what sign-up left in Redis; for the signed-in user
    themself, from defaults if even that is gone. None if there is nothing to go on."""
    raw = await resources.redis.get(pending_profile_key(str(user_id)))
    if raw is not None:
        pending = json.loads(raw)
        nickname, email = pending["nickname"], pending.get("email")
    else:
        # The worker may have made it (and removed the key) since the caller looked.
        existing = await session.get(Profile, user_id)
        if existing is not None or not is_self:
            return existing
        nickname, email = f"user-{user_id.hex[:8]}", None
    return await service.ensure_profile(
        session=session, user_id=user_id, nickname=nickname, email=email
    )
