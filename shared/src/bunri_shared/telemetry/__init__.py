"""Telemetry: Prometheus metrics, OpenTelemetry traces and the glue that joins logs to them.

Metrics are always on (a scrape costs the process nothing until it happens). Traces are
exported only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; otherwise the API's no-op tracer
is left in place and no instrumentation is installed.
"""
