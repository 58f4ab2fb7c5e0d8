import type { Failure } from '../engine/evaluate.js'
import type { Judging } from '../engine/judging.js'
import { mutate, type Mutation } from '../engine/mutate.js'
import type { Outcome } from '../engine/outcome.js'
import { validate, type Validation } from '../engine/validate.js'
import { describeError, type GuardError } from '../errors.js'
import type { AdmissionRequest, AdmissionReviewResponse } from '../kube/admission.js'
import type { ClusterContext } from '../policy/context.js'
import type { Finding, PolicySet } from '../policy/types.js'
import { decodeReview } from './decode.js'
import { erroredResponse, failureResponse, mutationResponse, reviewResponse, validationResponse } from './respond.js'

export type Webhook = 'validate' | 'mutate'
export const webhooks: readonly Webhook[] = ['validate', 'mutate']

export type ReviewOutcome =
  | {
      kind: 'answer'
      review: AdmissionReviewResponse
      request: AdmissionRequest
      outcome: Outcome
      findings: readonly Finding[]
      /** for the log line: the policies with findings (validate), or that patched the object (mutate) */
      policies: readonly string[]
    }
  /** readable enough to answer in AdmissionReview form (a uid), but not evaluable */
  | { kind: 'errored'; review: AdmissionReviewResponse; error: GuardError }
  /** unreadable: no AdmissionReview answer is possible, the caller replies HTTP 4xx */
  | { kind: 'rejected'; error: GuardError }

const none: readonly string[] = Object.freeze([])

function decided(request: AdmissionRequest, policies: PolicySet, cluster: ClusterContext, webhook: Webhook, judging: Judging): Validation | Mutation | Failure {
  try {
    return webhook === 'mutate' ? mutate(request, policies, cluster) : validate(request, policies, cluster, judging)
  } catch (err) {
    // The engine turns policy failures into Failures itself; this catches engine bugs: fail closed.
    return { ok: false, policy: '(engine)', message: describeError(err) }
  }
}

/**
 * decode → validate or mutate → respond, shared by the server and `endpoint-guard review`. Pure: no I/O, no clock
 * (the judging carries the caller's time, for exceptions' expiry).
 * DELETE and CONNECT are decided like any other operation; with no policy matching them (the bundled set has none)
 * the answer is an allow.
 */
export function reviewAdmission(body: string | undefined, policies: PolicySet, cluster: ClusterContext, webhook: Webhook, judging: Judging): ReviewOutcome {
  const decoded = decodeReview(body)
  if (!decoded.ok) {
    if (decoded.uid === undefined || decoded.apiVersion === undefined) return { kind: 'rejected', error: decoded.error }
    const response = erroredResponse(decoded.uid, decoded.error.statusCode, decoded.error.message)
    return { kind: 'errored', review: reviewResponse(decoded.apiVersion, response), error: decoded.error }
  }
  const { request, apiVersion } = decoded
  const decision = decided(request, policies, cluster, webhook, judging)
  const answer = (response: Parameters<typeof reviewResponse>[1], outcome: Outcome, findings: readonly Finding[], named: readonly string[]): ReviewOutcome => ({
    kind: 'answer',
    review: reviewResponse(apiVersion, response),
    request,
    outcome,
    findings,
    policies: named,
  })
  if (!decision.ok) return answer(failureResponse(request.uid, decision), 'errored', [], [decision.policy])
  if ('patch' in decision) {
    return answer(mutationResponse(request.uid, decision), decision.patch.length > 0 ? 'patched' : 'allowed', [], decision.patchedBy)
  }
  const named = decision.findings.length === 0 ? none : [...new Set(decision.findings.map((f) => f.policy))]
  return answer(validationResponse(request.uid, decision), decision.outcome, decision.findings, named)
}
