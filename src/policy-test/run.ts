import { isDeepStrictEqual } from 'node:util'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { userText } from '../admission/respond.js'
import { syntheticRequest, type SyntheticRequestOptions } from '../admission/synthesize.js'
import type { KubeObject, Operation, UserInfo } from '../admission/types.js'
import { staticContext } from '../cluster/static-context.js'
import { decide } from '../engine/decide.js'
import type { PolicySet } from '../policy/types.js'

export type Outcome = 'allowed' | 'denied' | 'warned' | 'audited' | 'patched'

export interface PolicyTestCase {
  description: string
  object: KubeObject
  oldObject?: KubeObject
  operation?: Operation
  namespace?: string
  subResource?: string
  userInfo?: UserInfo
  expect: { outcome: Outcome; messages?: string[]; patch?: unknown[] }
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

/** Checks a parsed suite file against schemas/policy-test.schema.json; returns the problems, if any. */
export function suiteProblems(suiteSchema: object, data: unknown): string[] {
  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(suiteSchema)
  if (validate(data)) return []
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`)
}

function outcomeOf(d: { allowed: boolean; messages: { deny: number; warn: number; audit: number }; patched: boolean }): Outcome {
  if (!d.allowed) return 'denied'
  if (d.patched) return 'patched'
  if (d.messages.warn > 0) return 'warned'
  if (d.messages.audit > 0) return 'audited'
  return 'allowed'
}

/**
 * Runs one suite against the named policy alone, so a case tests exactly one policy. Pure: the caller loads
 * the policies and reads the suite file.
 */
export function runSuite(suite: PolicyTestSuite, policies: PolicySet): CaseResult[] {
  const policy = policies.policies.find((p) => p.id === suite.policy)
  if (policy === undefined) {
    return [{ policy: suite.policy, description: '(suite)', passed: false, problems: [`no policy with id "${suite.policy}" is loaded`] }]
  }
  const only: PolicySet = { policies: [policy], source: policies.source }
  const context = staticContext(suite.context ?? [])
  const webhook = policy.action === 'mutate' ? 'mutate' : 'validate'
  return suite.cases.map((c) => {
    const options: SyntheticRequestOptions = {}
    if (c.operation !== undefined) options.operation = c.operation
    if (c.oldObject !== undefined) options.oldObject = c.oldObject
    if (c.namespace !== undefined) options.namespace = c.namespace
    if (c.userInfo !== undefined) options.userInfo = c.userInfo
    if (c.subResource !== undefined) options.subResource = c.subResource
    const decision = decide(syntheticRequest(c.object, options), only, context, webhook)
    if (!decision.ok) {
      return { policy: suite.policy, description: c.description, passed: false, problems: [`the policy failed: ${decision.message}`] }
    }
    const texts = decision.findings.map(userText)
    const counts = { deny: 0, warn: 0, audit: 0 }
    for (const f of decision.findings) {
      if (f.action === 'deny' && !f.preexisting) counts.deny++
      else if (f.action === 'audit') counts.audit++
      else if (f.action !== 'mutate') counts.warn++
    }
    const outcome = outcomeOf({ allowed: decision.allowed, messages: counts, patched: decision.patch.length > 0 })
    const problems: string[] = []
    if (outcome !== c.expect.outcome) {
      problems.push(`expected ${c.expect.outcome}, got ${outcome}${texts.length > 0 ? `: ${texts.join('; ')}` : ''}`)
    }
    for (const fragment of c.expect.messages ?? []) {
      if (!texts.some((t) => t.includes(fragment))) problems.push(`no message contains ${JSON.stringify(fragment)} (got: ${texts.join('; ') || 'none'})`)
    }
    if (c.expect.patch !== undefined && !isDeepStrictEqual(c.expect.patch, decision.patch)) {
      problems.push(`expected patch ${JSON.stringify(c.expect.patch)}, got ${JSON.stringify(decision.patch)}`)
    }
    return { policy: suite.policy, description: c.description, passed: problems.length === 0, problems, outcome }
  })
}
