"""Access tokens and the store of rotating refresh tokens; no Strawberry here."""

from __future__ import annotations

import base64
import hashlib
import hmac
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


def access_token(
    *,
    keys: SigningKeys,
    settings: Settings,
    account_id: uuid.UUID,
    issued_at: datetime | None = None,
    jti: str | None = None,
) -> str:
    now = issued_at or datetime.now(UTC)
    return keys.sign(
        {
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "sub": str(account_id),
            "iat": now,
            "exp": now + timedelta(seconds=settings.access_token_ttl_seconds),
            "jti": jti or uuid.uuid4().hex,
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
    """A new refresh token: a new family on login."""
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


def _successor(refresh_token: str) -> str:
    """The token a rotation of this one gives: derived from it, so presenting the same
    token again yields the same successor without the server ever storing a token."""
    digest = hmac.new(refresh_token.encode(), b"bunri refresh rotation", hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def _rotated_pair(
    *, keys: SigningKeys, settings: Settings, used: RefreshSession, successor: str
) -> Tokens:
    """The pair a rotation answered. Ed25519 signatures are deterministic: the same claims
    (issued at the rotation, jti from the successor) give the same access token again."""
    assert used.used_at is not None
    return Tokens(
        access_token=access_token(
            keys=keys,
            settings=settings,
            account_id=used.account_id,
            issued_at=used.used_at,
            jti=_hash(successor)[:32],
        ),
        refresh_token=successor,
        expires_in=settings.access_token_ttl_seconds,
        account_id=used.account_id,
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
    """Use a refresh token once. Presented again within the grace window (a retry on a
    flaky network, two requests at once), it answers the same new pair; later, a second
    use means it was stolen: the family dies."""
    current = await session.scalar(
        select(RefreshSession)
        .where(RefreshSession.token_hash == _hash(refresh_token))
        .with_for_update()  # a parallel rotation waits here, then sees this one's result
    )
    if current is None or current.revoked_at is not None:
        raise invalid_refresh_token()
    successor = _successor(refresh_token)
    now = datetime.now(UTC)
    if current.used_at is not None:
        if await _within_grace(session, settings, current, successor, now):
            return _rotated_pair(keys=keys, settings=settings, used=current, successor=successor)
        await _revoke_family(session, current.family_id)
        await session.commit()  # the revocation must stick although we answer an error
        raise invalid_refresh_token()
    if current.expires_at <= now:
        raise invalid_refresh_token()
    # Whole seconds: the access token's iat is, and a re-issue must sign the same claims.
    current.used_at = now.replace(microsecond=0)
    session.add(
        RefreshSession(
            account_id=current.account_id,
            family_id=current.family_id,
            token_hash=_hash(successor),
            expires_at=now + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    return _rotated_pair(keys=keys, settings=settings, used=current, successor=successor)


async def _within_grace(
    session: AsyncSession,
    settings: Settings,
    used: RefreshSession,
    successor: str,
    now: datetime,
) -> bool:
    """Used moments ago, and the pair it gave is still untouched."""
    assert used.used_at is not None
    if now - used.used_at > timedelta(seconds=settings.refresh_grace_seconds):
        return False
    following = await session.scalar(
        select(RefreshSession).where(RefreshSession.token_hash == _hash(successor))
    )
    return following is not None and following.used_at is None and following.revoked_at is None


async def revoke(*, session: AsyncSession, refresh_token: str) -> bool:
    """Log out: the whole session (every token of the family). False if unknown."""
    current = await session.scalar(
        select(RefreshSession).where(RefreshSession.token_hash == _hash(refresh_token))
    )
    if current is None or current.revoked_at is not None:
        return False
    await _revoke_family(session, current.family_id)
    return True
