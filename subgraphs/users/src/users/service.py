"""Profiles and the points ledger; no Strawberry here.

A profile exists for every account: the worker makes it from sign-up's message. Until the
worker has run (it may be down), reads answer the signed-in user with a provisional profile
that is never stored: a read path writes nothing. The first write (updateProfile) stores a
profile; the late message then adds only the email, and the sign-up nickname if the user has
not chosen another (idempotent).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from users.models import PointAward, Profile


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    nickname: str | None = None
    avatar_url: str | None = None
    language: str | None = None
    notifications_enabled: bool | None = None


async def profiles_by_id(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Profile]:
    return list(await session.scalars(select(Profile).where(Profile.id.in_(ids))))


async def points_by_user(
    *, session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(PointAward.user_id, func.sum(PointAward.points))
        .where(PointAward.user_id.in_(ids))
        .group_by(PointAward.user_id)
    )
    return {user_id: int(total) for user_id, total in rows.tuples()}


async def profile_for_update(*, session: AsyncSession, user_id: uuid.UUID) -> Profile | None:
    """The profile, locked until the caller's transaction ends (None if not made yet)."""
    return await session.get(Profile, user_id, with_for_update=True)


def default_nickname(user_id: uuid.UUID) -> str:
    """The nickname of a profile stored before sign-up's message brought the real one."""
    return f"user-{user_id.hex[:8]}"


def provisional_profile(
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


async def provision_profile(*, session: AsyncSession, user_id: uuid.UUID) -> Profile:
    """For a write by the user themself before the worker has run: store the defaults."""
    return await ensure_profile(
        session=session, user_id=user_id, nickname=default_nickname(user_id), email=None
    )


async def ensure_profile(
    *, session: AsyncSession, user_id: uuid.UUID, nickname: str, email: str | None
) -> Profile:
    """Create the profile unless it exists: idempotent. An existing one is left as it is,
    but for what a write by the user before sign-up's message could not know: the email,
    and the nickname chosen at sign-up unless they have set another since."""
    statement = insert(Profile).values(id=user_id, nickname=nickname, email=email)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "email": statement.excluded.email,
                "nickname": case(
                    (Profile.nickname == default_nickname(user_id), statement.excluded.nickname),
                    else_=Profile.nickname,
                ),
            },
            where=Profile.email.is_(None),
        )
    )
    profile = await session.get(Profile, user_id, populate_existing=True)
    assert profile is not None
    return profile


async def update_profile(
    *, session: AsyncSession, profile: Profile, changes: ProfileChanges
) -> Profile:
    for name in ("nickname", "avatar_url", "language", "notifications_enabled"):
        value = getattr(changes, name)
        if value is not None:
            setattr(profile, name, value)
    profile.updated_at = func.now()
    await session.flush()
    await session.refresh(profile)
    return profile


async def award_points(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    source: str,
    source_id: str,
    points: int,
    reason: str | None,
) -> bool:
    """One ledger row per (source, source_id): a redelivered award counts once."""
    result = await session.execute(
        insert(PointAward)
        .values(user_id=user_id, source=source, source_id=source_id, points=points, reason=reason)
        .on_conflict_do_nothing(index_elements=["source", "source_id"])
        .returning(PointAward.id)
    )
    return result.scalar() is not None
