import type { AdmissionRequest } from '../kube/admission.js'
import type { KubeObject, Labels } from '../kube/object.js'

/**
 * What the policy engine may ask about the cluster: the port the core declares and `src/cluster/` implements
 * (from manifests, or from watch-backed caches). Every answer comes from memory: a lookup never does I/O, so it
 * is safe on the admission path.
 */
export interface ClusterContext {
  /** labels of a namespace, or undefined when the namespace is unknown */
  namespaceLabels(name: string): Labels | undefined
  /** the Service object (wire-format JSON) or undefined when unknown */
  service(namespace: string, name: string): KubeObject | undefined
}

/** No cluster and no manifests: nothing is known, so "when its Service is known" rules stay silent. */
export const emptyContext: ClusterContext = Object.freeze({
  namespaceLabels: () => undefined,
  service: () => undefined,
})

/**
 * The keyword contract: what custom keywords see as `this` (Ajv's passContext) — the request being decided, its
 * namespace and the cluster around it. Keywords must treat it as read-only.
 */
export interface EvaluationContext {
  readonly request: AdmissionRequest
  readonly namespace: string
  readonly cluster: ClusterContext
}
