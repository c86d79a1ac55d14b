"""Refresh-token rotation and log-in against the real `auth` schema and Redis (the fast
layer: no HTTP, no processes). What needs the gateway is in test_accounts.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from redis.asyncio import Redis
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from auth import passwords, service
from auth.config import Settings
from auth.keys import SigningKeys
from auth.models import Account, RefreshSession
from auth.service import sessions
from bunri_shared.errors import BunriError

KEYS = SigningKeys(keys={"test": Ed25519PrivateKey.generate()}, active_kid="test")
PASSWORD = "correct horse battery staple 42"


def _settings(**values: object) -> Settings:
    return Settings(DATABASE_URL="postgresql://unused", **values)


async def _account(session: AsyncSession) -> Account:
    account = Account(
        id=uuid.uuid4(),
        email=f"user-{uuid.uuid4().hex[:12]}@example.com",
        password_hash=passwords.hasher.hash(PASSWORD),
    )
    session.add(account)
    await session.flush()
    return account


async def _code(call: object) -> str:
    with pytest.raises(BunriError) as raised:
        await call  # type: ignore[misc]
    return raised.value.extensions["code"]


async def test_a_rotation_repeated_within_the_grace_window_answers_the_same_pair(
    session: AsyncSession,
) -> None:
    settings = _settings(refresh_grace_seconds=30)
    account = await _account(session)
    first = await sessions.issue(
        session=session, keys=KEYS, settings=settings, account_id=account.id
    )
    rotate = {"session": session, "keys": KEYS, "settings": settings}
    pair = await sessions.rotate(**rotate, refresh_token=first.refresh_token)
    assert pair.refresh_token != first.refresh_token and pair.account_id == account.id
    # The answer got lost and the client asks again: the same pair, access token included.
    assert await sessions.rotate(**rotate, refresh_token=first.refresh_token) == pair
    # Once the new token has been used, the old one is a theft signal even inside the window.
    newer = await sessions.rotate(**rotate, refresh_token=pair.refresh_token)
    assert await _code(sessions.rotate(**rotate, refresh_token=first.refresh_token)) == (
        "INVALID_REFRESH_TOKEN"
    )
    assert await _code(sessions.rotate(**rotate, refresh_token=newer.refresh_token)) == (
        "INVALID_REFRESH_TOKEN"
    )


async def test_reusing_a_rotated_token_after_the_window_revokes_its_family(
    session: AsyncSession,
) -> None:
    settings = _settings(refresh_grace_seconds=0)  # every repeat comes after the window
    account = await _account(session)
    first = await sessions.issue(
        session=session, keys=KEYS, settings=settings, account_id=account.id
    )
    rotate = {"session": session, "keys": KEYS, "settings": settings}
    second = await sessions.rotate(**rotate, refresh_token=first.refresh_token)
    # An attacker replays the used token: refused, and the family is revoked ...
    assert await _code(sessions.rotate(**rotate, refresh_token=first.refresh_token)) == (
        "INVALID_REFRESH_TOKEN"
    )
    # ... so the legitimate, unused newer token is dead too.
    assert await _code(sessions.rotate(**rotate, refresh_token=second.refresh_token)) == (
        "INVALID_REFRESH_TOKEN"
    )


async def test_log_out_ends_the_whole_session_and_no_other(session: AsyncSession) -> None:
    settings = _settings()
    account = await _account(session)
    issue = {"session": session, "keys": KEYS, "settings": settings, "account_id": account.id}
    first, other = await sessions.issue(**issue), await sessions.issue(**issue)
    rotate = {"session": session, "keys": KEYS, "settings": settings}
    second = await sessions.rotate(**rotate, refresh_token=first.refresh_token)
    assert await sessions.revoke(session=session, refresh_token=second.refresh_token)
    assert not await sessions.revoke(session=session, refresh_token=second.refresh_token)
    assert not await sessions.revoke(session=session, refresh_token="never issued")
    assert await _code(sessions.rotate(**rotate, refresh_token=second.refresh_token)) == (
        "INVALID_REFRESH_TOKEN"
    )
    # Another log-in of the same account is another family: untouched.
    assert await sessions.rotate(**rotate, refresh_token=other.refresh_token)


async def test_an_expired_refresh_token_is_refused(session: AsyncSession) -> None:
    settings = _settings()
    account = await _account(session)
    tokens = await sessions.issue(
        session=session, keys=KEYS, settings=settings, account_id=account.id
    )
    await session.execute(
        update(RefreshSession)
        .where(RefreshSession.account_id == account.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    code = await _code(
        sessions.rotate(
            session=session, keys=KEYS, settings=settings, refresh_token=tokens.refresh_token
        )
    )
    assert code == "INVALID_REFRESH_TOKEN"


async def test_unknown_email_and_wrong_password_look_the_same(
    session: AsyncSession, redis: Redis
) -> None:
    account = await _account(session)
    settings = _settings()
    answers = []
    for email, password in (
        (f"nobody-{uuid.uuid4().hex[:12]}@example.com", "whatever passphrase 1"),
        (account.email, "wrong passphrase 1"),
    ):
        with pytest.raises(BunriError) as raised:
            await service.log_in(
                session=session, redis=redis, settings=settings, email=email,
                password=password, address="198.51.100.200",
            )  # fmt: skip
        answers.append((raised.value.message, raised.value.extensions))
    assert (
        answers[0]
        == answers[1]
        == (
            "Email or password is wrong.",
            {"code": "INVALID_CREDENTIALS"},
        )
    )


async def test_log_in_takes_the_email_in_any_case_and_spacing(
    session: AsyncSession, redis: Redis
) -> None:
    account = await _account(session)
    logged_in = await service.log_in(
        session=session, redis=redis, settings=_settings(),
        email=f"  {account.email.upper()} ", password=PASSWORD, address="198.51.100.201",
    )  # fmt: skip
    assert logged_in.account.id == account.id and logged_in.device_token


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.com", ""])
def test_a_malformed_email_is_bad_user_input(email: str) -> None:
    with pytest.raises(BunriError) as raised:
        service.normalise_email(email)
    assert raised.value.extensions == {"code": "BAD_USER_INPUT", "field": "email"}


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "WEAK_PASSWORD"),
        ("password1234", "WEAK_PASSWORD"),
        ("qwertyuiop12", "WEAK_PASSWORD"),
        ("x" * 1000, "BAD_USER_INPUT"),
    ],
)
def test_weak_or_absurd_passwords_are_refused(password: str, code: str) -> None:
    with pytest.raises(BunriError) as raised:
        passwords.check_policy(password, user_inputs=["tester@example.com", "tester"])
    assert raised.value.extensions["code"] == code


def test_a_strong_password_passes() -> None:
    passwords.check_policy(PASSWORD, user_inputs=["tester@example.com", "tester"])
