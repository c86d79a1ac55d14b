"""The seam for social login (Kakao, Naver, Google — the original app offered them).

Not wired yet. A provider turns what the app got from the provider's SDK (an ID token or
an authorization code) into a verified external identity; sign-in then finds or creates
the account linked to (provider, subject) and issues tokens exactly like `logIn`
(`sessions.issue`). What it will take:
- a table `auth.external_identities (provider, subject) UNIQUE → account_id` (a migration),
- a `logInWith(provider: String!, credential: String!): AuthPayload!` mutation,
- one class per provider implementing `IdentityProvider` (Google: verify the OIDC ID token
  against Google's JWKS; Kakao and Naver: exchange the code, read the profile endpoint).
Password accounts and social identities then share accounts, sessions and tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    provider: str  # "google" | "kakao" | "naver"
    subject: str  # the provider's stable user id
    email: str | None
    email_verified: bool
    nickname: str | None


class IdentityProvider(Protocol):
    name: str

    async def verify(self, credential: str) -> ExternalIdentity:
        """The identity behind the credential; raises INVALID_CREDENTIALS if it does not verify."""
        ...
