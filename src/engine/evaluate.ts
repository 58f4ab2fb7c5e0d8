import type { AdmissionRequest } from '../kube/admission.js'
import { clusterScopedKinds } from '../kube/kinds.js'
import { withNamespace, type KubeObject } from '../kube/object.js'
import type { ClusterContext, EvaluationContext } from '../policy/context.js'
import { renderErrors } from '../policy/render.js'
import type { CompiledPolicy, PolicySet, Violation } from '../policy/types.js'
import { policyApplies, requestNamespace } from './match.js'

/** A policy that threw while it evaluated: the decision is an error, never an allow. */
export interface Failure {
  ok: false
  /** the failing policy's id (several, comma-separated, for a mutation) */
  policy: string
  message: string
}

/**
 * What validation and mutation share for one request: the keyword context, the objects as policies judge them
 * and the policies that apply. Built once per request, so no policy pays for its own copy of the object.
 */
export interface Evaluation {
  readonly ctx: EvaluationContext
  /** the object a policy judges (the new one, or the one being deleted), `metadata.namespace` filled in */
  readonly object: KubeObject | undefined
  /** the old object on UPDATE, namespace filled in likewise */
  readonly oldObject: KubeObject | undefined
  readonly validating: readonly CompiledPolicy[]
  readonly mutating: readonly CompiledPolicy[]
}

export function evaluation(request: AdmissionRequest, policySet: PolicySet, cluster: ClusterContext): Evaluation {
  const namespace = requestNamespace(request)
  const ctx: EvaluationContext = { request, namespace, cluster }
  const judged = (request.operation === 'DELETE' ? request.oldObject : request.object) ?? undefined
  // Schemas see `metadata.namespace` filled in from the request when absent (offline manifests often omit it), so
  // they can compare fields with the object's namespace.
  // Cluster-scoped objects (a Namespace, whose request carries its own name as the namespace) get none.
  const placed = clusterScopedKinds.has(request.kind.kind) ? '' : namespace
  const object = judged === undefined ? undefined : withNamespace(judged, placed)
  const old = request.operation === 'UPDATE' ? (request.oldObject ?? undefined) : undefined
  const oldObject = old === undefined ? undefined : withNamespace(old, placed)
  if (object === undefined) return { ctx, object, oldObject, validating: [], mutating: [] }
  const candidates = policySet.candidates(request.kind.kind, request.operation, request.subResource ?? '')
  const applies = (p: CompiledPolicy) => policyApplies(p, request, namespace, cluster)
  return { ctx, object, oldObject, validating: candidates.validating.filter(applies), mutating: candidates.mutating.filter(applies) }
}

export function violationsOf(policy: CompiledPolicy, object: KubeObject, ctx: EvaluationContext): Violation[] {
  const valid = policy.validate.call(ctx, object)
  if (valid === true) return []
  return renderErrors(policy.validate.errors ?? [])
}
