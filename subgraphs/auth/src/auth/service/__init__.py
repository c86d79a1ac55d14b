"""Accounts: sign-up and log-in (refresh tokens: `service.sessions`); no Strawberry here."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth import passwords
from auth.config import Settings
from auth.models import Account
from auth.outgoing import CREATE_PROFILE, CreateProfile
from auth.throttle import LoginThrottle
from bunri_shared import ratelimit, validation
from bunri_shared.errors import BunriError, ErrorCode, bad_input
from bunri_shared.messaging import send
from bunri_shared.resources import Resources


async def accounts_by_id(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Account]:
    """One statement for a whole batch (any order)."""
    return list(await session.scalars(select(Account).where(Account.id.in_(ids))))


def normalise_email(email: str) -> str:
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise bad_input(f"email is not valid: {error}", field="email") from None
    return checked.normalized.lower()


def invalid_credentials() -> BunriError:
    # One answer for an unknown email and a wrong password: no account enumeration.
    return BunriError(ErrorCode.INVALID_CREDENTIALS, "Email or password is wrong.")


@dataclass(frozen=True, slots=True)
class SignedUp:
    account: Account
    # The profile asked of users (by message); shown in signUp's answer until users has it.
    profile: CreateProfile


async def sign_up(
    *,
    session: AsyncSession,
    resources: Resources,
    settings: Settings,
    email: str,
    password: str,
    nickname: str,
    address: str | None,
) -> SignedUp:
    email = normalise_email(email)
    nickname = validation.nickname(nickname)
    passwords.check_policy(password, user_inputs=[email, email.split("@")[0], nickname])
    if address:
        limit = ratelimit.Limit(
            f"auth:signups:address:{address}", settings.signups_per_address_per_hour, 3600
        )
        await ratelimit.take(resources.redis, [limit])
    password_hash = await asyncio.to_thread(passwords.hasher.hash, password)  # ~50 ms of CPU
    account = Account(id=uuid.uuid4(), email=email, password_hash=password_hash)
    session.add(account)
    try:
        await session.flush()
    except IntegrityError:  # the caller's transaction rolls back on the way out
        raise BunriError(ErrorCode.EMAIL_TAKEN, "An account with this email exists.") from None
    # Before the account commits: users owes nothing to auth's rows, so a profile made for
    # an account whose commit then fails is harmless, while the reverse would not be.
    profile = CreateProfile(user_id=account.id, email=email, nickname=nickname)
    await send(resources.broker, CREATE_PROFILE, **profile.model_dump())
    return SignedUp(account, profile)


@dataclass(frozen=True, slots=True)
class LoggedIn:
    account: Account
    # Proof of "this device signed in to this account before" for the next log-in.
    device_token: str


async def log_in(
    *,
    session: AsyncSession,
    redis: Redis,
    settings: Settings,
    email: str,
    password: str,
    address: str | None,
    device_token: str | None = None,
) -> LoggedIn:
    try:
        email = normalise_email(email)
    except BunriError:
        raise invalid_credentials() from None
    throttle = LoginThrottle(redis, settings)
    known = await throttle.is_known(email, address, device_token)
    delays = throttle.delays(email, address, known=known)
    # Counted before the (slow) password check, so parallel guesses cannot race past it.
    await throttle.attempt(delays)
    account = await session.scalar(select(Account).where(Account.email == email))
    stored = account.password_hash if account else None
    if not await asyncio.to_thread(passwords.verify, stored, password):
        raise invalid_credentials()
    assert account is not None
    device_token = device_token if known and device_token else new_device_token()
    await throttle.succeeded(email, delays, address=address, device_token=device_token)
    if passwords.hasher.check_needs_rehash(account.password_hash):
        account.password_hash = await asyncio.to_thread(passwords.hasher.hash, password)
    return LoggedIn(account, device_token)


def new_device_token() -> str:
    return secrets.token_urlsafe(24)


async def remember_device(
    redis: Redis, settings: Settings, *, email: str, address: str | None
) -> str:
    """After sign-up: the creating address and device are the account's first known ones."""
    device_token = new_device_token()
    await LoginThrottle(redis, settings).succeeded(
        email, [], address=address, device_token=device_token
    )
    return device_token
