"""GraphQL operation metrics: latency and outcome per operation name, in every subgraph.

`OperationMetrics` is a Strawberry SchemaExtension made per operation by a factory: the
timer and the operation's state live on the instance, the Prometheus objects here.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator

from graphql.error import GraphQLError
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

# Set once per process by the app factory; the extension has no other way to know it.
SERVICE = {"name": "unknown"}

OPERATION_SECONDS = Histogram(
    "bunri_graphql_operation_seconds",
    "Time to run one GraphQL query or mutation in a subgraph (parse, validate, execute);"
    " subscriptions are counted, not timed (their lifetime is the client's choice)",
    ["service", "operation_name", "operation_type"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OPERATIONS = Counter(
    "bunri_graphql_operations",
    "GraphQL operations by outcome: ok, the client error code, or INTERNAL",
    ["service", "operation_name", "operation_type", "outcome"],
)
COST_REFUSED = Counter(
    "bunri_graphql_cost_refused",
    "Operations refused because their estimated cost was over the limit",
    ["service", "operation_name"],
)

COST_LIMIT_CODE = "COST_LIMIT_EXCEEDED"
INTERNAL_CODE = "INTERNAL"
TIMEOUT_CODE = "OPERATION_TIMEOUT"
# Operation names come from clients: only well-formed ones, and only so many distinct ones,
# become label values, so a client inventing names cannot blow up the series count.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")
MAX_OPERATION_NAMES = 500
_seen_names: set[str] = set()
_seen_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "invalid"
    if name in _seen_names:
        return name
    with _seen_lock:
        if len(_seen_names) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_names.add(name)
    return name


def outcome(errors: list[GraphQLError] | None) -> str:
    """ok; INTERNAL if any error is a bug; else the first error's code."""
    if not errors:
        return "ok"
    codes = [str((error.extensions or {}).get("code") or INTERNAL_CODE) for error in errors]
    return INTERNAL_CODE if INTERNAL_CODE in codes else codes[0]


class OperationMetrics(SchemaExtension):
    """Times each operation and counts it by outcome, after errors got their codes.

    Listed first among the extensions: it is entered first and left last, so it times the
    limiters too and sees the errors as the client will (with `extensions.code`).
    """

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except BaseException as error:  # cut short
            self._record(started, [], self._cut_short(error))
            raise
        result = self.execution_context.result
        errors = getattr(result, "errors", None) if result is not None else None
        self._record(started, errors or [], outcome(errors))

    def _kind(self) -> str:
        try:
            return self.execution_context.operation_type.value
        except Exception:  # unparsable document or unknown operation: no type to tell
            return "unknown"

    def _cut_short(self, error: BaseException) -> str:
        if self._kind() == "subscription":
            return "ok"  # the client unsubscribed or left: how subscriptions end
        if isinstance(error, asyncio.CancelledError | TimeoutError):
            return TIMEOUT_CODE  # the schema's deadline (or the client hung up)
        return INTERNAL_CODE

    def _record(self, started: float, errors: list[GraphQLError], found: str) -> None:
        elapsed = time.perf_counter() - started
        name = operation_label(self.execution_context.operation_name)
        kind = self._kind()
        service = SERVICE["name"]
        if kind != "subscription":
            OPERATION_SECONDS.labels(service, name, kind).observe(elapsed)
        OPERATIONS.labels(service, name, kind, found).inc()
        if found == COST_LIMIT_CODE or any(
            (error.extensions or {}).get("code") == COST_LIMIT_CODE for error in errors
        ):
            COST_REFUSED.labels(service, name).inc()
