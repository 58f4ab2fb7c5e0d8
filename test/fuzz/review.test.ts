import path from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { reviewAdmission } from '../../src/admission/review.js'
import { loadContextFile } from '../../src/cluster/context-file.js'
import { judgingAt } from '../../src/engine/judging.js'
import { loadPolicies } from '../../src/policy-files/read.js'
import { testApp } from '../support/app.js'
import { fixturesDir } from '../support/fixtures.js'
import { arbitraries, checkHttp, checkOutcome, contentTypes } from './fixtures/review-properties.mjs'

// Fuzzing decode → decide → encode with fast-check. Bounded so this file runs in a few seconds as part of npm test;
// `node bench/fuzz.mjs` (FUZZ_RUNS=...) runs the same properties much longer against dist/.
// FUZZ_SEED=<n> replays a failing run: fast-check prints the seed and the shrunk counterexample.
const seed = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }
const webhooks = fc.constantFrom('validate' as const, 'mutate' as const)

const [policies, cluster] = await Promise.all([loadPolicies(), loadContextFile(path.join(fixturesDir, 'reviews', 'context.yaml'))])

const bodies: Array<[string, fc.Arbitrary<string>, number]> = [
  ['random text', arbitraries.randomText, 500],
  ['random JSON', arbitraries.randomJson, 500],
  ['AdmissionReview envelopes with arbitrary contents', arbitraries.reviewShaped, 800],
  ['recorded reviews with random mutations', arbitraries.mutatedRecorded, 1000],
  ['recorded reviews with damaged text', arbitraries.damagedRecorded, 400],
]

for (const [name, arbitrary, numRuns] of bodies) {
  t.test(`handleReview on ${name}: never throws, answers well-formed or rejects with a 4xx`, async (t) => {
    let answered = 0
    fc.assert(
      fc.property(arbitrary, webhooks, (body, webhook) => {
        const outcome = reviewAdmission(body, policies, cluster, webhook, judgingAt(0))
        if (outcome.kind !== 'rejected') answered++
        const problem = checkOutcome(body, outcome)
        if (problem !== undefined) throw new Error(problem)
      }),
      { numRuns, ...seed },
    )
    t.pass(`${numRuns} runs, ${answered} answered in AdmissionReview form`)
  })
}

t.test('POST /validate and /mutate with random content types and bodies: 200 AdmissionReview or a 4xx/503 JSON error', async (t) => {
  const app = testApp(policies, { cluster })
  t.teardown(() => app.close())
  const payload = fc.oneof(
    arbitraries.mutatedRecorded,
    arbitraries.reviewShaped,
    arbitraries.randomText,
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  )
  const numRuns = 300
  await fc.assert(
    fc.asyncProperty(contentTypes, payload, fc.constantFrom('/validate', '/mutate'), async (contentType, body, url) => {
      const res = await app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: body })
      const problem = checkHttp(res.statusCode, res.body)
      if (problem !== undefined) throw new Error(problem)
    }),
    { numRuns, ...seed },
  )
  t.pass(`${numRuns} requests`)
})
