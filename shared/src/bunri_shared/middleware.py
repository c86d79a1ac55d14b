"""ASGI middleware: request ids and the gateway secret."""

from __future__ import annotations

import hmac
import json
import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bunri_shared.request_id import REQUEST_ID_HEADER, accept_or_make, current_request_id

access_log = logging.getLogger("bunri.access")
# Probes are polled every few seconds: logging them would drown everything else.
QUIET_PATHS = frozenset({"/health", "/ready", "/metrics", "/data-version"})

# Probes must work without the secret; everything else must come through the gateway.
OPEN_PATHS = frozenset({"/health", "/ready", "/metrics", "/.well-known/jwks.json"})


class RequestIdMiddleware:
    """Takes or makes the request id, echoes it, and logs one line per HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = accept_or_make(Headers(scope=scope).get(REQUEST_ID_HEADER))
        token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http" and scope["path"] not in QUIET_PATHS:
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            current_request_id.reset(token)


class GatewaySecretMiddleware:
    """Rejects requests that did not come through the gateway (constant-time compare)."""

    header = "x-bunri-gateway-secret"

    def __init__(self, app: ASGIApp, *, secret: str, public_prefixes: tuple[str, ...] = ()) -> None:
        if not secret:
            # Fail closed: an empty secret would match a request that sends none.
            raise ValueError("the gateway secret must not be empty")
        self.app = app
        self.secret = secret.encode()
        # Paths that authorise themselves (e.g. signed upload URLs).
        self.public_prefixes = public_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] not in ("http", "websocket")
            or path in OPEN_PATHS
            or path.startswith(self.public_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        presented = Headers(scope=scope).get(self.header, "").encode()
        if presented and hmac.compare_digest(presented, self.secret):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4403, "reason": "Forbidden"})
            return
        body = json.dumps(
            {"errors": [{"message": "Forbidden", "extensions": {"code": "FORBIDDEN"}}]}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
