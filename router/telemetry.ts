/**
 * Hive Gateway telemetry: OpenTelemetry traces (OTLP/HTTP) and Prometheus metrics.
 *
 * Traces are on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (as in the Python services);
 * the gateway continues the client's W3C `traceparent` and passes its own to every subgraph
 * fetch. Sampling: OTEL_TRACES_SAMPLER_ARG (a ratio, default 1), parent-based, so a
 * client's sampled trace stays sampled. Service name: OTEL_SERVICE_NAME (default "gateway").
 *
 * Metrics at /metrics: HTTP and operation durations, and per subgraph the fetch and
 * execution durations and errors (label `subgraphName`).
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { openTelemetrySetup } from '@graphql-hive/gateway/opentelemetry/setup';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
const tracesEnabled = Boolean(endpoint) && process.env.OTEL_SDK_DISABLED !== 'true';

function numberFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && process.env[name]?.trim() ? value : fallback;
}

if (tracesEnabled) {
  openTelemetrySetup({
    contextManager: new AsyncLocalStorageContextManager(),
    resource: { serviceName: process.env.OTEL_SERVICE_NAME?.trim() || 'gateway' },
    samplingRate: numberFromEnv('OTEL_TRACES_SAMPLER_ARG', 1),
    traces: {
      // Without a `url` the exporter appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT.
      exporter: new OTLPTraceExporter(),
      batching: { scheduledDelayMillis: numberFromEnv('OTEL_BSP_SCHEDULE_DELAY', 5000) },
    },
  });
}

/** The gateway's `openTelemetry` config key: undefined (plugin not loaded) when off. */
export const openTelemetryConfig = tracesEnabled
  ? {
      traces: true,
      // The client's traceparent is continued, and ours is sent to the subgraphs.
      inheritContext: true,
      propagateContext: true,
    }
  : undefined;

/** The gateway's `prometheus` config key: metrics at /metrics. */
export const prometheusConfig = {
  endpoint: '/metrics',
  labels: { subgraphName: true },
  metrics: {
    graphql_yoga_http_duration: true,
    graphql_envelop_request_duration: true,
    graphql_envelop_phase_parse: true,
    graphql_envelop_phase_validate: true,
    graphql_envelop_phase_execute: true,
    graphql_envelop_error_result: true,
    graphql_gateway_fetch_duration: true,
    graphql_gateway_subgraph_execute_duration: true,
    graphql_gateway_subgraph_execute_errors: true,
  },
} as const;
