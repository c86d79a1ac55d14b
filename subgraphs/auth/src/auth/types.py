"""GraphQL types of the auth subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from auth.context import Context
from auth.models import Account as AccountRow
from auth.service.sessions import Tokens
from bunri_shared.ids import parse_uuid

Info = strawberry.Info[Context, None]


@strawberry.federation.type(keys=["id"], description="A login identity.")
class Account:
    id: strawberry.ID = strawberry.field(description="The account's id (= its User's id).")
    created_at: datetime = strawberry.field(description="When the account was created.")

    @classmethod
    def from_row(cls, row: AccountRow) -> Self:
        return cls(id=strawberry.ID(str(row.id)), created_at=row.created_at)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        account_id = parse_uuid(id)
        row = await info.context.loaders.account.load(account_id) if account_id else None
        return cls.from_row(row) if row else None


# An entity keyed by its access token: the users subgraph resolves `user` from the token
# it verifies, so the new session's user is seen by its owner (own email, settings, points)
# although the request that signed in carried no token.
@strawberry.federation.type(
    keys=["accessToken"],
    description="A signed-in session: the tokens, and the user they belong to.",
)
class AuthPayload:
    access_token: str = strawberry.field(description='JWT, sent as "Authorization: Bearer <token>"')
    refresh_token: str = strawberry.field(
        description="Opaque, single use, 30 days: trade it for new tokens with refreshSession."
    )
    expires_in: int = strawberry.field(description="Seconds until accessToken expires.")
    device_token: str | None = strawberry.field(
        default=None,
        description=(
            "From signUp and logIn: keep it on this device and send it with the next logIn "
            "(LogInInput.deviceToken), so this device can still sign in while strangers' "
            "guessing has the account throttled."
        ),
    )

    # Hidden from clients, for the users subgraph (it @requires them): in signUp's answer,
    # the profile sign-up asked users to make, so that answer shows it even before users'
    # worker has made it. Data crosses domains in entities, not in a side channel.
    sign_up_nickname: str | None = strawberry.federation.field(default=None, inaccessible=True)
    sign_up_email: str | None = strawberry.federation.field(default=None, inaccessible=True)

    @classmethod
    def resolve_reference(cls, **key: str) -> None:
        # Only the mutations below make one, so no query plan enters auth by this key; it
        # is resolvable (answering null) only because composition asks it of an entity whose
        # fields another subgraph @requires (users: the sign-up fields).
        return None

    @classmethod
    def from_tokens(cls, tokens: Tokens, *, device_token: str | None = None) -> Self:
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
            device_token=device_token,
        )


@strawberry.input(description="A new account.")
class SignUpInput:
    email: str = strawberry.field(description="Login name; EMAIL_TAKEN if already used.")
    password: str = strawberry.field(
        description="10 to 128 characters, not easily guessed (else WEAK_PASSWORD)."
    )
    nickname: str = strawberry.field(
        description="Shown to others: letters, digits, spaces, '.', '_' and '-'."
    )


@strawberry.input(description="Credentials of an existing account.")
class LogInInput:
    email: str = strawberry.field(description="The account's email (any letter case).")
    password: str = strawberry.field(description="The account's password.")
    device_token: str | None = strawberry.field(
        default=None, description="The deviceToken an earlier signUp or logIn gave this device."
    )
