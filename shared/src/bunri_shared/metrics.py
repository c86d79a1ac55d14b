"""Prometheus metrics every subgraph exposes at `/metrics`."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DB_STATEMENTS = Counter("bunri_db_statements", "SQL statements sent to Postgres", ["service"])
GRAPHQL_REQUESTS = Histogram(
    "bunri_graphql_request_seconds", "GraphQL HTTP request latency", ["service"]
)
