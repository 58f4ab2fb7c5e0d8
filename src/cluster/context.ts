/**
 * What the policy engine may ask about the cluster. Every answer comes from memory: a lookup never does I/O,
 * so it is safe on the admission path.
 */

/** A Kubernetes object as plain JSON, exactly as the API server sends it (wire format, no model classes). */
export type KubeObject = Record<string, unknown>

export interface ClusterContext {
  /** labels of a namespace, or undefined when the namespace is unknown */
  namespaceLabels(name: string): Readonly<Record<string, string>> | undefined
  /** the Service object (wire-format JSON) or undefined when unknown */
  service(namespace: string, name: string): KubeObject | undefined
}

/** No cluster and no manifests: nothing is known, so "when its Service is known" rules stay silent. */
export const emptyContext: ClusterContext = Object.freeze({
  namespaceLabels: () => undefined,
  service: () => undefined,
})
