import type { ClusterContext } from '../cluster/context.js'
import { decide, type Decision, type Webhook } from '../engine/decide.js'
import type { GuardError } from '../errors.js'
import type { PolicySet } from '../policy/types.js'
import { decodeReview } from './decode.js'
import { decisionResponse, erroredResponse, reviewResponse } from './respond.js'
import type { AdmissionRequest, AdmissionReviewResponse } from './types.js'

export type ReviewOutcome =
  | { kind: 'answer'; review: AdmissionReviewResponse; request: AdmissionRequest; decision: Decision }
  /** readable enough to answer in AdmissionReview form (a uid), but not evaluable */
  | { kind: 'errored'; review: AdmissionReviewResponse; error: GuardError }
  /** unreadable: no AdmissionReview answer is possible, the caller replies HTTP 4xx */
  | { kind: 'rejected'; error: GuardError }

/**
 * decode → decide → respond, shared by the server and `endpoint-guard review`. Pure apart from the clock-free
 * policy evaluation: no I/O. DELETE and CONNECT are decided like any other operation; with no policy matching
 * them (the bundled set has none) the answer is an allow.
 */
export function handleReview(body: string | undefined, policies: PolicySet, cluster: ClusterContext, webhook: Webhook): ReviewOutcome {
  const decoded = decodeReview(body)
  if (!decoded.ok) {
    if (decoded.uid === undefined || decoded.apiVersion === undefined) return { kind: 'rejected', error: decoded.error }
    const response = erroredResponse(decoded.uid, decoded.error.statusCode, decoded.error.message)
    return { kind: 'errored', review: reviewResponse(decoded.apiVersion, response), error: decoded.error }
  }
  const { request, apiVersion } = decoded
  let decision: Decision
  try {
    decision = decide(request, policies, cluster, webhook)
  } catch (err) {
    // decide() already turns policy failures into errored decisions; this catches engine bugs, fail closed.
    decision = { ok: false, policy: '(engine)', message: err instanceof Error ? err.message : String(err) }
  }
  return { kind: 'answer', review: reviewResponse(apiVersion, decisionResponse(request.uid, decision)), request, decision }
}
