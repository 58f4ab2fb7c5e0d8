import { describeError } from '../errors.js'
import type { AdmissionRequest } from '../kube/admission.js'
import type { ClusterContext } from '../policy/context.js'
import type { CompiledPolicy, Finding, PolicySet, Violation } from '../policy/types.js'
import { evaluation, violationsOf, type Evaluation, type Failure } from './evaluate.js'
import { outcomeOf, type Outcome } from './outcome.js'
import { ratchet } from './ratchet.js'

export interface Validation {
  ok: true
  outcome: Exclude<Outcome, 'errored'>
  /** every finding of every applying policy, ratcheted ones marked `preexisting` */
  findings: Finding[]
  /** the validating policies that applied, in evaluation order */
  matched: string[]
}

function toFindings(policy: CompiledPolicy, violations: Violation[], preexisting: boolean): Finding[] {
  // Object.assign onto a literal of the finding's own fields: an object spread per violation was a fifth of the
  // cost of 100,000 violations.
  return violations.map((v) => Object.assign({ policy: policy.id, action: policy.action, preexisting }, v))
}

function judge(policy: CompiledPolicy, e: Evaluation & { object: NonNullable<Evaluation['object']> }): Finding[] {
  const current = violationsOf(policy, e.object, e.ctx)
  if (current.length === 0) return []
  // Ratcheting is an engine property: on UPDATE, only what the request adds or changes can deny.
  if (policy.action !== 'deny' || e.oldObject === undefined) return toFindings(policy, current, false)
  const { added, existing } = ratchet(current, violationsOf(policy, e.oldObject, e.ctx))
  return toFindings(policy, added, false).concat(toFindings(policy, existing, true))
}

/**
 * The validating webhook's decision: a pure function of the request, the compiled policies and the cluster
 * context. Every applying policy is evaluated and every violation reported; nothing is allowed by default — the
 * outcome is derived from the findings at the end. A policy that throws makes the decision a Failure.
 */
export function validate(request: AdmissionRequest, policySet: PolicySet, cluster: ClusterContext): Validation | Failure {
  const e = evaluation(request, policySet, cluster)
  const findings: Finding[] = []
  if (e.object !== undefined) {
    const judged = { ...e, object: e.object }
    for (const policy of e.validating) {
      try {
        // One by one: a spread passes every finding as an argument, and 140,000 of them overflow the stack.
        for (const f of judge(policy, judged)) findings.push(f)
      } catch (err) {
        return { ok: false, policy: policy.id, message: describeError(err) }
      }
    }
  }
  return { ok: true, outcome: outcomeOf(findings, false), findings, matched: e.validating.map((p) => p.id) }
}
