import jsonPatch, { type Operation } from 'fast-json-patch'
import type { KubeObject } from '../admission/types.js'
import type { CompiledPolicy } from '../policy/types.js'
import type { EvaluationContext } from './evaluate.js'

/**
 * Applies each mutate policy's schema defaults (Ajv useDefaults) to one copy of the object, in policy order,
 * and returns the RFC 6902 difference. The copy is private, so the request's object is never changed.
 * fast-json-patch escapes "/" and "~" in keys (label keys) as the RFC requires.
 */
export function mutationPatch(policies: CompiledPolicy[], object: KubeObject, ctx: EvaluationContext): Operation[] {
  if (policies.length === 0) return []
  const copy = structuredClone(object)
  for (const policy of policies) policy.validate.call(ctx, copy)
  return jsonPatch.compare(object, copy)
}
