"""Profiles and points; no Strawberry here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from users.models import PointAward, Profile


async def profiles_by_id(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Profile]:
    return list(await session.scalars(select(Profile).where(Profile.id.in_(ids))))


async def points_by_user(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[str, int]:
    rows = await session.execute(
        select(PointAward.user_id, func.sum(PointAward.points))
        .where(PointAward.user_id.in_(ids))
        .group_by(PointAward.user_id)
    )
    return {str(user_id): int(total) for user_id, total in rows.tuples()}
