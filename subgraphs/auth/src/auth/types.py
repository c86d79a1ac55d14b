"""GraphQL types of the auth subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.federation.schema_directives import Key

from auth.context import Context
from auth.models import Account as AccountRow
from auth.sessions import Tokens

Info = strawberry.Info[Context, None]


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)])
class User:
    """Owned by the users subgraph."""

    id: strawberry.ID


@strawberry.federation.type(keys=["id"], description="A login identity.")
class Account:
    id: strawberry.ID
    created_at: datetime

    @classmethod
    def from_row(cls, row: AccountRow) -> Self:
        return cls(id=strawberry.ID(str(row.id)), created_at=row.created_at)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        row = await info.context.loaders.account.load(id)
        return cls.from_row(row) if row else None


@strawberry.type
class AuthPayload:
    access_token: str = strawberry.field(description='JWT, sent as "Authorization: Bearer <token>"')
    refresh_token: str
    expires_in: int = strawberry.field(description="Seconds until accessToken expires.")
    user: User
    device_token: str | None = strawberry.field(
        default=None,
        description=(
            "From signUp and logIn: keep it on this device and send it with the next logIn "
            "(LogInInput.deviceToken), so this device can still sign in while strangers' "
            "guessing has the account throttled."
        ),
    )

    @classmethod
    def from_tokens(cls, tokens: Tokens, *, device_token: str | None = None) -> Self:
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
            user=User(id=strawberry.ID(str(tokens.account_id))),
            device_token=device_token,
        )


@strawberry.input
class SignUpInput:
    email: str
    password: str
    nickname: str


@strawberry.input
class LogInInput:
    email: str
    password: str
    device_token: str | None = strawberry.field(
        default=None, description="The deviceToken an earlier signUp or logIn gave this device."
    )
