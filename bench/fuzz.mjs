// The long fuzz run: the properties of test/fuzz/review.test.ts against the built dist/, many more runs.
//   FUZZ_RUNS=20000 node bench/fuzz.mjs        (runs per property; default 5000; FUZZ_SEED=<n> to replay)
import path from 'node:path'
import fc from 'fast-check'
import pino from 'pino'
import { dist } from './lib.mjs'
import { reviewsDir } from './mix.mjs'
import { arbitraries, checkHttp, checkOutcome, contentTypes } from '../test/fuzz/fixtures/review-properties.mjs'

const { reviewAdmission } = await import(dist('admission/review.js'))
const { judgingAt } = await import(dist('engine/judging.js'))
const judging = judgingAt(Date.now())
const { loadPolicies } = await import(dist('policy-files/read.js'))
const { loadContextFile } = await import(dist('cluster/context-file.js'))
const { buildAdmissionApp } = await import(dist('server/app.js'))
const { createMetrics } = await import(dist('server/metrics.js'))
const { parseConfig } = await import(dist('config.js'))

export async function fuzz({ runs = Number(process.env.FUZZ_RUNS ?? 5000), log = console.log } = {}) {
  const seed = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }
  const [policies, cluster] = await Promise.all([loadPolicies(), loadContextFile(path.join(reviewsDir, 'context.yaml'))])
  const webhooks = fc.constantFrom('validate', 'mutate')
  const rows = []
  for (const [name, arbitrary] of Object.entries(arbitraries)) {
    const started = performance.now()
    const counts = { answered: 0, errored: 0, rejected: 0, allowed: 0 }
    fc.assert(
      fc.property(arbitrary, webhooks, (body, webhook) => {
        const outcome = reviewAdmission(body, policies, cluster, webhook, judging)
        counts[outcome.kind === 'answer' ? 'answered' : outcome.kind]++
        if (outcome.kind !== 'rejected' && outcome.review.response.allowed) counts.allowed++
        const problem = checkOutcome(body, outcome)
        if (problem !== undefined) throw new Error(problem)
      }),
      { numRuns: runs, ...seed },
    )
    rows.push({ property: `handleReview: ${name}`, runs, ...counts, seconds: (performance.now() - started) / 1000 })
    log(`fuzz: ${name}: ${runs} runs ok (${JSON.stringify(counts)})`)
  }
  const app = buildAdmissionApp({
    // every serve default (the 7 MiB body limit among them), as `endpoint-guard serve` would run
    config: parseConfig('serve', {}, {}),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    state: { policies: () => policies, cluster: () => cluster },
  })
  const started = performance.now()
  const statuses = {}
  const httpRuns = Math.max(1, Math.round(runs / 2))
  await fc.assert(
    fc.asyncProperty(
      contentTypes,
      fc.oneof(arbitraries.mutatedRecorded, arbitraries.reviewShaped, arbitraries.randomText, fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))),
      fc.constantFrom('/validate', '/mutate'),
      async (contentType, body, url) => {
        const res = await app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: body })
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
        const problem = checkHttp(res.statusCode, res.body)
        if (problem !== undefined) throw new Error(problem)
      },
    ),
    { numRuns: httpRuns, ...seed },
  )
  await app.close()
  rows.push({ property: 'HTTP inject: random content types and bodies', runs: httpRuns, statuses, seconds: (performance.now() - started) / 1000 })
  log(`fuzz: HTTP: ${httpRuns} requests ok (${JSON.stringify(statuses)})`)
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await fuzz()
  const total = rows.reduce((s, r) => s + r.runs, 0)
  console.log(`fuzz: ${total} cases, no failures, ${rows.reduce((s, r) => s + r.seconds, 0).toFixed(1)} s`)
}
