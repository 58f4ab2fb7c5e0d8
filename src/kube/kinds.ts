import type { GroupVersionResource } from './admission.js'

/**
 * Where each kind endpoint-guard writes requests for lives in the API. One table: the synthetic requests of the
 * offline commands and the guarded kinds below read it.
 */
export const resources = {
  Service: { group: '', version: 'v1', resource: 'services' },
  Endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  EndpointSlice: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
  Namespace: { group: '', version: 'v1', resource: 'namespaces' },
} as const satisfies Record<string, GroupVersionResource>

/**
 * The kinds the webhook is registered for and `check` evaluates; every other kind is skipped there, and counted
 * as "other" in metrics (a client can send any kind; labels must come from a fixed set).
 */
export const guardedKinds: ReadonlySet<string> = new Set(['Service', 'EndpointSlice', 'Endpoints'])

export function isGuardedKind(kind: unknown): kind is string {
  return typeof kind === 'string' && guardedKinds.has(kind)
}
