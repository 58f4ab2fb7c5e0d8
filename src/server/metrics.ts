import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * Every metric endpoint-guard exports, created once per server on its own registry (no global state, so tests
 * and several servers in one process do not collide). Names follow Prometheus conventions.
 */
export function createMetrics() {
  const registry = new Registry()
  // Counted by the admission app on every request, read only when /metrics is scraped: a gauge set per request
  // would cost a label lookup each time for a value nobody reads between scrapes.
  const load = { evaluating: (): number => 0, receiving: (): number => 0 }
  collectDefaultMetrics({ register: registry, prefix: 'endpoint_guard_' })
  const metrics = {
    registry,
    requests: new Counter({
      name: 'endpoint_guard_admission_requests_total',
      help: 'Admission requests answered, by webhook, kind, operation and decision (allowed, patched, warned, audited, denied, errored, rejected).',
      labelNames: ['webhook', 'kind', 'operation', 'decision'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'endpoint_guard_admission_duration_seconds',
      help: 'Time from request received to answer sent, by webhook.',
      labelNames: ['webhook'] as const,
      // Decisions take well under a millisecond; the upper buckets show queueing long before the API server's timeout.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    violations: new Counter({
      name: 'endpoint_guard_violations_total',
      help: 'Violations found, by policy and action (preexisting violations on UPDATE included).',
      labelNames: ['policy', 'action'] as const,
      registers: [registry],
    }),
    policiesLoaded: new Gauge({
      name: 'endpoint_guard_policies_loaded',
      help: 'Policies in the set currently in force.',
      registers: [registry],
    }),
    policyReloads: new Counter({
      name: 'endpoint_guard_policy_reloads_total',
      help: 'Policy reload attempts, by result (success, failure).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    certificateReloads: new Counter({
      name: 'endpoint_guard_certificate_reloads_total',
      help: 'Serving-certificate reload attempts, by result (success, failure).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    certificateExpiry: new Gauge({
      name: 'endpoint_guard_certificate_expiry_timestamp_seconds',
      help: 'Unix time at which the serving certificate in use expires.',
      registers: [registry],
    }),
    clusterCacheSynced: new Gauge({
      name: 'endpoint_guard_cluster_cache_synced',
      help: 'Cluster cache state by cache: 1 synced and watching, 0 syncing or stale (serving last known state).',
      labelNames: ['cache'] as const,
      registers: [registry],
    }),
    clusterOutages: new Gauge({
      name: 'endpoint_guard_cluster_outages',
      help: 'Times the cluster watches lost the API server since start.',
      registers: [registry],
    }),
    load,
    inFlight: new Gauge({
      name: 'endpoint_guard_admission_in_flight',
      help: 'Admission requests whose body is in, being evaluated or answered now (compare with --max-concurrent).',
      registers: [registry],
      collect() {
        this.set(load.evaluating())
      },
    }),
    receiving: new Gauge({
      name: 'endpoint_guard_admission_receiving',
      help: 'Admission requests whose headers are in and whose body is still arriving (bounded by --body-timeout, not by --max-concurrent).',
      registers: [registry],
      collect() {
        this.set(load.receiving())
      },
    }),
    clientAborts: new Counter({
      name: 'endpoint_guard_client_aborts_total',
      help: 'Requests whose client hung up before the whole body was sent (not answered, logged at debug).',
      registers: [registry],
    }),
    bodyTimeouts: new Counter({
      name: 'endpoint_guard_body_timeouts_total',
      help: 'Requests cut off with 408 because their body did not arrive within --body-timeout.',
      registers: [registry],
    }),
    overloaded: new Counter({
      name: 'endpoint_guard_overload_rejections_total',
      help: 'Requests answered 503 because --max-concurrent requests were already in flight.',
      registers: [registry],
    }),
  }
  return metrics
}

export type Metrics = ReturnType<typeof createMetrics>
