"""A profile exists for every account: the worker makes it from sign-up's message.

Until the worker has run (it may be down), reads answer the signed-in user with a
provisional profile that is never stored: a read path writes nothing. The first write
(updateProfile) stores a profile; the late message then adds only the email, and the
sign-up nickname if the user has not chosen another (idempotent).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from users import service
from users.models import Profile
from users.service import default_nickname


def provisional(
    user_id: uuid.UUID, *, nickname: str | None = None, email: str | None = None
) -> Profile:
    """Not stored: the profile as the worker will make it (from what the caller knows of
    sign-up, else defaults), with the table's defaults for the rest."""
    now = datetime.now(UTC)
    return Profile(
        id=user_id,
        nickname=nickname or default_nickname(user_id),
        email=email,
        avatar_url=None,
        language="ko",
        notifications_enabled=True,
        created_at=now,
        updated_at=now,
    )


async def provision(*, session: AsyncSession, user_id: uuid.UUID) -> Profile:
    """For a write by the user themself before the worker has run: store the defaults."""
    return await service.ensure_profile(
        session=session, user_id=user_id, nickname=default_nickname(user_id), email=None
    )
