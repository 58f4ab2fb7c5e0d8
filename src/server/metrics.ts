import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { contextCaches } from '../cluster/caches.js'
import { effectiveAction, enforcementModes, type EnforcementMode, type ValidatingAction } from '../engine/judging.js'
import type { PolicySet } from '../policy/types.js'

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
    exceptionsApplied: new Counter({
      name: 'endpoint_guard_exceptions_applied_total',
      help: 'Findings exempted by a PolicyException, by exception and policy (ids from the loaded files, so a bounded set).',
      labelNames: ['exception', 'policy'] as const,
      registers: [registry],
    }),
    exceptionsLoaded: new Gauge({
      name: 'endpoint_guard_exceptions_loaded',
      help: 'PolicyException files in the set currently in force (expired ones included: they only stop applying).',
      registers: [registry],
    }),
    enforcement: new Gauge({
      name: 'endpoint_guard_enforcement',
      help: 'The enforcement mode (--enforcement): 1 for the mode in force, 0 for the other; warn is monitor mode.',
      labelNames: ['mode'] as const,
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
  // Every series with a fixed label set exists from start-up at 0, so rate() and alerts work before the first event.
  for (const result of reloadResults) {
    metrics.policyReloads.inc({ result }, 0)
    metrics.certificateReloads.inc({ result }, 0)
  }
  metrics.clusterOutages.set(0)
  metrics.inFlight.set(0)
  // Every cache is exported from start-up, 0 until it syncs (and with no cluster at all): an alert on
  // `== 0` needs the series to exist, and a dashboard shows every cache whichever source is used.
  for (const cache of contextCaches) metrics.clusterCacheSynced.set({ cache }, 0)
  return metrics
}

const reloadResults = ['success', 'failure'] as const

export type Metrics = ReturnType<typeof createMetrics>

export function setEnforcement(metrics: Metrics, mode: EnforcementMode): void {
  for (const m of enforcementModes) metrics.enforcement.set({ mode: m }, m === mode ? 1 : 0)
}

/**
 * The series a policy set can move, at 0 (existing ones keep their counts): violations of each validating policy
 * under the action its findings get, and each exception with each policy it names. Called at start-up and on
 * every reload; the labels come from the loaded files, never from requests.
 */
export function seedPolicySeries(metrics: Metrics, set: PolicySet, actions: Readonly<Record<string, ValidatingAction>>): void {
  metrics.policiesLoaded.set(set.policies.length)
  metrics.exceptionsLoaded.set(set.exceptions.length)
  for (const p of set.policies) {
    if (p.action === 'mutate') continue
    metrics.violations.inc({ policy: p.id, action: effectiveAction(p.id, p.action, { actions }) }, 0)
  }
  for (const e of set.exceptions) for (const policy of e.document.policies) metrics.exceptionsApplied.inc({ exception: e.id, policy }, 0)
}

/**
 * A counter whose series are bound once each: prom-client hashes the label object on every inc(), and every label
 * here comes from a fixed set (routes, kinds, operations, decisions, loaded policy and exception ids), so the bound
 * series are few. Found through one map per label (in the order of the first call's keys; the type makes every
 * call name them all): no key string is built per request.
 */
export function boundCounter<L extends string>(counter: Counter<L>): (labels: Record<L, string>, by?: number) => void {
  type Level = Map<string, Level | Counter.Internal>
  const root: Level = new Map()
  let names: L[] | undefined
  return (labels, by) => {
    names ??= Object.keys(labels) as L[]
    const last = names.length - 1
    let level = root
    for (let i = 0; i < last; i++) {
      const value = labels[names[i] as L]
      let next = level.get(value) as Level | undefined
      if (next === undefined) level.set(value, (next = new Map()))
      level = next
    }
    const value = labels[names[last] as L]
    let series = level.get(value) as Counter.Internal | undefined
    if (series === undefined) level.set(value, (series = counter.labels(labels)))
    series.inc(by)
  }
}
