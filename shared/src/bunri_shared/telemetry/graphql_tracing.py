"""Strawberry's OpenTelemetry extension, minus what must not leave the process.

Resolver arguments and the query text are never recorded: clients put passwords, tokens
and e-mail addresses in them. The operation's name and type are. Only root fields get a
resolver span, and only in sampled traces: a span per list item costs more than it tells
(the SQL spans show where the time goes), and an unsampled trace needs none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from inspect import isawaitable
from typing import Any

from graphql import GraphQLResolveInfo
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.extensions.tracing.opentelemetry import LifecycleStep


def _no_arguments(args: dict[str, Any], info: Any) -> dict[str, Any]:
    return {}


class GraphQLTracing(OpenTelemetryExtension):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(arg_filter=_no_arguments, **kwargs)

    def on_operation(self) -> Iterator[None]:  # type: ignore[override]
        context = self.execution_context
        span = self._tracer.start_span("GraphQL operation", kind=SpanKind.INTERNAL)
        self._span_holder[LifecycleStep.OPERATION] = span
        with trace.use_span(span, end_on_exit=True):
            yield
            name = context.operation_name
            span.update_name(f"GraphQL {name}" if name else "GraphQL anonymous")
            if name:
                span.set_attribute("graphql.operation.name", name)
            with contextlib.suppress(Exception):  # unparsable document: no type to tell
                span.set_attribute("graphql.operation.type", context.operation_type.value)
            errors = getattr(context.result, "errors", None) if context.result else None
            if errors:
                codes = {str((e.extensions or {}).get("code", "INTERNAL")) for e in errors}
                span.set_attribute("graphql.error.codes", sorted(codes))
                if "INTERNAL" in codes:
                    span.set_status(trace.StatusCode.ERROR)

    async def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        operation = self._span_holder.get(LifecycleStep.OPERATION)
        if info.path.prev is None and operation is not None and operation.is_recording():
            return await super().resolve(_next, root, info, *args, **kwargs)
        result = _next(root, info, *args, **kwargs)
        if isawaitable(result):
            result = await result
        return result
