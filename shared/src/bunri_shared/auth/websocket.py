"""Authenticated GraphQL subscriptions over graphql-transport-ws."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage
from strawberry.types.unset import UNSET, UnsetType

from bunri_shared.auth.verifier import bearer_token
from bunri_shared.context import RequestContext


class ClosesUnauthorized(BaseGraphQLTransportWSHandler[Any, Any]):
    """Rejects connection_init with 4401 instead of Strawberry's 4403.

    graphql-ws clients (the gateway's among them) retry a 4403 with back-off for up to a
    minute but treat 4401 as final, so the app hears about a bad token in milliseconds.
    """

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        close = self.websocket.close

        async def close_unauthorized(code: int, reason: str) -> None:
            if code == 4403:
                code, reason = 4401, "Unauthorized"
            await close(code=code, reason=reason)

        self.websocket.close = close_unauthorized  # type: ignore[method-assign]
        try:
            await super().handle_connection_init(message)
        finally:
            self.websocket.close = close  # type: ignore[method-assign]


class AuthenticatedGraphQL(GraphQL[Any, Any]):
    """The /graphql endpoint: a plain ASGI app (FastAPI's dependency injection around each
    operation cost a fifth of a small request's CPU), building the subgraph's context.

    Every WebSocket must present a valid token in connection_init. Accepted payloads:
    {"authorization": "Bearer …"} (Hive Gateway, Apollo Client setups) and
    {"token": "Bearer …"} (what Apollo Router sends).
    """

    graphql_transport_ws_handler_class = ClosesUnauthorized

    def __init__(self, *args: Any, context_class: type[RequestContext], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context_class = context_class

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        return await self.context_class.build(request)

    async def on_ws_connect(self, context: Any) -> UnsetType:
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization") or params.get("token")
        token = bearer_token(raw) or (raw if isinstance(raw, str) and " " not in raw else None)
        if not token:
            raise ConnectionRejectionError()
        await context.authenticate_token(token)
        if context.principal is None:
            raise ConnectionRejectionError()
        return UNSET  # a plain connection_ack
