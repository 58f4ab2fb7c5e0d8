import jsonPatch, { type Operation as PatchOperation } from 'fast-json-patch'
import { describeError } from '../errors.js'
import type { AdmissionRequest } from '../kube/admission.js'
import type { ClusterContext } from '../policy/context.js'
import type { PolicySet } from '../policy/types.js'
import { evaluation, type Failure } from './evaluate.js'

export type { PatchOperation }

export interface Mutation {
  ok: true
  /** RFC 6902; empty when nothing changes */
  patch: PatchOperation[]
  /** the mutating policies that applied, in order */
  matched: string[]
  /** those of them that changed the object */
  patchedBy: string[]
}

/**
 * The mutating webhook's decision: each applying mutate policy's schema defaults (Ajv useDefaults) are applied to
 * one private copy of the object, in policy order, and the difference is the patch. Works on the raw object (no
 * namespace filled in), so the patch never adds what the API server fills in itself. fast-json-patch escapes "/"
 * and "~" in keys (label keys) as the RFC requires. DELETE is never patched.
 */
export function mutate(request: AdmissionRequest, policySet: PolicySet, cluster: ClusterContext): Mutation | Failure {
  const e = evaluation(request, policySet, cluster)
  const object = request.object ?? undefined
  if (e.mutating.length === 0 || object === undefined || request.operation === 'DELETE') {
    return { ok: true, patch: [], matched: e.mutating.map((p) => p.id), patchedBy: [] }
  }
  const copy = structuredClone(object)
  const matched = e.mutating.map((p) => p.id)
  // Which policies changed something is only worth comparing for when there is more than one.
  const several = e.mutating.length > 1
  const patchedBy: string[] = []
  let before = several ? JSON.stringify(copy) : ''
  for (const policy of e.mutating) {
    try {
      policy.validate.call(e.ctx, copy)
    } catch (err) {
      return { ok: false, policy: policy.id, message: describeError(err) }
    }
    if (!several) continue
    const after = JSON.stringify(copy)
    if (after !== before) patchedBy.push(policy.id)
    before = after
  }
  const patch = jsonPatch.compare(object, copy)
  return { ok: true, patch, matched, patchedBy: several ? patchedBy : patch.length > 0 ? matched : [] }
}

/** The object as the API server stores it after the patch: a new object, the given one is not changed. */
export function applyPatch<T extends object>(object: T, patch: readonly PatchOperation[]): T {
  return patch.length === 0 ? object : jsonPatch.applyPatch(object, [...patch], false, false).newDocument
}
