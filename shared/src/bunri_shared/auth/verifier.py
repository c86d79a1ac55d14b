"""Access-token verification against the auth service's JWKS."""

from __future__ import annotations

import asyncio
import uuid

import jwt
from jwt import PyJWKClient

from bunri_shared.auth.principal import Principal
from bunri_shared.errors import BunriError, ErrorCode

# Asymmetric only: `none` and HS* (e.g. HS256 "signed" with the public key) never verify.
ALGORITHMS = ["EdDSA"]
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


def unauthenticated(message: str) -> BunriError:
    return BunriError(ErrorCode.UNAUTHENTICATED, message)


class TokenVerifier:
    """Verifies signature, algorithm, `exp`, `iss` and `aud`.

    Keys come from the JWKS, cached for five minutes; an unknown `kid` makes PyJWKClient
    fetch the set again (at most once per cooldown), so a new key is picked up without a
    restart.
    """

    def __init__(
        self, *, jwks_url: str, issuer: str, audience: str, refresh_cooldown: float = 30.0
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        # The JWK set is cached for five minutes; no per-key cache on top (PyJWT's never
        # expires, so a key withdrawn after a compromise would stay trusted until restart).
        self._jwks = PyJWKClient(
            jwks_url, lifespan=300, timeout=5, cooldown_duration=refresh_cooldown
        )

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthenticated("The access token is malformed.") from None
        if header.get("alg") not in ALGORITHMS:
            raise unauthenticated("The access token's algorithm is not accepted.")
        try:
            # PyJWKClient is synchronous (urllib): keep the event loop free.
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError:
            raise BunriError(ErrorCode.INTERNAL, "Cannot verify tokens right now.") from None
        except jwt.PyJWKClientError:
            raise unauthenticated("The access token was signed by an unknown key.") from None
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
