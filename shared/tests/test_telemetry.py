"""Telemetry pieces with their real collaborators: a Strawberry schema, a Postgres pool,
a fresh Python process for "tracing off"."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import strawberry
from graphql import GraphQLError, ValidationRule
from prometheus_client import REGISTRY
from strawberry.extensions import AddValidationRules

from bunri_shared.errors import BunriError, ErrorCode
from bunri_shared.graphql import (
    FEDERATION_VERSION,
    BunriSchema,
    GraphQLLimits,
    federation_schema,
    standard_extensions,
)
from bunri_shared.telemetry.metrics import MAX_OPERATION_NAMES, operation_label


@strawberry.type
class Query:
    @strawberry.field
    def fine(self) -> int:
        return 1

    @strawberry.field
    def refused(self) -> int:
        raise BunriError(ErrorCode.NOT_FOUND, "Nothing here.")

    @strawberry.field
    def broken(self) -> int:
        raise RuntimeError("a bug")

    @strawberry.field
    async def slow(self) -> int:
        await asyncio.sleep(5)
        return 1


schema = federation_schema(query=Query)


class CostLimit(ValidationRule):
    """Stands in for a cost limiter: refuses any operation named Costly before it runs."""

    def enter_operation_definition(self, node, *_args) -> None:  # type: ignore[no-untyped-def]
        if node.name and node.name.value == "Costly":
            self.report_error(
                GraphQLError("Too costly.", node, extensions={"code": "COST_LIMIT_EXCEEDED"})
            )


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": "unknown", **labels}) or 0.0


def test_each_operation_counts_under_its_name_type_and_outcome() -> None:
    cases = {
        "query Fine { fine }": ("Fine", "ok"),
        "query Refused { refused }": ("Refused", "NOT_FOUND"),
        "query Broken { broken }": ("Broken", "INTERNAL"),
        "query Invalid { nope }": ("Invalid", "GRAPHQL_VALIDATION_FAILED"),
        "{ fine }": ("anonymous", "ok"),
    }
    for query, (name, outcome) in cases.items():
        labels = {"operation_name": name, "operation_type": "query", "outcome": outcome}
        before = _count("bunri_graphql_operations_total", **labels)
        asyncio.run(schema.execute(query))
        assert _count("bunri_graphql_operations_total", **labels) == before + 1, query
    timed = _count(
        "bunri_graphql_operation_seconds_count", operation_name="Fine", operation_type="query"
    )
    assert timed >= 1


def test_cost_limit_refusals_have_their_own_counter() -> None:
    limited = BunriSchema(
        query=Query,
        extensions=[*standard_extensions(GraphQLLimits()), AddValidationRules([CostLimit])],
        federation_version=FEDERATION_VERSION,
        deadline_seconds=5,
    )
    before = _count("bunri_graphql_cost_refused_total", operation_name="Costly")
    result = asyncio.run(limited.execute("query Costly { fine }"))
    assert result.errors[0].extensions["code"] == "COST_LIMIT_EXCEEDED"
    assert _count("bunri_graphql_cost_refused_total", operation_name="Costly") == before + 1
    labels = {"operation_name": "Costly", "operation_type": "query"}
    assert _count("bunri_graphql_operations_total", outcome="COST_LIMIT_EXCEEDED", **labels) >= 1


def test_an_operation_stopped_by_the_deadline_counts_as_a_timeout() -> None:
    hurried = BunriSchema(
        query=Query,
        extensions=standard_extensions(GraphQLLimits()),
        federation_version=FEDERATION_VERSION,
        deadline_seconds=0.2,
    )
    labels = {"operation_name": "Slow", "operation_type": "query", "outcome": "OPERATION_TIMEOUT"}
    before = _count("bunri_graphql_operations_total", **labels)
    result = asyncio.run(hurried.execute("query Slow { slow }"))
    assert result.errors[0].extensions["code"] == "OPERATION_TIMEOUT"
    assert _count("bunri_graphql_operations_total", **labels) == before + 1


def test_operation_names_from_clients_cannot_grow_the_series_without_bound() -> None:
    assert operation_label("Bad name; DROP") == "invalid"
    assert operation_label(None) == "anonymous"
    labels = {operation_label(f"Op{i}") for i in range(MAX_OPERATION_NAMES + 50)}
    assert "other" in labels and len(labels) <= MAX_OPERATION_NAMES + 1


def test_tracing_off_loads_no_sdk_and_installs_nothing() -> None:
    """Without an OTLP endpoint the app factory installs no tracer provider, exporter or
    instrumentation (redis-py imports the SDK's modules on its own; nothing is set up)."""
    code = (
        "import sys\n"
        "from bunri_shared.app import create_app\n"
        "from bunri_shared.settings import ServiceSettings\n"
        "from bunri_shared.telemetry.tracing import tracing_enabled\n"
        "from opentelemetry import trace\n"
        "class S(ServiceSettings):\n"
        "    service_name: str = 'probe'\n"
        f"create_app(settings=S(), schema=__import__('{__name__}').schema)\n"
        "assert not tracing_enabled()\n"
        "from opentelemetry.instrumentation.redis import RedisInstrumentor\n"
        "from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor\n"
        "assert type(trace.get_tracer_provider()).__name__ == 'ProxyTracerProvider'\n"
        "assert not RedisInstrumentor().is_instrumented_by_opentelemetry\n"
        "assert not HTTPXClientInstrumentor().is_instrumented_by_opentelemetry\n"
        "assert 'opentelemetry.exporter.otlp.proto.http.trace_exporter' not in sys.modules\n"
        "assert not trace.get_tracer('x').start_span('s').is_recording()\n"
        "print('off')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none", PYTHONPATH=os.pathsep.join(sys.path)
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip().endswith("off"), done.stderr
