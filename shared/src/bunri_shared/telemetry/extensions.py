"""The Strawberry extensions telemetry adds to every subgraph's schema."""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import SchemaExtension

from bunri_shared.telemetry.metrics import OperationMetrics
from bunri_shared.telemetry.tracing import graphql_extensions


def telemetry_extensions() -> list[Callable[[], SchemaExtension]]:
    """Operation metrics always; tracing only when an OTLP endpoint is configured."""
    return [OperationMetrics, *graphql_extensions()]
