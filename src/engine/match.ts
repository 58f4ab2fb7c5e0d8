import type { AdmissionRequest } from '../kube/admission.js'
import { wellKnownLabels } from '../kube/identities.js'
import { labelsOf, objectNamespace, type KubeObject, type Labels } from '../kube/object.js'
import type { ClusterContext } from '../policy/context.js'
import type { CompiledPolicy } from '../policy/types.js'
import { selectorMatches } from './selector.js'

/** The request's namespace, else the object's own (offline manifests), else '' (cluster-scoped). */
export function requestNamespace(request: AdmissionRequest): string {
  if (request.namespace !== undefined && request.namespace !== '') return request.namespace
  return objectNamespace(request.object ?? request.oldObject) ?? ''
}

/**
 * The labels a namespace selector sees. The API server puts `kubernetes.io/metadata.name` on every namespace;
 * a namespace the context does not know has only that label, so selectors on other labels do not match it.
 */
export function namespaceLabels(context: ClusterContext, namespace: string): Labels {
  return { ...(context.namespaceLabels(namespace) ?? {}), [wellKnownLabels.namespaceName]: namespace }
}

/**
 * Whether a candidate policy (its kind, operation and subresource already matched by the PolicySet's index)
 * applies to a request, as a webhook configuration's namespaces, exclusions and selectors would decide.
 */
export function policyApplies(policy: CompiledPolicy, request: AdmissionRequest, namespace: string, context: ClusterContext): boolean {
  const { match, exclude } = policy.document
  if (match.namespaces !== undefined && !match.namespaces.includes(namespace)) return false
  if (exclude?.namespaces?.includes(namespace) === true) return false
  const user = request.userInfo.username ?? ''
  if (exclude?.users?.includes(user) === true) return false
  const groups = request.userInfo.groups ?? []
  if (exclude?.groups !== undefined && groups.some((g) => exclude.groups?.includes(g) === true)) return false

  if (match.namespaceSelector !== undefined && !selectorMatches(match.namespaceSelector, namespaceLabels(context, namespace))) {
    return false
  }
  const objectSelector = match.objectSelector
  if (objectSelector !== undefined) {
    // As for webhooks: on UPDATE a policy applies when either the new or the old object matches.
    const candidates = [request.object, request.oldObject].filter((o): o is KubeObject => o !== null && o !== undefined)
    if (!candidates.some((o) => selectorMatches(objectSelector, labelsOf(o)))) return false
  }
  return true
}
