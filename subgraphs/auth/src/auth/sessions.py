"""Access tokens and rotating refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.config import Settings
from auth.keys import SigningKeys
from auth.models import RefreshSession
from bunri_shared.errors import BunriError, ErrorCode


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    account_id: uuid.UUID


def invalid_refresh_token() -> BunriError:
    return BunriError(ErrorCode.INVALID_REFRESH_TOKEN, "The refresh token is not valid.")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token(*, keys: SigningKeys, settings: Settings, account_id: uuid.UUID) -> str:
    now = datetime.now(UTC)
    return keys.sign(
        {
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "sub": str(account_id),
            "iat": now,
            "exp": now + timedelta(seconds=settings.access_token_ttl_seconds),
            "jti": uuid.uuid4().hex,
        }
    )


async def issue(
    *,
    session: AsyncSession,
    keys: SigningKeys,
    settings: Settings,
    account_id: uuid.UUID,
    family_id: uuid.UUID | None = None,
) -> Tokens:
    """A new refresh token (a new family on login, the same family on rotation)."""
    refresh = secrets.token_urlsafe(32)
    session.add(
        RefreshSession(
            account_id=account_id,
            family_id=family_id or uuid.uuid4(),
            token_hash=_hash(refresh),
            expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    return Tokens(
        access_token=access_token(keys=keys, settings=settings, account_id=account_id),
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
        account_id=account_id,
    )


async def _revoke_family(session: AsyncSession, family_id: uuid.UUID) -> None:
    await session.execute(
        update(RefreshSession)
        .where(RefreshSession.family_id == family_id, RefreshSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def rotate(
    *, session: AsyncSession, keys: SigningKeys, settings: Settings, refresh_token: str
) -> Tokens:
    """Use a refresh token once. A second use means it was stolen: the family dies."""
    current = await session.scalar(
        select(RefreshSession)
        .where(RefreshSession.token_hash == _hash(refresh_token))
        .with_for_update()
    )
    if current is None or current.revoked_at is not None:
        raise invalid_refresh_token()
    if current.used_at is not None:
        await _revoke_family(session, current.family_id)
        await session.commit()  # the revocation must stick although we answer an error
        raise invalid_refresh_token()
    if current.expires_at <= datetime.now(UTC):
        raise invalid_refresh_token()
    current.used_at = datetime.now(UTC)
    return await issue(
        session=session,
        keys=keys,
        settings=settings,
        account_id=current.account_id,
        family_id=current.family_id,
    )


async def revoke(*, session: AsyncSession, refresh_token: str) -> bool:
    """Log out: the whole session (every token of the family). False if unknown."""
    current = await session.scalar(
        select(RefreshSession).where(RefreshSession.token_hash == _hash(refresh_token))
    )
    if current is None or current.revoked_at is not None:
        return False
    await _revoke_family(session, current.family_id)
    return True
