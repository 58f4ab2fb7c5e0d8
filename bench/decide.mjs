// Decision cost, in-process on one core: reviewAdmission() (decode → decide → respond) on the request mix, how the
// cost grows with the endpoints in a slice (1 → 1000) and with the number of loaded policies.
// Run alone: node bench/decide.mjs [--json]
import { pathToFileURL } from 'node:url'
import { dist } from './lib.mjs'
import path from 'node:path'
import { contextFile, endpointSlice, repoRoot, requestMix, sliceReview } from './mix.mjs'

const { reviewAdmission } = await import(dist('admission/review.js'))
const { judgingAt } = await import(dist('engine/judging.js'))
const judging = judgingAt(Date.now())
const { validate } = await import(dist('engine/validate.js'))
const { mutate } = await import(dist('engine/mutate.js'))
const { decodeReview } = await import(dist('admission/decode.js'))
const { loadPolicies, readPolicySources, readMetaSchema } = await import(dist('policy-files/read.js'))
const { compilePolicies } = await import(dist('policy/compile.js'))
const { loadContextFile } = await import(dist('cluster/context-file.js'))

/** Calls fn over `items` round-robin for about `ms` milliseconds (after a short warm-up); returns ops/s. */
function rate(items, fn, ms = 400) {
  const run = (limit) => {
    let n = 0
    const start = performance.now()
    let now = start
    while (now - start < limit) {
      for (let i = 0; i < 16; i++) fn(items[(n + i) % items.length])
      n += 16
      now = performance.now()
    }
    return (n * 1000) / (now - start)
  }
  run(Math.min(150, ms / 2))
  return run(ms)
}

/** Median of three measurements: one slow burst (GC, a neighbour) does not move the figure. */
function median3(items, fn, ms) {
  const r = [rate(items, fn, ms), rate(items, fn, ms), rate(items, fn, ms)].sort((a, b) => a - b)
  return r[1]
}

/** The bundled policies and the golden reviews' context, loaded once for every measurement of this module. */
let loaded
const policiesAndContext = () => (loaded ??= Promise.all([loadPolicies(), loadContextFile(contextFile)]))

/**
 * What the webhook does per request beyond what the bare limit does too: reviewAdmission()'s µs per review less
 * JSON.parse's on the same bodies, in-process and warm (the best case: in the server the same code runs slower,
 * its caches shared with TLS and HTTP). The limit's CPU per request plus this is a floor under the webhook's.
 */
export async function decisionBeyondParse(bodies, ms = 1000) {
  const [policies, context] = await policiesAndContext()
  // Alternated, the median of five differences: a slow patch of the host falls on both sides.
  const differences = []
  for (let i = 0; i < 5; i++) {
    const whole = rate(bodies, (b) => reviewAdmission(b, policies, context, 'validate', judging), ms)
    const parse = rate(bodies, (b) => JSON.parse(b), ms)
    differences.push(1e6 / whole - 1e6 / parse)
  }
  return Math.max(0, differences.sort((a, b) => a - b)[2])
}

export async function decideBench({ quick = false } = {}) {
  const ms = quick ? 200 : 400
  const [policies, context] = await policiesAndContext()
  const mix = requestMix()
  const bodies = mix.map((e) => e.body)
  const decoded = mix.map((e) => decodeReview(e.body).request)

  const mixHandle = median3(bodies, (b) => reviewAdmission(b, policies, context, 'validate', judging), ms)
  const mixDecide = median3(decoded, (r) => validate(r, policies, context, judging), ms)
  const mixMutate = median3(decoded, (r) => mutate(r, policies, context), ms)

  // Slice size: allowed (all addresses good), denied (one loopback address), and every address bad.
  const sizes = [1, 10, 100, 1000]
  const bySize = []
  for (const n of sizes) {
    const row = { endpoints: n }
    for (const variant of ['allowed', 'denied', 'all-bad']) {
      let review
      if (variant === 'all-bad') {
        review = sliceReview(n, 'allowed')
        review.request.object = endpointSlice(n)
        for (const ep of review.request.object.endpoints) ep.addresses = ['127.0.0.1']
      } else {
        review = sliceReview(n, variant)
      }
      const body = JSON.stringify(review)
      const perSecond = median3([body], (b) => reviewAdmission(b, policies, context, 'validate', judging), ms)
      row[variant] = { perSecond, usPerReview: 1e6 / perSecond, usPerEndpoint: 1e6 / perSecond / n, bytes: body.length }
    }
    bySize.push(row)
  }

  // Policy count: the bundled set, then 2, 4 and 8 copies of it (renamed ids), on the same mix.
  const [sources, meta] = await Promise.all([readPolicySources([path.join(repoRoot, 'schemas', 'policies')]), readMetaSchema()])
  const byPolicies = []
  for (const copies of quick ? [1, 2, 4] : [1, 2, 4, 8]) {
    const all = []
    for (let c = 0; c < copies; c++) {
      for (const s of sources) {
        if (c === 0) {
          all.push(s)
          continue
        }
        const doc = JSON.parse(s.text)
        doc.id = `${doc.id}-copy${c}`
        all.push({ file: s.file.replace(/\.json$/, `-copy${c}.json`), text: JSON.stringify(doc) })
      }
    }
    const set = compilePolicies(all, meta, 'bench')
    const perSecond = median3(bodies, (b) => reviewAdmission(b, set, context, 'validate', judging), ms)
    byPolicies.push({ policies: set.policies.length, perSecond, usPerReview: 1e6 / perSecond })
  }
  // Many violations in one object: 100 endpoints with 10, 30 and 100 loopback addresses each (all within the
  // Kubernetes limits of 1000 endpoints x 100 addresses). One call each: the cost grows with the square of the
  // number of violations (see docs/performance.md), so this row is timed once, not in a loop.
  const byViolations = []
  for (const perEndpoint of quick ? [10, 30] : [10, 30, 100]) {
    const review = sliceReview(100, 'allowed')
    for (const ep of review.request.object.endpoints) ep.addresses = Array.from({ length: perEndpoint }, () => '127.0.0.1')
    const body = JSON.stringify(review)
    const started = performance.now()
    const outcome = reviewAdmission(body, policies, context, 'validate', judging)
    const ms = performance.now() - started
    byViolations.push({ addresses: 100 * perEndpoint, ms, usPerAddress: (ms * 1000) / (100 * perEndpoint), allowed: outcome.review?.response.allowed })
  }
  return { byViolations, mix: { handleReview: mixHandle, decide: mixDecide, mutate: mixMutate, entries: mix.length }, bySize, byPolicies }
}

/** Least-squares line through (xs, ys): slope, intercept and r². */
export function linearFit(xs, ys) {
  const n = xs.length
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my)
    sxx += (xs[i] - mx) ** 2
  }
  const slope = sxy / sxx
  const intercept = my - slope * mx
  let ssRes = 0
  let ssTot = 0
  for (let i = 0; i < n; i++) {
    ssRes += (ys[i] - (intercept + slope * xs[i])) ** 2
    ssTot += (ys[i] - my) ** 2
  }
  return { slope, intercept, r2: 1 - ssRes / ssTot }
}

/** The fit of µs per review against endpoints, and how far the per-endpoint cost grows from 100 to 1000. */
export function linearity(bySize, variant) {
  const fit = linearFit(bySize.map((r) => r.endpoints), bySize.map((r) => r[variant].usPerReview))
  // Per-endpoint cost at 1000 against 100: 1.0 is perfectly linear, 10 would be quadratic.
  const at = (e) => bySize.find((r) => r.endpoints === e)[variant].usPerEndpoint
  return { ...fit, growth100to1000: at(1000) / at(100) }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await decideBench()
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2))
  else {
    console.log(`mix (${result.mix.entries} reviews): handleReview ${Math.round(result.mix.handleReview)}/s, decide ${Math.round(result.mix.decide)}/s, mutate ${Math.round(result.mix.mutate)}/s`)
    for (const r of result.bySize) {
      console.log(`${r.endpoints} endpoints: ` + ['allowed', 'denied', 'all-bad'].map((v) => `${v} ${r[v].usPerReview.toFixed(1)} µs (${r[v].usPerEndpoint.toFixed(2)} µs/endpoint)`).join(', '))
    }
    for (const v of ['allowed', 'denied', 'all-bad']) console.log(v, linearity(result.bySize, v))
    for (const r of result.byPolicies) console.log(`${r.policies} policies: ${Math.round(r.perSecond)}/s (${r.usPerReview.toFixed(1)} µs)`)
  }
}
