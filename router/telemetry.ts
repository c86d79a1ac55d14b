/**
 * Hive Gateway telemetry: OpenTelemetry traces (OTLP/HTTP) and Prometheus metrics.
 *
 * Traces are on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (as in the Python services);
 * the gateway continues the client's W3C `traceparent` and passes its own to every subgraph
 * fetch. Sampling: OTEL_TRACES_SAMPLER_ARG (a ratio, default 1), parent-based, so a
 * client's sampled trace stays sampled. Service name: OTEL_SERVICE_NAME (default "gateway").
 *
 * Metrics at /metrics: HTTP and operation durations, and per subgraph the fetch and
 * execution durations and errors (label `subgraphName`); operations the gateway refused
 * for their estimated cost (bunri_gateway_cost_refused_total, useCostRefusalMetric).
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { openTelemetrySetup } from '@graphql-hive/gateway/opentelemetry/setup';
import type { GatewayPlugin } from '@graphql-hive/gateway';
import { Counter, register } from 'prom-client';

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

// In prom-client's default registry, which the Prometheus plugin above serves.
const costRefused = new Counter({
  name: 'bunri_gateway_cost_refused_total',
  help: 'Operations the gateway refused because their estimated cost was over the limit',
  registers: [register],
});

function refusedForCost(result: unknown): boolean {
  const errors = (result as { errors?: Array<{ extensions?: { code?: unknown } }> } | null)
    ?.errors;
  return Array.isArray(errors) && errors.some((e) => e?.extensions?.code === 'COST_LIMIT_EXCEEDED');
}

/** Counts results refused with COST_LIMIT_EXCEEDED, whichever plugin refused them. */
export const useCostRefusalMetric = (): GatewayPlugin => ({
  onResultProcess({ result }) {
    const results = Array.isArray(result) ? result : [result];
    if (results.some(refusedForCost)) costRefused.inc();
  },
});
