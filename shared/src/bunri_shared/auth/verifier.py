"""Access-token verification against the auth service's JWKS."""

from __future__ import annotations

import uuid

import jwt

from bunri_shared.auth.jwks import JwksCache, KeysUnavailable
from bunri_shared.auth.principal import Principal
from bunri_shared.errors import BunriError, ErrorCode
from bunri_shared.outages import service_unavailable

# Asymmetric only: `none` and HS* (e.g. HS256 "signed" with the public key) never verify.
ALGORITHMS = ["EdDSA"]
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


def unauthenticated(message: str) -> BunriError:
    return BunriError(ErrorCode.UNAUTHENTICATED, message)


class TokenVerifier:
    """Verifies signature, algorithm, `exp`, `iss` and `aud` against the auth service's
    JWKS (cached, renewed in the background, stale-if-error: see jwks.py)."""

    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        audience: str,
        refresh_cooldown: float = 30.0,
        ttl: float = 300.0,
        max_stale: float = 3600.0,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks = JwksCache(jwks_url, ttl=ttl, max_stale=max_stale, cooldown=refresh_cooldown)

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthenticated("The access token is malformed.") from None
        if header.get("alg") not in ALGORITHMS:
            raise unauthenticated("The access token's algorithm is not accepted.")
        try:
            signing_key = await self._jwks.key(header.get("kid"))
        except KeysUnavailable:
            raise service_unavailable("Cannot verify tokens right now.") from None
        if signing_key is None:
            raise unauthenticated("The access token was signed by an unknown key.")
        try:
            claims = jwt.decode(
                token,
                signing_key.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise unauthenticated("The access token has expired.") from None
        except jwt.PyJWTError:
            raise unauthenticated("The access token is not valid.") from None
        try:
            user_id = uuid.UUID(claims["sub"])
        except ValueError:
            raise unauthenticated("The access token is not valid.") from None
        return Principal(user_id=user_id, claims=claims)


def bearer_token(value: object) -> str | None:
    """`Bearer <token>` → token; anything else → None."""
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
