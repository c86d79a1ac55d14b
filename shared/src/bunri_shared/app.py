"""The FastAPI app factory every subgraph uses: /graphql, /health, /ready, /metrics."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import strawberry
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import Table
from starlette.routing import Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from bunri_shared.auth.websocket import AuthenticatedGraphQL
from bunri_shared.context import RequestContext
from bunri_shared.data_version import DataVersionWatcher, data_version_router
from bunri_shared.logging import configure_logging
from bunri_shared.middleware import GatewaySecretMiddleware, RequestIdMiddleware
from bunri_shared.resources import Resources
from bunri_shared.response_cache import ReferenceResponseCache
from bunri_shared.settings import ServiceSettings
from bunri_shared.telemetry import metrics as graphql_metrics
from bunri_shared.telemetry.queues import QueueCollector
from bunri_shared.telemetry.tracing import configure_tracing, instrument_app

Hook = Callable[[Resources], Awaitable[None]]

# A full collection once per this many young (generation 1) collections at most: 10 by
# default. A full collection walks every tracked object and stops the event loop while it
# does; with 1,000 progress subscriptions open (~220 objects each) it took ~100 ms of CPU,
# every event in flight waited for it, and it came every few seconds under load: the tail
# of bench/README.md's 500 events/s round. Cycles are still collected, just later.
FULL_COLLECTION_EVERY = 100


def _tune_garbage_collector() -> None:
    """Called once start-up is done: what it built (modules, the schema, clients) lives as
    long as the process, so it is moved out of the collector's reach (`gc.freeze`) and a
    full collection walks only what requests and open subscriptions hold."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def create_app(
    *,
    settings: ServiceSettings,
    schema: strawberry.federation.Schema,
    context_class: type[RequestContext] = RequestContext,
    routers: Sequence[APIRouter] = (),
    public_prefixes: tuple[str, ...] = (),
    on_startup: Hook | None = None,
    on_shutdown: Hook | None = None,
    data_version: Table | None = None,
    response_max_age_seconds: float = 3600.0,
    queues: Sequence[str] = (),
) -> FastAPI:
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    settings.check_secrets()
    graphql_metrics.SERVICE["name"] = settings.service_name
    configure_tracing(settings.service_name)
    # A subgraph reports the depth of the Dramatiq queues its workers consume (`queues`,
    # from its contract): it is up even when every worker is stopped.
    if queues:
        _register_once(QueueCollector(settings.redis_url, queues))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = Resources.open(settings)
        app.state.resources = resources
        if watcher is not None:
            await watcher.start(resources.sessions)
        if on_startup:
            await on_startup(resources)
        _tune_garbage_collector()
        try:
            yield
        finally:
            if on_shutdown:
                await on_shutdown(resources)
            if watcher is not None:
                await watcher.stop()
            await resources.close()

    app = FastAPI(title=f"bunri-{settings.service_name}", lifespan=lifespan, docs_url=None)
    watcher = None
    if data_version is not None:
        watcher = app.state.data_version = DataVersionWatcher(data_version)

    graphql = AuthenticatedGraphQL(
        schema,
        context_class=context_class,
        graphql_ide="graphiql" if settings.graphiql else None,
        # Only graphql-transport-ws: the legacy protocol had an auth bypass (CVE-2026-35523).
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        allowed_origins=settings.ws_allowed_origins,
    )
    app.router.routes += [
        Route("/graphql", graphql, methods=["GET", "POST"], include_in_schema=False),
        WebSocketRoute("/graphql", graphql),
    ]
    for router in routers:
        app.include_router(router)
    if data_version is not None:
        app.include_router(data_version_router())

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        checks = await app.state.resources.check()
        ok = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        # Off the event loop: the queue collector asks Redis with the sync client.
        body = await asyncio.to_thread(generate_latest)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    if watcher is not None:
        # Innermost: only requests that passed the gateway secret reach it.
        app.add_middleware(
            ReferenceResponseCache,
            service=settings.service_name,
            watcher=watcher,
            max_age_seconds=response_max_age_seconds,
        )
    if settings.gateway_secret is not None:
        app.add_middleware(
            GatewaySecretMiddleware,
            secret=settings.gateway_secret.get_secret_value(),
            public_prefixes=public_prefixes,
        )
    app.add_middleware(RequestIdMiddleware)
    instrument_app(app)
    return app


_registered: set[str] = set()


def _register_once(collector: QueueCollector) -> None:
    """Tests build several apps in one process; the registry takes each name once."""
    key = ",".join(collector.queues)
    if key not in _registered:
        REGISTRY.register(collector)
        _registered.add(key)
