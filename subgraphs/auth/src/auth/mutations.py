from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from auth import service
from auth.context import Context
from auth.service import sessions
from auth.types import AuthPayload, Info, LogInInput, SignUpInput


async def _signed_in(
    context: Context, session: AsyncSession, account_id: uuid.UUID, device_token: str
) -> AuthPayload:
    """A new session for the account: the answer of signUp and logIn alike."""
    tokens = await sessions.issue(
        session=session, keys=context.keys, settings=context.settings, account_id=account_id
    )
    return AuthPayload.from_tokens(tokens, device_token=device_token)


RefreshToken = Annotated[
    str, strawberry.argument(description="The refreshToken of the session's latest AuthPayload.")
]


@strawberry.type(description="The entry points for changing data.")
class Mutation:
    @strawberry.mutation(description="Create an account; returns a signed-in session.")
    async def sign_up(
        self,
        info: Info,
        input: Annotated[SignUpInput, strawberry.argument(description="The new account.")],
    ) -> AuthPayload:
        context = info.context
        async with context.sessions() as session, session.begin():
            signed_up = await service.sign_up(
                session=session,
                resources=context.resources,
                settings=context.settings,
                email=input.email,
                password=input.password,
                nickname=input.nickname,
                address=context.client_address,
            )
            device_token = await service.remember_device(
                context.resources.redis,
                context.settings,
                email=signed_up.account.email,
                address=context.client_address,
            )
            payload = await _signed_in(context, session, signed_up.account.id, device_token)
        payload.sign_up_nickname = signed_up.profile.nickname
        payload.sign_up_email = signed_up.profile.email
        return payload

    @strawberry.mutation(
        description="Sign in with email and password (INVALID_CREDENTIALS, RATE_LIMITED)."
    )
    async def log_in(
        self,
        info: Info,
        input: Annotated[LogInInput, strawberry.argument(description="The credentials.")],
    ) -> AuthPayload:
        context = info.context
        async with context.sessions() as session, session.begin():
            logged_in = await service.log_in(
                session=session,
                redis=context.resources.redis,
                settings=context.settings,
                email=input.email,
                password=input.password,
                address=context.client_address,
                device_token=input.device_token or None,
            )
            return await _signed_in(context, session, logged_in.account.id, logged_in.device_token)

    @strawberry.mutation(description="Trade a refresh token for new tokens (it is used up).")
    async def refresh_session(self, info: Info, refresh_token: RefreshToken) -> AuthPayload:
        context = info.context
        async with context.sessions() as session, session.begin():
            tokens = await sessions.rotate(
                session=session,
                keys=context.keys,
                settings=context.settings,
                refresh_token=refresh_token,
            )
        return AuthPayload.from_tokens(tokens)

    @strawberry.mutation(description="End the session this refresh token belongs to.")
    async def log_out(self, info: Info, refresh_token: RefreshToken) -> bool:
        async with info.context.sessions() as session, session.begin():
            return await sessions.revoke(session=session, refresh_token=refresh_token)
