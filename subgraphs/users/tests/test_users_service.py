"""Profiles and the points ledger against the real `users` schema (the fast layer: no HTTP,
no worker). The worker and gateway paths are in test_profiles_and_points.py."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bunri_shared.errors import BunriError
from devstack.service_testing import Statements
from users import service, validation
from users.loaders import Loaders
from users.models import Profile
from users.types import UpdateProfileInput


async def _profile(session: AsyncSession, nickname: str = "분리수거왕") -> uuid.UUID:
    user_id = uuid.uuid4()
    await service.ensure_profile(
        session=session, user_id=user_id, nickname=nickname, email=f"{user_id.hex}@example.com"
    )
    return user_id


async def test_a_repeated_profile_creation_changes_nothing(session: AsyncSession) -> None:
    user_id = await _profile(session, nickname="원래이름")
    again = await service.ensure_profile(
        session=session, user_id=user_id, nickname="다른이름", email="x@example.com"
    )
    assert (again.nickname, again.email) == ("원래이름", f"{user_id.hex}@example.com")
    # Defaults a new profile starts with.
    assert (again.language, again.notifications_enabled, again.avatar_url) == ("ko", True, None)


async def test_an_award_delivered_twice_counts_once(session: AsyncSession) -> None:
    user_id = await _profile(session)
    source_id = str(uuid.uuid4())
    award = {"user_id": user_id, "source": "waste.analysis", "source_id": source_id}
    assert await service.award_points(session=session, **award, points=10, reason=None)
    # Redelivered (a retry, a crash): no second row, whatever it says now.
    assert not await service.award_points(session=session, **award, points=99, reason="again")
    other = {**award, "source_id": "other"}
    assert await service.award_points(session=session, **other, points=5, reason=None)
    totals = await service.points_by_user(session=session, ids=[user_id, uuid.uuid4()])
    assert totals == {user_id: 15}  # no awards: no entry (the loader answers 0)


async def test_profiles_and_points_in_key_order_one_statement_each(
    session: AsyncSession, sessions: async_sessionmaker[AsyncSession], statements: Statements
) -> None:
    first, second = await _profile(session, "하나"), await _profile(session, "둘")
    await service.award_points(
        session=session, user_id=second, source="test", source_id=second.hex, points=7, reason=None
    )
    await session.flush()
    before = statements.count
    loaders = Loaders(sessions)
    keys = [second, uuid.uuid4(), first]
    profiles = await loaders.profile.load_many(keys)
    points = await loaders.points.load_many(keys)
    assert statements.count - before == 2
    assert [p.nickname if p else None for p in profiles] == ["둘", None, "하나"]
    assert points == [7, 0, 0]


async def test_an_update_changes_only_what_it_names(session: AsyncSession) -> None:
    user_id = await _profile(session, "원본")
    profile = await session.get(Profile, user_id)
    assert profile is not None
    changes = validation.profile_changes(
        UpdateProfileInput(avatar_url=" https://cdn.example/a.png ")
    )
    updated = await service.update_profile(session=session, profile=profile, changes=changes)
    assert (updated.nickname, updated.avatar_url) == ("원본", "https://cdn.example/a.png")
    assert updated.updated_at >= updated.created_at


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nickname": "ok name", "avatar_url": "http://insecure.example/a.png"}, "avatarUrl"),
        ({"avatar_url": "https://user:pw@example.com/a.png"}, "avatarUrl"),
        ({"avatar_url": "javascript:alert(1)"}, "avatarUrl"),
        ({"avatar_url": "https://example.com/" + "a" * 2048}, "avatarUrl"),
        ({"nickname": "a" * 21}, "nickname"),
        ({"nickname": "two  spaces"}, "nickname"),
        ({"nickname": "x"}, "nickname"),
        ({"nickname": "<script>"}, "nickname"),
    ],
)
def test_bad_profile_input_names_the_field(changes: dict, field: str) -> None:
    with pytest.raises(BunriError) as raised:
        validation.profile_changes(UpdateProfileInput(**changes))
    assert raised.value.extensions == {
        "code": "BAD_USER_INPUT",
        "field": field,
    }


async def test_a_late_sign_up_message_brings_the_nickname_unless_the_user_chose_one(
    session: AsyncSession,
) -> None:
    """A write by the user before the worker ran stored a default profile."""
    untouched, renamed = uuid.uuid4(), uuid.uuid4()
    for user_id in (untouched, renamed):
        await service.ensure_profile(
            session=session,
            user_id=user_id,
            nickname=service.default_nickname(user_id),
            email=None,
        )
    profile = await session.get(Profile, renamed)
    assert profile is not None
    changes = validation.profile_changes(UpdateProfileInput(nickname="내이름"))
    await service.update_profile(session=session, profile=profile, changes=changes)
    for user_id in (untouched, renamed):
        stored = await service.ensure_profile(
            session=session, user_id=user_id, nickname="가입이름", email=f"{user_id.hex}@x.kr"
        )
        assert stored.email == f"{user_id.hex}@x.kr"
    assert (await session.get(Profile, untouched, populate_existing=True)).nickname == "가입이름"
    assert (await session.get(Profile, renamed, populate_existing=True)).nickname == "내이름"
