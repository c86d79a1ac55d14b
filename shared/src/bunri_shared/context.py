"""The typed GraphQL context every subgraph extends with its own loaders."""

from __future__ import annotations

from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection
from strawberry.fastapi import BaseContext

from bunri_shared.auth.principal import Principal
from bunri_shared.auth.verifier import bearer_token, unauthenticated
from bunri_shared.errors import BunriError
from bunri_shared.resources import Resources


class RequestContext(BaseContext):
    """One per HTTP request, and one per WebSocket connection (not per event)."""

    def __init__(self, *, resources: Resources, connection: HTTPConnection) -> None:
        super().__init__()
        self.resources = resources
        self.connection = connection
        self.principal: Principal | None = None
        # Why a presented token was refused; public fields still answer anonymously.
        self.auth_error: BunriError | None = None

    async def authenticate_header(self, authorization: str | None) -> None:
        if authorization is None:
            return
        token = bearer_token(authorization)
        if token is None:
            self.auth_error = unauthenticated("Authorization must be 'Bearer <token>'.")
            return
        await self.authenticate_token(token)

    async def authenticate_token(self, token: str) -> None:
        try:
            self.principal = await self.resources.verifier.verify(token)
        except BunriError as error:
            self.principal, self.auth_error = None, error

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.resources.sessions

    @property
    def client_address(self) -> str | None:
        """The caller's address. The gateway derives it (from its peer, or as many trusted
        proxy hops as it is configured for) and sends it as the LAST X-Forwarded-For value;
        that header is believed only on requests that proved they came from the gateway
        (the secret, checked by GatewaySecretMiddleware). Otherwise: our own peer."""
        if self.resources.settings.gateway_secret is not None:
            header = self.connection.headers.get("x-forwarded-for", "")
            hops = [hop.strip() for hop in header.split(",") if hop.strip()]
            if hops:
                return hops[-1]
        return self.connection.client.host if self.connection.client else None

    @classmethod
    async def build(cls, connection: HTTPConnection) -> Self:
        context = cls(resources=connection.app.state.resources, connection=connection)
        if connection.scope["type"] == "http":
            await context.authenticate_header(connection.headers.get("authorization"))
        return context
