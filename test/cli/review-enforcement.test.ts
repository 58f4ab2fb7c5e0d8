// `review --enforcement warn` and `--policy-action` answer as a server started with them would.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { runReview } from '../../src/cli/review.js'
import { parseConfig } from '../../src/config.js'
import type { AdmissionReviewResponse } from '../../src/kube/admission.js'
import { fixturesDir } from '../support/fixtures.js'

const file = path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json')
const text = readFileSync(file, 'utf8')

async function review(flags: Parameters<typeof parseConfig<'review'>>[1]) {
  const out: string[] = []
  const err: string[] = []
  const code = await runReview(text, file, parseConfig('review', flags, {}), { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }, process.cwd())
  return { code, answer: out.length === 0 ? undefined : (JSON.parse(out.join('\n')) as AdmissionReviewResponse).response, stderr: err.join('\n') }
}

t.test('monitor mode and per-policy actions in review', async (t) => {
  t.equal((await review({})).code, 1, 'denied by default')
  const monitored = await review({ enforcement: 'warn' })
  t.equal(monitored.code, 0)
  t.match(monitored.answer?.warnings?.[0], /^service-external-ips: .*\(would have been denied; enforcement is warn\)$/)
  const audited = await review({ policyAction: ['service-external-ips=audit'] })
  t.equal(audited.code, 0)
  t.match(audited.answer?.auditAnnotations?.['service-external-ips'], /^spec\.externalIPs\[0\]: /)
  const typo = await review({ policyAction: ['service-externalips=warn'] })
  t.equal(typo.code, 2)
  t.match(typo.stderr, /not loaded \(did you mean "service-external-ips"\?\)/)
})
