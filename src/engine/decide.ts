import type { Operation as PatchOperation } from 'fast-json-patch'
import type { AdmissionRequest, KubeObject } from '../admission/types.js'
import type { ClusterContext } from '../cluster/context.js'
import { withNamespace } from '../kube-object.js'
import type { CompiledPolicy, Finding, PolicySet, Violation } from '../policy/types.js'
import { violationsOf, type EvaluationContext } from './evaluate.js'
import { policyMatches, requestNamespace } from './match.js'
import { mutationPatch } from './mutate.js'
import { ratchet } from './ratchet.js'

export type Webhook = 'validate' | 'mutate'

export type Decision =
  | {
      ok: true
      /** true only when no deny-action finding was introduced by this request */
      allowed: boolean
      findings: Finding[]
      /** policies that matched the request, in evaluation order */
      matched: string[]
      patch: PatchOperation[]
    }
  | { ok: false; policy: string; message: string }

function toFindings(policy: CompiledPolicy, violations: Violation[], preexisting: boolean): Finding[] {
  return violations.map((v) => ({ ...v, policy: policy.id, action: policy.action, preexisting }))
}

function evaluate(policy: CompiledPolicy, request: AdmissionRequest, object: KubeObject, ctx: EvaluationContext): Finding[] {
  // Schemas see `metadata.namespace` filled in from the request when absent (offline manifests often omit it), so
  // they can compare fields with the object's namespace. Mutation works on the raw object.
  const current = violationsOf(policy, withNamespace(object, ctx.namespace), ctx)
  if (current.length === 0) return []
  // Ratcheting is an engine property: on UPDATE, only what the request adds or changes can deny.
  if (policy.action !== 'deny' || request.operation !== 'UPDATE' || request.oldObject == null) {
    return toFindings(policy, current, false)
  }
  const { added, existing } = ratchet(current, violationsOf(policy, withNamespace(request.oldObject, ctx.namespace), ctx))
  return [...toFindings(policy, added, false), ...toFindings(policy, existing, true)]
}

/**
 * The whole decision for one request: a pure function of the request, the compiled policies and the cluster
 * context. Every matching policy is evaluated and every violation reported; nothing is allowed by default —
 * `allowed` is derived from the findings at the end. A policy that throws makes the decision an error.
 */
export function decide(request: AdmissionRequest, policySet: PolicySet, cluster: ClusterContext, webhook: Webhook): Decision {
  const namespace = requestNamespace(request)
  // The object a policy judges: the new one, or the one being deleted.
  const object = (request.operation === 'DELETE' ? request.oldObject : request.object) ?? undefined
  const ctx: EvaluationContext = { request, namespace, cluster }
  const matched = object === undefined ? [] : policySet.policies.filter((p) => policyMatches(p, request, cluster))
  const findings: Finding[] = []
  const mutators: CompiledPolicy[] = []
  for (const policy of matched) {
    if (webhook === 'mutate' ? policy.action !== 'mutate' : policy.action === 'mutate') continue
    if (policy.action === 'mutate') {
      mutators.push(policy)
      continue
    }
    try {
      findings.push(...evaluate(policy, request, object as KubeObject, ctx))
    } catch (err) {
      return { ok: false, policy: policy.id, message: err instanceof Error ? err.message : String(err) }
    }
  }
  let patch: PatchOperation[] = []
  if (mutators.length > 0 && object !== undefined && request.operation !== 'DELETE') {
    try {
      patch = mutationPatch(mutators, object, ctx)
    } catch (err) {
      return { ok: false, policy: mutators.map((p) => p.id).join(','), message: err instanceof Error ? err.message : String(err) }
    }
  }
  const allowed = !findings.some((f) => f.action === 'deny' && !f.preexisting)
  return {
    ok: true,
    allowed,
    findings,
    matched: matched.filter((p) => (webhook === 'mutate') === (p.action === 'mutate')).map((p) => p.id),
    patch,
  }
}
