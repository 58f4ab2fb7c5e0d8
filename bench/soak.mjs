// Soak: a few minutes at 80% of the webhook's maximum throughput, RSS sampled every second.
//   node bench/soak.mjs            (or npm run bench -- soak)
//   SOAK_SECONDS=180  length of the soak (default 180)      SOAK_MAX=<req/s>  skip measuring the maximum
// Pass: no errors or non-2xx, the server alive, RSS under 150 MB and no growth trend (of the post-GC troughs).
import { pinSelf, rssMb, sleep, startWebhook } from './lib.mjs'
import { loadRun } from './load.mjs'
import { bodiesWithFreshUids, contextFile, requestMix } from './mix.mjs'

const soakSeconds = Number(process.env.SOAK_SECONDS ?? 180)
const segment = 10
const log = (s) => process.stderr.write(`soak: ${s}\n`)

function slope(points) {
  const n = points.length
  const mx = points.reduce((s, p) => s + p.x, 0) / n
  const my = points.reduce((s, p) => s + p.y, 0) / n
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0)
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0)
  return sxx === 0 ? 0 : sxy / sxx
}

pinSelf(1)
const mix = requestMix()
const bodies = bodiesWithFreshUids(mix, 8).map((b) => b.body)
const server = await startWebhook({ contextFile })
try {
  let max = Number(process.env.SOAK_MAX ?? NaN)
  if (Number.isNaN(max)) {
    await loadRun({ port: server.port, bodies, duration: 2, serverPid: server.child.pid })
    max = (await loadRun({ port: server.port, bodies, duration: 5, serverPid: server.child.pid })).rps
  }
  const rate = 0.8 * max
  log(`maximum ${Math.round(max)} req/s; soaking at ${Math.round(rate)} req/s for ${soakSeconds} s`)
  const t0 = performance.now()
  const samples = []
  const timer = setInterval(() => samples.push({ x: (performance.now() - t0) / 1000, y: rssMb(server.child.pid) }), 1000)
  const segments = []
  while ((performance.now() - t0) / 1000 < soakSeconds) {
    const r = await loadRun({ port: server.port, bodies, duration: segment, overallRate: rate, serverPid: server.child.pid })
    segments.push(r)
    const rss = samples.at(-1)?.y ?? NaN
    log(`${Math.round((performance.now() - t0) / 1000)} s: ${Math.round(r.rps)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors + r.timeouts}, RSS ${rss.toFixed(1)} MB`)
    if (server.exited() !== null) break
  }
  clearInterval(timer)
  // RSS saws up and down with garbage collection; what is retained shows in the troughs. The trend is the slope
  // of each 10 s window's lowest sample over the second half of the soak.
  const troughs = []
  for (let from = 0; from < soakSeconds; from += segment) {
    const window = samples.filter((s) => s.x >= from && s.x < from + segment && !Number.isNaN(s.y))
    if (window.length > 0) troughs.push({ x: from, y: Math.min(...window.map((s) => s.y)) })
  }
  const growth = slope(troughs.filter((t) => t.x >= soakSeconds / 2)) * 60
  if (process.env.SOAK_JSON) (await import('node:fs')).writeFileSync(process.env.SOAK_JSON, JSON.stringify({ samples, troughs, segments }, null, 2))
  const maxRss = Math.max(...samples.map((s) => s.y))
  const errors = segments.reduce((s, r) => s + r.errors + r.timeouts + r.non2xx, 0)
  const requests = segments.reduce((s, r) => s + r.total, 0)
  const alive = server.exited() === null
  const p99s = segments.map((r) => r.latency.p99)
  const ok = errors === 0 && alive && maxRss < 150 && growth < 1
  const okButRss = errors === 0 && alive && growth < 1
  console.log('| soak | value |')
  console.log('|---|---|')
  console.log(`| length, rate | ${soakSeconds} s at ${Math.round(rate)} req/s (80% of ${Math.round(max)}) |`)
  console.log(`| requests, errors + non-2xx | ${requests}, ${errors} |`)
  console.log(`| p99 per ${segment} s segment (ms) | ${p99s.join(', ')} |`)
  console.log(`| RSS first / last / max | ${samples[0]?.y.toFixed(1)} / ${samples.at(-1)?.y.toFixed(1)} / ${maxRss.toFixed(1)} MB |`)
  console.log(`| RSS troughs (lowest per ${segment} s, MB) | ${troughs.map((t) => t.y.toFixed(0)).join(', ')} |`)
  console.log(`| trend of the troughs over the second half | ${growth >= 0 ? '+' : ''}${growth.toFixed(2)} MB/min |`)
  console.log(`| server alive at the end | ${alive ? 'yes' : `no: ${JSON.stringify(server.exited())}`} |`)
  console.log(`| verdict | ${ok ? 'pass' : '**fail**'} (no errors, alive, RSS < 150 MB, trough trend < 1 MB/min)${!ok && okButRss ? ': only the RSS ceiling is missed' : ''} |`)
  process.exitCode = ok ? 0 : 1
} finally {
  await sleep(100)
  await server.stop()
}
