// `npm run bench`: the performance table of docs/performance.md, in a few minutes on a 2-vCPU machine.
//   npm run bench                    start-up, webhook vs bare limit (throughput, latency, memory), decision cost
//   npm run bench -- serve           the servers only: start-up, throughput, latency and memory against the limits
//   npm run bench -- soak            a few minutes at 80% of max throughput, RSS sampled     (node bench/soak.mjs)
//   npm run bench -- overload        well past max, then back: 503s or bounded latency      (node bench/overload.mjs)
//   npm run bench -- fuzz            the long fuzz run of decode → decide → encode          (node bench/fuzz.mjs)
//   npm run bench -- context         the cluster context at 50,000 Services: ready time, RSS, bytes per record
//   npm run bench -- check           check: 10,000 documents in < 5 s, RSS growth up to 100,000   (BENCH_SCALE=0.1 quick)
//   npm run bench -- adversarial     issue 10's attacker objects: worst decision, cost vs size, probes, 300 slow
//                                    uploaders, repeated abandoned shutdowns (ADV_SCALE)
// Knobs (environment): BENCH_SECONDS (10, per throughput run), BENCH_ROUNDS (2), BENCH_CONNECTIONS (32),
// BENCH_WARMUP (15, seconds of load per server before the first timed run), BENCH_STARTS (5), BENCH_JSON=<file> (also write the raw results). Loopback only. Needs dist/ (built if missing).
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { adversarialBench, adversarialReport } from './adversarial.mjs'
import { checkThroughputBench, checkThroughputReport } from './check-throughput.mjs'
import { contextScaleBench, contextScaleReport } from './context-scale.mjs'
import { decideBench, decisionBeyondParse, linearity } from './decide.mjs'
import { ensureBuilt, hasTaskset, pinSelf, rssMb, sampleRss, sleep, startBare, startWebhook, waitForQuietHost } from './lib.mjs'
import { checkMix, loadRun, pacedRun } from './load.mjs'
import { bodiesWithFreshUids, contextFile, describeMix, requestMix } from './mix.mjs'

const env = (name, fallback) => (process.env[name] === undefined ? fallback : Number(process.env[name]))
const seconds = env('BENCH_SECONDS', 10)
const rounds = env('BENCH_ROUNDS', 2)
const connections = env('BENCH_CONNECTIONS', 32)
const starts = env('BENCH_STARTS', 5)
const warmUpSeconds = env('BENCH_WARMUP', 15)
const log = (s) => process.stderr.write(`bench: ${s}\n`)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const range = (xs, d = 0) => `${fmt(median(xs), d)} [${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)}]`

async function startup() {
  const times = []
  const idle = []
  for (let i = 0; i < starts; i++) {
    await waitForQuietHost({ maxWaitMs: 5_000 })
    const server = await startWebhook({ contextFile })
    times.push(server.readyMs)
    await sleep(500)
    idle.push(rssMb(server.child.pid))
    await server.stop()
    log(`start-up ${i + 1}/${starts}: ready in ${fmt(server.readyMs)} ms`)
  }
  return { readyMs: times, idleRssMb: idle }
}

/** ABCCBA runs of the three servers on one list of bodies: a slow patch of the host falls on every side. */
async function alternating(servers, bodies, label, onWebhookRss) {
  const runs = { webhook: [], bare: [], node: [] }
  const order = []
  for (let r = 0; r < rounds; r++) order.push(...(r % 2 === 0 ? ['bare', 'node', 'webhook'] : ['webhook', 'node', 'bare']))
  for (const name of order) {
    const s = servers[name]
    await waitForQuietHost({ maxWaitMs: 10_000 })
    await loadRun({ port: s.port, bodies, connections, duration: 2, serverPid: s.child.pid })
    const rss = name === 'webhook' ? sampleRss(s.child.pid) : undefined
    const result = await loadRun({ port: s.port, bodies, connections, duration: seconds, serverPid: s.child.pid })
    if (rss !== undefined) onWebhookRss(rss.stop().max)
    runs[name].push(result)
    log(`${label}, ${name}: ${fmt(result.rps)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}, server CPU ${fmt(result.cpu.server, 2)}, others ${fmt(result.cpu.others, 2)} cores`)
  }
  return runs
}

async function throughput(mix) {
  const bodies = bodiesWithFreshUids(mix, 4).map((b) => b.body)
  // The issue's own comparison: one recorded 10-endpoint EndpointSlice CREATE, every bundled policy evaluating it.
  const sliceBodies = bodiesWithFreshUids(mix.filter((e) => e.name === 'slice-10-allowed'), 64).map((b) => b.body)
  const [webhook, bare, node] = await Promise.all([startWebhook({ contextFile }), startBare(), startBare({ plainNode: true })])
  try {
    await sleep(1000)
    const idleRss = rssMb(webhook.child.pid)
    const problems = await checkMix(webhook.port, mix)
    if (problems.length > 0) throw new Error(`the webhook's answers do not match the mix:\n${problems.join('\n')}`)
    log(`mix checked: ${mix.length} reviews answered as expected`)
    const servers = { webhook, bare, node }
    // Every server at full load first, until its code is optimised and its heap sized: measured from a fresh start,
    // each server reaches its steady rate only after 8-12 s (the webhook's CPU per request falls from ~400 to ~230 µs,
    // the limit's from ~240 to ~170), so a first timed run would be mostly warm-up, worst for whichever runs first.
    for (const [name, s] of Object.entries(servers)) {
      const warm = await loadRun({ port: s.port, bodies: [...sliceBodies, ...bodies], connections, duration: warmUpSeconds, serverPid: s.child.pid })
      log(`warm-up, ${name}: ${fmt(warm.rps)} req/s over ${warmUpSeconds} s`)
    }
    let loadRss = 0
    const keepRss = (mb) => (loadRss = Math.max(loadRss, mb))
    const sliceRuns = await alternating(servers, sliceBodies, '10-endpoint slice', keepRss)
    const runs = await alternating(servers, bodies, 'mix', keepRss)
    // Closed-loop latency at the two connection counts of the targets, on the one core the server has.
    const latencyAt = {}
    for (const n of [10, 50]) {
      await waitForQuietHost({ maxWaitMs: 10_000 })
      latencyAt[n] = await loadRun({ port: webhook.port, bodies: sliceBodies, connections: n, duration: seconds, serverPid: webhook.child.pid })
      log(`webhook at ${n} connections (10-endpoint slice): ${fmt(latencyAt[n].rps)} req/s, p50 ${latencyAt[n].latency.p50} ms, p99 ${latencyAt[n].latency.p99} ms`)
      // The limit at the same load: what this host's TLS and event loop give with no admission work at all.
      latencyAt[`bare${n}`] = await loadRun({ port: bare.port, bodies: sliceBodies, connections: n, duration: seconds, serverPid: bare.child.pid })
      log(`bare at ${n} connections (10-endpoint slice): ${fmt(latencyAt[`bare${n}`].rps)} req/s, p50 ${latencyAt[`bare${n}`].latency.p50} ms, p99 ${latencyAt[`bare${n}`].latency.p99} ms`)
      latencyAt[`mix${n}`] = await loadRun({ port: webhook.port, bodies, connections: n, duration: seconds, serverPid: webhook.child.pid })
      log(`webhook at ${n} connections (mix): ${fmt(latencyAt[`mix${n}`].rps)} req/s, p50 ${latencyAt[`mix${n}`].latency.p50} ms, p99 ${latencyAt[`mix${n}`].latency.p99} ms`)
    }
    const max = median(runs.webhook.map((r) => r.rps))
    await waitForQuietHost({ maxWaitMs: 10_000 })
    const rss = sampleRss(webhook.child.pid)
    // Half of the maximum, paced evenly (open loop), same connections; see pacedRun for why not autocannon's rate.
    const half = await pacedRun({ port: webhook.port, bodies, connections, duration: seconds, rate: max / 2 })
    loadRss = Math.max(loadRss, rss.stop().max)
    log(`webhook at ${fmt(max / 2)} req/s (paced): ${fmt(half.rps)} req/s, p50 ${half.latency.p50} ms, p99 ${half.latency.p99} ms, errors ${half.errors}, non-2xx ${half.non2xx}`)
    const bareHalf = await pacedRun({ port: bare.port, bodies, connections, duration: seconds, rate: max / 2 })
    log(`bare at ${fmt(max / 2)} req/s (paced): ${fmt(bareHalf.rps)} req/s, p50 ${bareHalf.latency.p50} ms, p99 ${bareHalf.latency.p99} ms`)
    const crashed = webhook.exited() ?? bare.exited() ?? node.exited()
    // Measured here, with no load running, on the load generator's core.
    const beyondParse = { slice: await decisionBeyondParse(sliceBodies), mix: await decisionBeyondParse(bodies) }
    return { runs, sliceRuns, half, bareHalf, max, idleRss, loadRss, crashed, latencyAt, beyondParse }
  } finally {
    await Promise.all([webhook.stop(), bare.stop(), node.stop()])
  }
}

function report({ mix, start, tp, dc, adv }) {
  const w = tp.runs.webhook
  const b = tp.runs.bare
  const wRps = w.map((r) => r.rps)
  const bRps = b.map((r) => r.rps)
  const ratio = median(wRps) / median(bRps)
  // Pairwise ratios (each webhook run against the bare run next to it) show how much of the ratio is noise.
  const pairs = w.map((r, i) => r.rps / b[i].rps)
  const nRps = tp.runs.node.map((r) => r.rps)
  const nodeRatio = median(wRps) / median(nRps)
  const nodePairs = w.map((r, i) => r.rps / tp.runs.node[i].rps)
  // CPU time the server process used per answered request: less sensitive to neighbours than req/s.
  const cpuPerReq = (runs) => median(runs.map((r) => (r.cpu.server * 1e6) / Math.max(1, r.rps)))
  const sr = tp.sliceRuns
  const sRatio = median(sr.webhook.map((r) => r.rps)) / median(sr.bare.map((r) => r.rps))
  const sNodeRatio = median(sr.webhook.map((r) => r.rps)) / median(sr.node.map((r) => r.rps))
  const errors = [...w, ...b, ...tp.runs.node, ...sr.webhook, ...sr.bare, ...sr.node, tp.half, ...Object.values(tp.latencyAt)].reduce((s, r) => s + r.errors + (r.timeouts ?? 0) + r.non2xx, 0)
  const yes = (ok) => (ok ? 'met' : '**missed**')
  const lines = []
  const p = (s = '') => lines.push(s)
  const mixInfo = describeMix(mix)
  p(`endpoint-guard bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} vCPU (${os.cpus()[0]?.model ?? '?'}), ${hasTaskset ? 'server on core 0, load generator on core 1' : 'not pinned'}`)
  p(`mix: ${mixInfo.entries} AdmissionReviews (${Object.entries(mixInfo.byKind).map(([k, n]) => `${n} ${k}`).join(', ')}; ${mixInfo.denied} denied; mean body ${fmt(mixInfo.meanBytes)} B), 4 fresh uids each`)
  p(`load: autocannon, ${connections} keep-alive TLS connections; each server warmed up with ${warmUpSeconds} s of load, then ${seconds} s per run after a 2 s warm-up, ${rounds} rounds (ABBA); half-max latency: evenly paced open-loop client, same connections`)
  p()
  p('| measure | endpoint-guard serve | bare Fastify limit | ratio | target | |')
  p('|---|---|---|---|---|---|')
  const sPairs = (limit) => sr.webhook.map((r, i) => `${fmt((r.rps / limit[i].rps) * 100)}%`).join(', ')
  p(`| throughput, 10-endpoint slice CREATE, req/s | ${range(sr.webhook.map((r) => r.rps))} | ${range(sr.bare.map((r) => r.rps))} | ${fmt(sRatio * 100)}% (pairs ${sPairs(sr.bare)}) | ≥ 80% of limit | ${yes(sRatio >= 0.8)} |`)
  p(`| the same vs bare node:https | | ${range(sr.node.map((r) => r.rps))} (node:https) | ${fmt(sNodeRatio * 100)}% (pairs ${sPairs(sr.node)}) | ≥ 45% of limit | ${yes(sNodeRatio >= 0.45)} |`)
  const sliceCpu = cpuPerReq(sr.bare)
  p(`| server CPU per request, 10-endpoint slice | ${fmt(cpuPerReq(sr.webhook))} µs | ${fmt(sliceCpu)} µs | | | |`)
  p(`| throughput, the mix, req/s (median [range]) | ${range(wRps)} | ${range(bRps)} | ${fmt(ratio * 100)}% (pairs ${pairs.map((x) => `${fmt(x * 100)}%`).join(', ')}) | ≥ 80% of limit | ${yes(ratio >= 0.8)} |`)
  const wCpu = cpuPerReq(w)
  const bCpu = cpuPerReq(b)
  p(`| the mix vs bare node:https (same JSON.parse) | ${range(wRps)} | ${range(nRps)} (node:https) | ${fmt(nodeRatio * 100)}% (pairs ${nodePairs.map((x) => `${fmt(x * 100)}%`).join(', ')}) | ≥ 45% of limit | ${yes(nodeRatio >= 0.45)} |`)
  // Each target with its measured figure and the ratio of the figure to its limit (≥ 1 for a floor, ≤ 1 for a ceiling).
  const targets = [
    ['throughput ÷ bare Fastify, 10-endpoint slice', sRatio, 0.8, 'floor'],
    ['throughput ÷ bare node:https, 10-endpoint slice', sNodeRatio, 0.45, 'floor'],
    ['throughput ÷ bare Fastify, the mix', ratio, 0.8, 'floor'],
    ['throughput ÷ bare node:https, the mix', nodeRatio, 0.45, 'floor'],
    ['p99 at 10 connections (ms), 10-endpoint slice', tp.latencyAt[10].latency.p99, 2, 'ceiling'],
    ['p99 at 50 connections (ms), 10-endpoint slice', tp.latencyAt[50].latency.p99, 10, 'ceiling'],
    ['p99 at 10 connections (ms), the mix', tp.latencyAt.mix10.latency.p99, 2, 'ceiling'],
    ['p99 at 50 connections (ms), the mix', tp.latencyAt.mix50.latency.p99, 10, 'ceiling'],
  ]
  p(`| p99 at 10 / 50 connections, 10-endpoint slice (closed loop, ${fmt(tp.latencyAt[10].rps)} / ${fmt(tp.latencyAt[50].rps)} req/s) | ${tp.latencyAt[10].latency.p99} / ${tp.latencyAt[50].latency.p99} ms | | | < 2 / < 10 ms | ${yes(tp.latencyAt[10].latency.p99 < 2 && tp.latencyAt[50].latency.p99 < 10)} |`)
  p(`| p99 at 10 / 50 connections, bare Fastify limit, 10-endpoint slice | ${tp.latencyAt.bare10.latency.p99} / ${tp.latencyAt.bare50.latency.p99} ms | | | | |`)
  // Little's law for a closed loop: N connections each waiting for its answer make the mean latency N ÷ throughput,
  // and a p99 cannot be under the mean. Under these targets only if the server answers faster than this host lets.
  const floor = (n, rps) => fmt((n / rps) * 1000, 1)
  p(`| mean latency any server must have at that load (connections ÷ req/s): webhook / bare limit, 10 / 50 connections | ${floor(10, tp.latencyAt[10].rps)} / ${floor(50, tp.latencyAt[50].rps)} ms | ${floor(10, tp.latencyAt.bare10.rps)} / ${floor(50, tp.latencyAt.bare50.rps)} ms | | p99 ≥ this | |`)
  p(`| p99 at 10 / 50 connections, the mix | ${tp.latencyAt.mix10.latency.p99} / ${tp.latencyAt.mix50.latency.p99} ms | | | < 2 / < 10 ms | ${yes(tp.latencyAt.mix10.latency.p99 < 2 && tp.latencyAt.mix50.latency.p99 < 10)} |`)
  p(`| server CPU per request, the mix (median) | ${fmt(wCpu)} µs | ${fmt(bCpu)} µs | ${fmt((bCpu / wCpu) * 100)}% (limit ÷ webhook) | | |`)
  // A ceiling on the throughput ratio that no server layer can beat: the webhook does at least what the limit does
  // (its CPU per request) plus the decision, measured warm in-process (the best case).
  const ceiling = { slice: sliceCpu / (sliceCpu + tp.beyondParse.slice), mix: bCpu / (bCpu + tp.beyondParse.mix) }
  p(`| the decision beyond JSON.parse, in-process, µs per review: slice / mix | ${fmt(tp.beyondParse.slice, 1)} / ${fmt(tp.beyondParse.mix, 1)} µs | | | | |`)
  p(`| highest throughput ratio that decision allows (limit CPU ÷ (limit CPU + decision)): slice / mix | | | ${fmt(ceiling.slice * 100)}% / ${fmt(ceiling.mix * 100)}% | ≥ 80% for the target to be reachable | ${ceiling.mix >= 0.8 ? 'room left for the server layer' : '**the mix target is out of reach**'} |`)
  const wl = w[Math.floor(w.length / 2)].latency
  const bl = b[Math.floor(b.length / 2)].latency
  p(`| latency at max, p50 / p99 | ${wl.p50} / ${wl.p99} ms | ${bl.p50} / ${bl.p99} ms | | | |`)
  p(`| latency at half of max (${fmt(tp.max / 2)} req/s, paced), p50 / p99 | ${tp.half.latency.p50} / ${tp.half.latency.p99} ms (${fmt(tp.half.rps)} req/s) | ${tp.bareHalf.latency.p50} / ${tp.bareHalf.latency.p99} ms | | p99 < 5 ms | ${yes(tp.half.latency.p99 < 5)} |`)
  p(`| errors, timeouts, non-2xx (all runs) | ${errors} | | | 0 | ${yes(errors === 0 && !tp.crashed)} |`)
  p(`| RSS idle / under load | ${fmt(tp.idleRss)} / ${fmt(tp.loadRss)} MB | | | < 150 MB under load | ${yes(tp.loadRss < 150)} |`)
  p(`| start-up, spawn → /readyz 200 (${starts} starts) | ${range(start.readyMs)} ms | | | < 1,500 ms | ${yes(median(start.readyMs) < 1500)} |`)
  p(`| CPU of other processes during the runs | ${fmt(median([...w, ...b, ...tp.runs.node].map((r) => r.cpu.others)), 2)} cores (median) | | | ~0 | |`)
  p()
  p('| target (issue 14, default settings) | measured | limit | measured ÷ limit | |')
  p('|---|---|---|---|---|')
  for (const [name, value, limit, kind] of targets) {
    p(`| ${name} | ${fmt(value, 2)} | ${kind === 'floor' ? '≥' : '<'} ${limit} | ${fmt(value / limit, 2)} | ${yes(kind === 'floor' ? value >= limit : value < limit)} |`)
  }
  // `npm run bench -- serve` stops here: the servers only.
  if (dc === undefined) return lines.join('\n')
  const lin = linearity(dc.bySize, 'allowed')
  const linDenied = linearity(dc.bySize, 'all-bad')
  p()
  p(`decision cost, in-process, one core: reviewAdmission() (decode → decide → respond) on the mix ${fmt(dc.mix.handleReview)} reviews/s; decide() alone ${fmt(dc.mix.decide)}/s (validate), ${fmt(dc.mix.mutate)}/s (mutate)`)
  p()
  p('| endpoints in the slice | allowed: µs/review (µs/endpoint) | one loopback address (denied) | every address loopback (denied) |')
  p('|---|---|---|---|')
  for (const r of dc.bySize) {
    const c = (v) => `${fmt(r[v].usPerReview, 1)} (${fmt(r[v].usPerEndpoint, 2)})`
    p(`| ${fmt(r.endpoints)} | ${c('allowed')} | ${c('denied')} | ${c('all-bad')} |`)
  }
  const linearOk = lin.r2 >= 0.98 && lin.growth100to1000 <= 1.5 && linDenied.growth100to1000 <= 1.5
  p(`| linear? | slope ${fmt(lin.slope, 2)} µs/endpoint, r² ${fmt(lin.r2, 4)}, per-endpoint cost 100→1000 ×${fmt(lin.growth100to1000, 2)} | | ×${fmt(linDenied.growth100to1000, 2)} | linear (×≤1.5) | ${yes(linearOk)} |`)
  p()
  p('| loopback addresses in one slice (100 endpoints) | handleReview, one call | µs per address |')
  p('|---|---|---|')
  for (const r of dc.byViolations) p(`| ${fmt(r.addresses)} | ${fmt(r.ms)} ms | ${fmt(r.usPerAddress, 1)} |`)
  p()
  p('| loaded policies | reviews/s on the mix | µs/review |')
  p('|---|---|---|')
  for (const r of dc.byPolicies) p(`| ${r.policies} | ${fmt(r.perSecond)} | ${fmt(r.usPerReview, 1)} |`)
  p()
  // The worst case beside the throughput: what one attacker's object costs every other request.
  p(adversarialReport(adv))
  return lines.join('\n')
}

const command = process.argv[2] ?? 'all'
ensureBuilt()
if (command === 'soak') await import('./soak.mjs')
else if (command === 'overload') await import('./overload.mjs')
else if (command === 'fuzz') {
  const { fuzz } = await import('./fuzz.mjs')
  const rows = await fuzz()
  console.log(`fuzz: ${rows.reduce((s, r) => s + r.runs, 0)} cases, no failures, ${rows.reduce((s, r) => s + r.seconds, 0).toFixed(1)} s`)
} else if (command === 'decide') {
  await import('./decide.mjs').then((m) => m.decideBench()).then((r) => console.log(JSON.stringify(r, null, 2)))
} else if (command === 'context') {
  console.log(contextScaleReport(await contextScaleBench()))
} else if (command === 'check') {
  console.log(checkThroughputReport(await checkThroughputBench()))
} else if (command === 'serve') {
  pinSelf(1)
  const mix = requestMix()
  const start = await startup()
  console.log(report({ mix, start, tp: await throughput(mix) }))
} else if (command === 'adversarial') {
  console.log(adversarialReport(await adversarialBench()))
} else if (command === 'all') {
  const t0 = performance.now()
  // The load generator (this process) on core 1; the servers are started on core 0.
  pinSelf(1)
  const mix = requestMix()
  log(`waiting for a quiet host (other processes using ${fmt(await waitForQuietHost(), 2)} cores)`)
  const start = await startup()
  const tp = await throughput(mix)
  log('decision cost...')
  const dc = await decideBench()
  log('cluster context at scale...')
  const context = await contextScaleBench()
  log('check throughput...')
  const check = await checkThroughputBench()
  log('adversarial objects...')
  const adv = await adversarialBench()
  const table = [report({ mix, start, tp, dc, adv }), '', '| target | figure | limit | ratio |', '|---|---|---|---|', contextScaleReport(context), checkThroughputReport(check)].join('\n')
  console.log(table)
  console.log(`\n(${fmt((performance.now() - t0) / 1000)} s)`)
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ start, tp, dc, context, check, adv, table }, null, 2))
} else {
  console.error(`unknown bench command ${command}: use all, serve, soak, overload, fuzz, decide, context, check or adversarial`)
  process.exitCode = 2
}
