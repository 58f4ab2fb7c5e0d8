import type { AdmissionRequest } from '../kube/admission.js'
import type { ClusterContext } from '../policy/context.js'
import type { PolicySet } from '../policy/types.js'
import type { Failure } from './evaluate.js'
import type { Judging } from './judging.js'
import { applyPatch, mutate, type Mutation } from './mutate.js'
import { validate, type Validation } from './validate.js'

export interface Admission {
  mutation: Mutation
  /** of the object as patched */
  validation: Validation
}

/**
 * The whole admission chain for one request, as the API server runs it: mutating webhooks first, then validating
 * ones on the patched object (so what is validated is what would be stored). The offline commands use it; the
 * server answers each webhook on its own, as the API server calls them.
 */
export function admit(request: AdmissionRequest, policySet: PolicySet, cluster: ClusterContext, judging: Judging): Admission | Failure {
  const mutation = mutate(request, policySet, cluster)
  if (!mutation.ok) return mutation
  const patched = mutation.patch.length === 0 || request.object == null ? request : { ...request, object: applyPatch(request.object, mutation.patch) }
  const validation = validate(patched, policySet, cluster, judging)
  if (!validation.ok) return validation
  return { mutation, validation }
}
