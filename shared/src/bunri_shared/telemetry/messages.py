"""Trace context and request id carried inside Dramatiq messages.

On enqueue, the current W3C trace context (`traceparent`, `tracestate`) and the request
id go into the message's options; in the worker, the job runs in a CONSUMER span that
continues that trace, with the request id set for its log lines, and one log line
tells how each job ended (like the access line of a request). Retries keep the original
options, so every attempt joins the trace that asked for the job.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dramatiq import Middleware
from opentelemetry import context, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from bunri_shared.request_id import current_request_id

TRACE_OPTION = "trace_context"
REQUEST_ID_OPTION = "request_id"
tracer = trace.get_tracer("bunri.messages")
job_log = logging.getLogger("bunri.jobs")


class TraceContext(Middleware):
    def __init__(self) -> None:
        # Job spans by message id: before/after hooks run on the same worker thread.
        self._active: dict[str, tuple[Any, object, Any, float]] = {}
        self._lock = threading.Lock()

    def before_enqueue(self, broker: Any, message: Any, delay: Any) -> None:
        options = message.options
        if TRACE_OPTION not in options:
            with tracer.start_as_current_span(
                f"{message.actor_name} send",
                kind=SpanKind.PRODUCER,
                attributes=_attributes(message),
            ):
                carrier: dict[str, str] = {}
                propagate.inject(carrier)
            if carrier:
                options[TRACE_OPTION] = carrier
        if REQUEST_ID_OPTION not in options and (request_id := current_request_id.get()):
            options[REQUEST_ID_OPTION] = request_id

    def before_process_message(self, broker: Any, message: Any) -> None:
        parent = propagate.extract(message.options.get(TRACE_OPTION) or {})
        span = tracer.start_span(
            f"{message.actor_name} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=_attributes(message),
        )
        context_token = context.attach(trace.set_span_in_context(span, parent))
        # The request that asked for this job, or the job's own id: never null in logs.
        request_id = message.options.get(REQUEST_ID_OPTION) or f"job-{message.message_id}"
        request_token = current_request_id.set(request_id)
        with self._lock:
            self._active[message.message_id] = (
                span,
                context_token,
                request_token,
                time.perf_counter(),
            )

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        with self._lock:
            active = self._active.pop(message.message_id, None)
        if active is None:
            return
        span, context_token, request_token, started = active
        if exception is not None:
            span.record_exception(exception)
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        job_log.info(
            "%s %s",
            message.actor_name,
            "failed" if exception is not None else "done",
            extra={
                "actor": message.actor_name,
                "message_id": message.message_id,
                "outcome": type(exception).__name__ if exception is not None else "ok",
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        span.end()
        context.detach(context_token)
        current_request_id.reset(request_token)

    after_skip_message = after_process_message


def _attributes(message: Any) -> dict[str, str]:
    return {
        "messaging.system": "dramatiq",
        "messaging.destination.name": message.queue_name,
        "messaging.message.id": message.message_id,
        "messaging.dramatiq.actor": message.actor_name,
    }
