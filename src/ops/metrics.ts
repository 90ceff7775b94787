import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. Labels carry route templates and resource types, never values from
 * the request (ids, keys, query strings), so no identifier or secret reaches /metrics.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'chartkey_http_requests_total',
    help: 'HTTP requests by surface, method and status class',
    labelNames: ['surface', 'method', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'chartkey_http_request_duration_seconds',
    help: 'HTTP request duration by surface',
    labelNames: ['surface'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const fhirInteractions = new Counter({
    name: 'chartkey_fhir_interactions_total',
    help: 'FHIR interactions by interaction, resource type and principal kind',
    labelNames: ['interaction', 'type', 'principal'] as const,
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'chartkey_auth_failures_total',
    help: 'Refused authentications by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const fhirCache = new Counter({
    name: 'chartkey_fhir_cache_lookups_total',
    help: 'Result cache lookups of reads and searches by result (hit or miss)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const fhirCacheBytes = new Gauge({
    name: 'chartkey_fhir_cache_bytes',
    help: 'Bytes held by the read and search result cache (bounded by CHARTKEY_CACHE_MB)',
    registers: [registry],
  });
  // prom-client's default metrics have the heap and external memory, not ArrayBuffers (Buffers' backing stores, a part of external).
  new Gauge({
    name: 'nodejs_array_buffers_bytes',
    help: 'Memory of ArrayBuffers and Buffers (process.memoryUsage().arrayBuffers)',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().arrayBuffers);
    },
  });
  return { registry, httpRequests, httpDuration, fhirInteractions, authFailures, fhirCache, fhirCacheBytes };
}

export type Metrics = ReturnType<typeof createMetrics>;
