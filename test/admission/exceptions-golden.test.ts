// The exempted, expired and monitored twins of recorded denied reviews: the same AdmissionReview, the bundled
// policies with the PolicyException files of test/fixtures/exceptions as a second layer, a fixed clock.
import path from 'node:path'
import t from 'tap'
import { reviewAdmission } from '../../src/admission/review.js'
import { loadContextFile } from '../../src/cluster/context-file.js'
import { judgingAt, type Judging } from '../../src/engine/judging.js'
import type { AdmissionReviewResponse } from '../../src/kube/admission.js'
import { bundledPaths } from '../../src/paths.js'
import { loadPolicies } from '../../src/policy-files/read.js'
import { fixturesDir, golden, readJson } from '../support/fixtures.js'

const reviews = path.join(fixturesDir, 'reviews')
const dir = path.join(fixturesDir, 'exceptions')
const before = Date.parse('2030-06-29T23:59:59Z')
const after = Date.parse('2030-07-01T00:00:00Z')

const twins: Array<{ review: string; policy: string }> = [
  { review: 'gatekeeper-externalip-disallowed', policy: 'service-external-ips' },
  { review: 'production-slice-no-purpose', policy: 'endpointslice-production-purpose' },
]

t.test('recorded denied reviews: exempted before the expiry, denied again after it, allowed in monitor mode', async (t) => {
  const [bundled, layered, context] = await Promise.all([
    loadPolicies(),
    loadPolicies([bundledPaths.policies, path.join(dir, 'policies')]),
    loadContextFile(path.join(reviews, 'context.yaml')),
  ])
  t.same(layered.exceptions.map((e) => e.id), ['edge-proxy-external-ip', 'payments-slice-purpose'], 'the exceptions load in file order')
  for (const { review, policy } of twins) {
    const body = JSON.stringify(readJson(path.join(reviews, `${review}.review.json`)))
    const answer = (set: typeof bundled, judging: Judging): AdmissionReviewResponse => {
      const outcome = reviewAdmission(body, set, context, 'validate', judging)
      if (outcome.kind !== 'answer') throw new Error(`${review}: not answered`)
      return outcome.review
    }
    const denied = answer(bundled, judgingAt(before))
    t.equal(denied.response.allowed, false, `${review}: denied without the exception`)

    const exempted = answer(layered, judgingAt(before))
    t.equal(exempted.response.allowed, true, `${review}: allowed while the exception applies`)
    t.ok(exempted.response.warnings?.some((w) => w.startsWith(`${policy}: `) && w.includes('(exempted by exception ')), `${review}: the warning names the exception`)
    t.same(exempted, golden(path.join(dir, 'expected', `${review}.exempted.json`), exempted), `${review}: exempted golden`)

    const expired = answer(layered, judgingAt(after))
    t.equal(expired.response.allowed, false, `${review}: denied again once the exception expired`)
    t.equal(expired.response.status?.message, denied.response.status?.message, `${review}: the same denial`)
    t.ok(expired.response.warnings?.some((w) => w.includes('expired at')), `${review}: a warning says the exception expired`)
    t.same(expired, golden(path.join(dir, 'expected', `${review}.expired.json`), expired), `${review}: expired golden`)

    const monitored = answer(bundled, judgingAt(before, { enforcement: 'warn' }))
    t.equal(monitored.response.allowed, true, `${review}: monitor mode allows`)
    t.ok(monitored.response.warnings?.every((w) => w.endsWith('(would have been denied; enforcement is warn)')), `${review}: every warning says it would have been denied`)
    t.ok(monitored.response.auditAnnotations?.[policy]?.startsWith('would have been denied: '), `${review}: and the audit annotation records it`)
    t.same(monitored, golden(path.join(dir, 'expected', `${review}.monitored.json`), monitored), `${review}: monitored golden`)

    const overridden = answer(bundled, judgingAt(before, { actions: { [policy]: 'warn' } }))
    t.equal(overridden.response.allowed, true, `${review}: --policy-action ${policy}=warn allows`)
    t.same(overridden, golden(path.join(dir, 'expected', `${review}.policy-action.json`), overridden), `${review}: policy-action golden`)
  }
})
