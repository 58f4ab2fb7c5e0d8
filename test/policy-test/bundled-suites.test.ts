// The bundled policy test suites (schemas/policy-tests/*.yaml) run as tests: one assertion per case, so a
// failing case names its suite and description and says what did not match. The cases themselves are data.
import path from 'node:path'
import t from 'tap'
import { judgingAt } from '../../src/engine/judging.js'
import type { Outcome } from '../../src/engine/outcome.js'
import { loadPolicies } from '../../src/policy-files/read.js'
import { loadSuites } from '../../src/policy-test/load.js'
import { runSuite } from '../../src/policy-test/run.js'

const policies = await loadPolicies()
const loaded = await loadSuites()
const blocking: readonly Outcome[] = ['denied', 'warned', 'audited', 'patched']

/** policy id → the outcomes its suites expect, to check that every policy is tested both ways */
const outcomes = new Map<string, Set<Outcome>>()

for (const entry of loaded) {
  const name = path.basename(entry.file)
  if (!('suite' in entry)) {
    t.fail(`${name} is a valid suite file`, { diagnostic: true, problems: entry.problems })
    continue
  }
  const { suite } = entry
  t.test(`${name} (${suite.policy})`, async (t) => {
    const seen = outcomes.get(suite.policy) ?? new Set<Outcome>()
    outcomes.set(suite.policy, seen)
    for (const c of suite.cases) seen.add(c.expect.outcome)
    for (const result of runSuite(suite, policies, judgingAt(0))) {
      t.ok(result.passed, result.description, { problems: result.problems })
    }
  })
}

t.test('every bundled policy has a suite with an allowed case and a case that is not simply allowed', async (t) => {
  t.ok(loaded.length > 0, 'suite files are found')
  for (const policy of policies.policies) {
    const seen = outcomes.get(policy.id) ?? new Set<Outcome>()
    t.ok(seen.has('allowed'), `${policy.id} has an allowed case`)
    t.ok(blocking.some((o) => seen.has(o)), `${policy.id} has a denied, warned, audited or patched case`, { outcomes: [...seen] })
  }
})

t.test('every suite names a loaded policy', async (t) => {
  const ids = new Set(policies.policies.map((p) => p.id))
  for (const entry of loaded) {
    if ('suite' in entry) t.ok(ids.has(entry.suite.policy), `${path.basename(entry.file)}: policy ${entry.suite.policy} is loaded`)
  }
})
