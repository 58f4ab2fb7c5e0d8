// Issue 10's attacker objects at full size: how long one decision takes, how cost grows with size, how big the
// answer is, and whether probes are answered while the worst one is decided.
//   node bench/adversarial.mjs            (also part of `npm run bench`; `npm run bench -- adversarial` alone)
// Knob: ADV_SCALE (1 = full size; 0.05 for a quick check). Needs dist/ (built if missing).
import http from 'node:http'
import { pathToFileURL } from 'node:url'
import { endpointsReview, ratchetedWarningsReview, selectorKeysReview } from './adversarial-objects.mjs'
import { linearFit } from './decide.mjs'
import { dist, sleep, startWebhook } from './lib.mjs'
import { post } from './load.mjs'
import { contextFile } from './mix.mjs'
import { shutdownBench, shutdownReport } from './shutdown.mjs'
import { trickleBench, trickleReport } from './trickle.mjs'

const MiB = 1024 * 1024
const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const log = (s) => process.stderr.write(`bench adversarial: ${s}\n`)

/** The uniqueBy Endpoints of issue 10 that fills `bytes`: 100,000 multicast addresses (scaled), then subsets of duplicate port names. */
function worstEndpoints(bytes, scale) {
  const addresses = Math.round(100_000 * scale)
  const base = JSON.stringify(endpointsReview({ addresses })).length
  const perSubset = JSON.stringify(endpointsReview({ addresses: 0, duplicateSubsets: 1 })).length - JSON.stringify(endpointsReview({ addresses: 0 })).length
  return endpointsReview({ addresses, duplicateSubsets: Math.max(0, Math.floor((bytes - base) / perSubset)) })
}

/** The objects, each as the AdmissionReview body the API server would send. */
export function adversarialObjects(scale = 1) {
  return [
    { name: 'Endpoints, 100k multicast + duplicate port names, < 3 MiB', review: worstEndpoints(3 * MiB * scale - 4096, scale), worst: true },
    { name: 'the same shape, 6 MiB', review: worstEndpoints(6 * MiB * scale, 2 * scale) },
    { name: 'Endpoints, 140,000 multicast addresses', review: endpointsReview({ addresses: Math.round(140_000 * scale) }) },
    { name: 'Service, 3 selector keys of 1 MiB', review: selectorKeysReview({ keyLength: Math.round(MiB * scale) }) },
    { name: 'slice UPDATE, 60 ratcheted violations', review: ratchetedWarningsReview({ count: 60 }) },
    { name: 'slice UPDATE, 1,000 ratcheted violations', review: ratchetedWarningsReview({ count: 1000 }) },
  ].map((o) => ({ ...o, body: JSON.stringify(o.review) }))
}

export async function adversarialBench({ scale = Number(process.env.ADV_SCALE ?? 1), server = true } = {}) {
  const { reviewAdmission } = await import(dist('admission/review.js'))
  const { judgingAt } = await import(dist('engine/judging.js'))
  const { loadPolicies } = await import(dist('policy-files/read.js'))
  const { loadContextFile } = await import(dist('cluster/context-file.js'))
  const [policies, context] = await Promise.all([loadPolicies(), loadContextFile(contextFile)])
  const decide = (body) => {
    const start = performance.now()
    const outcome = reviewAdmission(body, policies, context, 'validate', judgingAt(Date.now()))
    const ms = performance.now() - start
    // A 500 is an engine failure, never the answer to a readable object: a figure measured on it would be the
    // cost of failing, not of deciding.
    if (outcome.kind !== 'answer' || outcome.review.response.status?.code === 500) {
      throw new Error(`adversarial object not decided: ${JSON.stringify(outcome.review?.response.status ?? outcome.kind)}`)
    }
    return { ms, outcome }
  }

  // Each object: the first decision (cold, as an attacker gets it) and the best of two more.
  const objects = []
  for (const o of adversarialObjects(scale)) {
    const first = decide(o.body)
    const again = Math.min(decide(o.body).ms, decide(o.body).ms)
    const response = first.outcome.review.response
    const row = {
      name: o.name,
      worst: o.worst === true,
      bytes: o.body.length,
      firstMs: first.ms,
      warmMs: again,
      code: response.status?.code ?? 200,
      allowed: response.allowed,
      responseBytes: Buffer.byteLength(JSON.stringify(first.outcome.review)),
      messageBytes: Buffer.byteLength(response.status?.message ?? ''),
      warnings: response.warnings?.length ?? 0,
      warningChars: (response.warnings ?? []).reduce((n, w) => n + w.length, 0),
    }
    objects.push(row)
    log(`${row.name}: ${fmt(row.bytes / MiB, 2)} MiB, ${fmt(row.firstMs)} ms first, ${fmt(row.warmMs)} ms warm, ${row.allowed ? 'allowed' : `code ${row.code}`}, answer ${fmt(row.responseBytes)} B`)
  }

  // Cost against size: the worst shape at 1/8 ... 1 of 3 MiB.
  const bySize = []
  for (const f of [0.125, 0.25, 0.5, 0.75, 1]) {
    const body = JSON.stringify(worstEndpoints(3 * MiB * scale * f - 4096, scale * f))
    decide(body)
    // The best of three: a collection or a neighbour's burst in one run says nothing about the slope.
    const ms = Math.min(decide(body).ms, decide(body).ms, decide(body).ms)
    bySize.push({ mib: body.length / MiB, ms })
    log(`size ${fmt(body.length / MiB, 2)} MiB: ${fmt(ms)} ms`)
  }
  const fit = linearFit(bySize.map((r) => r.mib), bySize.map((r) => r.ms))

  let probes
  let trickle
  let shutdown
  if (server) {
    probes = await probesDuringDecision(objects.length > 0 ? adversarialObjects(scale)[0].body : '')
    trickle = await trickleBench({ connections: Math.max(10, Math.round(Number(process.env.TRICKLE_CONNECTIONS ?? 300) * Math.min(1, scale * 4))) })
    shutdown = await shutdownBench({ rounds: scale === 1 ? undefined : 3 })
  }
  return { scale, objects, bySize, fit, probes, trickle, shutdown }
}

function probe(port) {
  const start = performance.now()
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/livez', timeout: 30_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - start }))
    })
    req.on('error', () => resolve({ status: 0, ms: performance.now() - start }))
  })
}

/** The real server (dist/main.js serve): /livez polled every 20 ms while the worst object is decided over TLS. */
async function probesDuringDecision(body) {
  const server = await startWebhook({ contextFile })
  try {
    await post(server.port, body, '/validate', undefined, 120_000) // warm-up: compiled code paths, as for a server that has served for a while
    const probes = []
    let done = false
    const poller = (async () => {
      while (!done) {
        probes.push(await probe(server.probePort))
        await sleep(20)
      }
    })()
    const start = performance.now()
    const answer = await post(server.port, body, '/validate', undefined, 120_000)
    const decisionMs = performance.now() - start
    done = true
    await poller
    const result = {
      decisionMs,
      status: answer.status,
      code: answer.json?.response?.status?.code,
      probes: probes.length,
      failed: probes.filter((p) => p.status !== 200).length,
      maxProbeMs: Math.max(...probes.map((p) => p.ms)),
      crashed: server.exited(),
    }
    log(`server: decision over TLS ${fmt(decisionMs)} ms (HTTP ${result.status}, code ${result.code}); ${result.probes} probes, slowest ${fmt(result.maxProbeMs)} ms, ${result.failed} failed`)
    return result
  } finally {
    await server.stop()
  }
}

/** The README's adversarial table, in Markdown. */
export function adversarialReport(r) {
  const lines = []
  const p = (s = '') => lines.push(s)
  p(`adversarial objects (issue 10)${r.scale === 1 ? '' : `, ADV_SCALE=${r.scale}`}: reviewAdmission() in-process, first (cold) / best warm decision`)
  p()
  p('| object | size | decision, first / warm | answer | response size | target | |')
  p('|---|---|---|---|---|---|---|')
  for (const o of r.objects) {
    const answer = o.allowed ? `allowed, ${o.warnings} warnings (${fmt(o.warningChars)} chars)` : `${o.code}, message ${fmt(o.messageBytes)} B`
    const target = o.worst ? `< 1 s | ${o.firstMs < 1000 ? 'met' : '**missed**'}` : ' | '
    p(`| ${o.name} | ${fmt(o.bytes / MiB, 2)} MiB | ${fmt(o.firstMs)} / ${fmt(o.warmMs)} ms | ${answer} | ${fmt(o.responseBytes)} B | ${target} |`)
  }
  p(`| cost vs size (${r.bySize.map((s) => fmt(s.mib, 2)).join(', ')} MiB) | | slope ${fmt(r.fit.slope)} ms/MiB, r² ${fmt(r.fit.r2, 3)} | | | linear | ${r.fit.r2 >= 0.95 ? 'met' : '**missed**'} |`)
  if (r.probes !== undefined) {
    const ok = r.probes.failed === 0 && r.probes.maxProbeMs <= r.probes.decisionMs && r.probes.crashed === null
    p(`| probes (/livez) during the worst decision over TLS (serve) | | ${fmt(r.probes.decisionMs)} ms decision | ${r.probes.probes} probes, slowest ${fmt(r.probes.maxProbeMs)} ms, ${r.probes.failed} failed | | ≤ one decision | ${ok ? 'met' : '**missed**'} |`)
  }
  if (r.trickle !== undefined) p(trickleReport(r.trickle))
  if (r.shutdown !== undefined) p(shutdownReport(r.shutdown))
  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await adversarialBench()
  console.log(adversarialReport(r))
}
