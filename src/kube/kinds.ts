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

/** `discovery.k8s.io/v1`, `v1`: the apiVersion a manifest of the kind must carry. */
export function apiVersionOf(kind: keyof typeof resources): string {
  const { group, version } = resources[kind]
  return group === '' ? version : `${group}/${version}`
}

/**
 * apiVersions that Kubernetes once served for a guarded kind and no longer does, with the release that removed
 * them (the deprecated API migration guide). A manifest still written with one is refused by the API server.
 */
const removedApiVersions: Readonly<Record<string, { kind: string; removedIn: string }>> = {
  'discovery.k8s.io/v1beta1': { kind: 'EndpointSlice', removedIn: '1.25' },
}

/**
 * Why a manifest of a guarded kind would not be accepted for its apiVersion, with the version to use; undefined
 * when the API server serves it. Each guarded kind is served at one version (resources above).
 */
export function unservedApiVersion(kind: string, apiVersion: unknown): string | undefined {
  if (!isGuardedKind(kind)) return undefined
  const served = apiVersionOf(kind as keyof typeof resources)
  if (apiVersion === served) return undefined
  if (apiVersion === undefined || apiVersion === '') return `a ${kind} without apiVersion is not accepted by the API server: use apiVersion ${served}`
  if (typeof apiVersion !== 'string') return `apiVersion must be a string: use apiVersion ${served}`
  const removed = removedApiVersions[apiVersion]
  if (removed?.kind === kind) return `apiVersion ${apiVersion} of ${kind} is no longer served (removed in Kubernetes ${removed.removedIn}): use apiVersion ${served}`
  return `apiVersion ${apiVersion} is not served for ${kind}: use apiVersion ${served}`
}
