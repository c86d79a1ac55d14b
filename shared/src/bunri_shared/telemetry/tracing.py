"""OpenTelemetry traces: on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, free when not.

Standard OTEL_* variables apply (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`,
`OTEL_TRACES_SAMPLER_ARG=0.1`, `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_SERVICE_NAME`…). W3C trace
context (`traceparent`) is the propagation format, the API's default.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from typing import Any, TypeVar

from opentelemetry import trace

F = TypeVar("F", bound=Callable[..., Any])
tracer = trace.get_tracer("bunri")
_configured: dict[str, str] = {}


def tracing_enabled() -> bool:
    return (
        bool(
            os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        )
        and os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"
    )


def configure_tracing(service: str) -> bool:
    """Install the SDK, the OTLP exporter and the client instrumentations, once a process.

    Returns whether tracing is on. Without an endpoint nothing is installed: the API's
    no-op tracer stays, and each `start_span` costs a function call.
    """
    if not tracing_enabled():
        return False
    if _configured:
        return True
    # Imported here: a process with tracing off never loads the SDK.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
    _configured["service"] = name
    return True


def instrument_engine(engine: Any) -> None:
    """SQL statement spans for one SQLAlchemy engine (the sync engine under an async one)."""
    if not tracing_enabled():
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        # One engine per process is the rule; a second one gets its own tracer directly.
        instrumentor._instrument(engine=engine)
    else:
        # The instrumentation declares SQLAlchemy < 2.1 and refuses 2.1 without this; the
        # engine events it uses are unchanged in 2.1 (tests/test_tracing.py sees the spans).
        instrumentor.instrument(engine=engine, skip_dep_check=True)


def instrument_app(app: Any) -> None:
    """Server spans for every HTTP request and WebSocket, continuing the caller's trace."""
    if not tracing_enabled():
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        # Probes are polled every few seconds: tracing them would bury the real traffic.
        excluded_urls="/health,/ready,/metrics",
        # Per-message spans of the ASGI body are noise at this level.
        exclude_spans=["receive", "send"],
    )


def graphql_extensions() -> list[Any]:
    """Strawberry's tracing extension when tracing is on (none when off)."""
    if not tracing_enabled():
        return []
    from bunri_shared.telemetry.graphql_tracing import GraphQLTracing

    return [GraphQLTracing]


def traced(name: str, **attributes: Any) -> Callable[[F], F]:
    """A span around each call of a function (sync or async), as a child of the current one."""

    def decorate(function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with tracer.start_as_current_span(name, attributes=attributes):
                    return await function(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with tracer.start_as_current_span(name, attributes=attributes):
                return function(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate
