"""A tiny OTLP/HTTP trace receiver for tests: what a collector would get, kept in memory.

Accepts `POST …/v1/traces` as protobuf (Python's exporter) or JSON (Node's OTLP/HTTP
exporter, whose ids are hex strings) and keeps every span as a flat record.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True, slots=True)
class ReceivedSpan:
    service: str
    name: str
    kind: int  # OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer
    trace_id: str  # hex
    span_id: str
    parent_span_id: str  # "" for a root span
    attributes: dict[str, Any]


class OtlpReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self._body()
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                json_body = "json" in self.headers.get("content-type", "")
                if self.path.rstrip("/").endswith("/v1/traces"):
                    receiver._store(body, json_body=json_body)
                if json_body:
                    reply, kind = b"{}", "application/json"
                else:
                    reply = ExportTraceServiceResponse().SerializeToString()
                    kind = "application/x-protobuf"
                self.send_response(200)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("transfer-encoding", "").lower() != "chunked":
                    return self.rfile.read(int(self.headers.get("content-length", 0)))
                chunks = []  # Node's exporter streams its body in chunks
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> OtlpReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self._lock:
            return [span for span in self.spans if span.trace_id == trace_id]

    def _store(self, body: bytes, *, json_body: bool) -> None:
        spans = _from_json(json.loads(body)) if json_body else _from_protobuf(body)
        with self._lock:
            self.spans.extend(spans)


def _from_protobuf(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    found = []
    for resource_spans in request.resource_spans:
        service = _service(
            {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        )
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                found.append(
                    ReceivedSpan(
                        service=service,
                        name=span.name,
                        kind=int(span.kind),
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        attributes={a.key: _pb_value(a.value) for a in span.attributes},
                    )
                )
    return found


def _pb_value(value: Any) -> Any:
    field = value.WhichOneof("value")
    return getattr(value, field) if field in ("string_value", "int_value", "bool_value") else None


def _from_json(body: dict[str, Any]) -> list[ReceivedSpan]:
    found = []
    for resource_spans in body.get("resourceSpans", []):
        attributes = resource_spans.get("resource", {}).get("attributes", [])
        service = _service({a["key"]: a["value"].get("stringValue", "") for a in attributes})
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                found.append(
                    ReceivedSpan(
                        service=service,
                        name=span["name"],
                        kind=int(span.get("kind", 0)),
                        trace_id=_hex(span["traceId"]),
                        span_id=_hex(span["spanId"]),
                        parent_span_id=_hex(span.get("parentSpanId") or ""),
                        attributes={
                            a["key"]: next(iter(a["value"].values()), None)
                            for a in span.get("attributes", [])
                        },
                    )
                )
    return found


def _hex(value: str) -> str:
    """OTLP/JSON ids are hex; some exporters send base64 (protobuf's JSON mapping)."""
    if all(c in "0123456789abcdefABCDEF" for c in value) and len(value) in (0, 16, 32):
        return value.lower()
    return base64.b64decode(value).hex()


def _service(attributes: dict[str, str]) -> str:
    return attributes.get("service.name", "")
