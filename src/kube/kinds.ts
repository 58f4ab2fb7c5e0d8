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
 * The kinds the webhook is registered for; every other kind is counted as "other" in metrics (a client can send
 * any kind; labels must come from a fixed set). Namespaces only for the rule on their guard labels.
 */
export const guardedKinds: ReadonlySet<string> = new Set(['Service', 'EndpointSlice', 'Endpoints', 'Namespace'])

export function isGuardedKind(kind: unknown): kind is string {
  return typeof kind === 'string' && guardedKinds.has(kind)
}

/**
 * The kinds `check` evaluates; every other kind is skipped. Namespace documents are not among them: offline they
 * are the cluster context (their labels decide which rules apply), and judging them as CREATEs by the offline user
 * would deny every manifest of a production namespace, which no one but a cluster administrator may label.
 */
export const checkedKinds: ReadonlySet<string> = new Set(['Service', 'EndpointSlice', 'Endpoints'])

/** Kinds whose objects live outside any namespace: no `metadata.namespace` is filled in for them. */
export const clusterScopedKinds: ReadonlySet<string> = new Set(['Namespace'])
