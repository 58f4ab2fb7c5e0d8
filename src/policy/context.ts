import type { AdmissionRequest } from '../kube/admission.js'
import type { Labels } from '../kube/object.js'

/*
 * The records the context keeps: only the fields the policies and their messages use, so a large cluster fits
 * in a small cache (no managedFields, no last-applied annotations). src/cluster/records.ts trims objects to them.
 */

export interface ServicePortRecord {
  /** '' when unnamed */
  readonly name: string
  readonly port: number | undefined
  /** TCP when unset, as the API server defaults it */
  readonly protocol: string
}

export interface ServiceRecord {
  readonly namespace: string
  readonly name: string
  /** ClusterIP when unset */
  readonly type: string
  /** undefined when the Service has no selector, or an empty one (its endpoints are managed by hand) */
  readonly selector: Labels | undefined
  readonly ports: readonly ServicePortRecord[]
  readonly ipFamilies: readonly string[]
  /** spec.clusterIPs (else spec.clusterIP), without "None" */
  readonly clusterIPs: readonly string[]
}

export interface NodeRecord {
  readonly name: string
  /** InternalIP and ExternalIP addresses */
  readonly addresses: readonly string[]
  /** spec.podCIDRs (else spec.podCIDR) */
  readonly podCIDRs: readonly string[]
}

/** An EndpointSlice not managed by the Kubernetes controllers (the context holds no others). */
export interface SliceRecord {
  readonly namespace: string
  readonly name: string
  /** its kubernetes.io/service-name label */
  readonly serviceName: string | undefined
  /** its endpointslice.kubernetes.io/managed-by label */
  readonly managedBy: string | undefined
  readonly addresses: readonly string[]
}

/**
 * What the policy engine may ask about the cluster: the port the core declares and `src/cluster/` implements
 * (from manifests, or from watch-backed caches). Every answer comes from memory: a lookup never does I/O, so it
 * is safe on the admission path. Addresses are looked up by value, whatever their spelling (`::ffff:10.0.0.1` is
 * `10.0.0.1`). Where a kind is not known at all, its lookups answer nothing, and rules that need it stay silent.
 */
export interface ClusterContext {
  /** labels of a namespace, or undefined when the namespace is unknown */
  namespaceLabels(name: string): Labels | undefined
  service(namespace: string, name: string): ServiceRecord | undefined
  /** a Service one of whose ClusterIPs is this address */
  serviceByClusterIP(address: string): ServiceRecord | undefined
  /** a Node with this InternalIP or ExternalIP */
  nodeByAddress(address: string): NodeRecord | undefined
  /** a Node one of whose pod CIDRs contains this address */
  nodeByPodCIDR(address: string): NodeRecord | undefined
  /** the hand-managed EndpointSlices whose kubernetes.io/service-name is this Service */
  slicesFor(namespace: string, serviceName: string): readonly SliceRecord[]
}

/** No cluster and no manifests: nothing is known, so rules that need the cluster stay silent. */
export const emptyContext: ClusterContext = Object.freeze({
  namespaceLabels: () => undefined,
  service: () => undefined,
  serviceByClusterIP: () => undefined,
  nodeByAddress: () => undefined,
  nodeByPodCIDR: () => undefined,
  slicesFor: () => [],
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
