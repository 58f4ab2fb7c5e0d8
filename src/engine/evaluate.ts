import type { AdmissionRequest, KubeObject } from '../admission/types.js'
import type { ClusterContext } from '../cluster/context.js'
import { renderErrors } from '../policy/render.js'
import type { CompiledPolicy, Violation } from '../policy/types.js'

/**
 * What custom keywords see as `this` (Ajv's passContext): the request being decided and the cluster around it.
 * Keywords must treat it as read-only.
 */
export interface EvaluationContext {
  readonly request: AdmissionRequest
  readonly namespace: string
  readonly cluster: ClusterContext
}

export function violationsOf(policy: CompiledPolicy, object: KubeObject, ctx: EvaluationContext): Violation[] {
  const valid = policy.validate.call(ctx, object)
  if (valid === true) return []
  return renderErrors(policy.validate.errors ?? [])
}
