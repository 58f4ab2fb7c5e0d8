import { isDeepStrictEqual } from 'node:util'
import { userText } from '../admission/respond.js'
import { staticContext } from '../cluster/static-context.js'
import type { Judging } from '../engine/judging.js'
import { mutate } from '../engine/mutate.js'
import { outcomeOf, type Outcome } from '../engine/outcome.js'
import { syntheticRequest, type SyntheticRequestOptions } from '../engine/synthesize.js'
import { validate } from '../engine/validate.js'
import type { Operation, UserInfo } from '../kube/admission.js'
import type { KubeObject } from '../kube/object.js'
import { policySet } from '../policy/policy-set.js'
import { didYouMean } from '../policy/suggest.js'
import type { PolicySet } from '../policy/types.js'

export interface PolicyTestCase {
  description: string
  object: KubeObject
  oldObject?: KubeObject
  operation?: Operation
  namespace?: string
  subResource?: string
  userInfo?: UserInfo
  expect: { outcome: Exclude<Outcome, 'errored'>; messages?: string[]; patch?: unknown[] }
}

export interface PolicyTestSuite {
  policy: string
  description?: string
  context?: KubeObject[]
  cases: PolicyTestCase[]
}

export interface CaseResult {
  policy: string
  description: string
  passed: boolean
  /** what did not match, in words; empty when passed */
  problems: string[]
  outcome?: Outcome
}


/**
 * Runs one suite against the named policy alone (with the loaded exceptions that name it), so a case tests exactly
 * one policy. Pure: the caller loads the policies, reads the suite file and gives the time.
 */
export function runSuite(suite: PolicyTestSuite, policies: PolicySet, judging: Judging): CaseResult[] {
  const policy = policies.policies.find((p) => p.id === suite.policy)
  if (policy === undefined) {
    // Every case fails: a suite for a policy that is not loaded tests nothing, and its cases count as failed.
    const problem = `no policy with id "${suite.policy}" is loaded${didYouMean(suite.policy, policies.policies.map((p) => p.id))}`
    return suite.cases.map((c) => ({ policy: suite.policy, description: c.description, passed: false, problems: [problem] }))
  }
  const exceptions = policies.exceptions.filter((e) => e.document.policies.includes(policy.id))
  const only = policySet([policy], policies.source, [], exceptions)
  const context = staticContext(suite.context ?? [])
  return suite.cases.map((c) => {
    const options: SyntheticRequestOptions = {}
    if (c.operation !== undefined) options.operation = c.operation
    if (c.oldObject !== undefined) options.oldObject = c.oldObject
    if (c.namespace !== undefined) options.namespace = c.namespace
    if (c.userInfo !== undefined) options.userInfo = c.userInfo
    if (c.subResource !== undefined) options.subResource = c.subResource
    const request = syntheticRequest(c.object, options)
    const decision = policy.action === 'mutate' ? mutate(request, only, context) : validate(request, only, context, judging)
    if (!decision.ok) {
      return { policy: suite.policy, description: c.description, passed: false, problems: [`the policy failed: ${decision.message}`] }
    }
    const findings = 'findings' in decision ? decision.findings : []
    const patch = 'patch' in decision ? decision.patch : []
    const texts = findings.map(userText)
    const outcome = outcomeOf(findings, patch.length > 0)
    const problems: string[] = []
    if (outcome !== c.expect.outcome) {
      problems.push(`expected ${c.expect.outcome}, got ${outcome}${texts.length > 0 ? `: ${texts.join('; ')}` : ''}`)
    }
    for (const fragment of c.expect.messages ?? []) {
      if (!texts.some((t) => t.includes(fragment))) problems.push(`no message contains ${JSON.stringify(fragment)} (got: ${texts.join('; ') || 'none'})`)
    }
    if (c.expect.patch !== undefined && !isDeepStrictEqual(c.expect.patch, patch)) {
      problems.push(`expected patch ${JSON.stringify(c.expect.patch)}, got ${JSON.stringify(patch)}`)
    }
    return { policy: suite.policy, description: c.description, passed: problems.length === 0, problems, outcome }
  })
}
