import type { AdmissionRequest, KubeObject } from '../admission/types.js'
import type { ClusterContext } from '../cluster/context.js'
import type { CompiledPolicy } from '../policy/types.js'
import { labelsOf, selectorMatches, type Labels } from './selector.js'

const defaultOperations = ['CREATE', 'UPDATE']
const defaultSubresources = ['']

export function requestNamespace(request: AdmissionRequest): string {
  if (request.namespace !== undefined && request.namespace !== '') return request.namespace
  const obj = (request.object ?? request.oldObject) as { metadata?: { namespace?: unknown } } | undefined
  return typeof obj?.metadata?.namespace === 'string' ? obj.metadata.namespace : ''
}

/**
 * The labels a namespace selector sees. The API server puts `kubernetes.io/metadata.name` on every namespace;
 * a namespace the context does not know has only that label, so selectors on other labels do not match it.
 */
export function namespaceLabels(context: ClusterContext, namespace: string): Labels {
  return { ...(context.namespaceLabels(namespace) ?? {}), 'kubernetes.io/metadata.name': namespace }
}

/** Whether a policy applies to a request, as a ValidatingWebhookConfiguration's rules and selectors would. */
export function policyMatches(policy: CompiledPolicy, request: AdmissionRequest, context: ClusterContext): boolean {
  const { match, exclude } = policy.document
  if (!match.kinds.includes(request.kind.kind)) return false
  if (!(match.operations ?? defaultOperations).includes(request.operation)) return false
  if (!(match.subresources ?? defaultSubresources).includes(request.subResource ?? '')) return false

  const namespace = requestNamespace(request)
  if (match.namespaces !== undefined && !match.namespaces.includes(namespace)) return false
  if (exclude?.namespaces?.includes(namespace) === true) return false
  const user = request.userInfo?.username ?? ''
  if (exclude?.users?.includes(user) === true) return false
  const groups = request.userInfo?.groups ?? []
  if (exclude?.groups !== undefined && groups.some((g) => exclude.groups?.includes(g) === true)) return false

  if (match.namespaceSelector !== undefined && !selectorMatches(match.namespaceSelector, namespaceLabels(context, namespace))) {
    return false
  }
  if (match.objectSelector !== undefined) {
    // As for webhooks: on UPDATE a policy applies when either the new or the old object matches.
    const candidates = [request.object, request.oldObject].filter((o): o is KubeObject => o !== null && o !== undefined)
    if (!candidates.some((o) => selectorMatches(match.objectSelector!, labelsOf(o)))) return false
  }
  return true
}
