// Overload: normal load, then far past the maximum (many more connections than --max-concurrent, no rate limit),
// then normal load again. The server must shed with clear 503s (or keep latency bounded), never crash, and be
// back to normal latency as soon as the flood stops.
//   node bench/overload.mjs        (or npm run bench -- overload)
//   OVERLOAD_CONNECTIONS=1000  OVERLOAD_SECONDS=15  OVERLOAD_MAX_CONCURRENT=<n> (passed as --max-concurrent)
import http from 'node:http'
import { pinSelf, sleep, startWebhook } from './lib.mjs'
import { loadRun, pacedRun, post } from './load.mjs'
import { bodiesWithFreshUids, contextFile, requestMix } from './mix.mjs'

const floodConnections = Number(process.env.OVERLOAD_CONNECTIONS ?? 1000)
const floodSeconds = Number(process.env.OVERLOAD_SECONDS ?? 15)
const maxConcurrent = process.env.OVERLOAD_MAX_CONCURRENT
const log = (s) => process.stderr.write(`overload: ${s}\n`)

const ready = (port) =>
  new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2000 }, (res) => {
      res.resume()
      resolve(res.statusCode)
    }).on('error', () => resolve(0))
  })

pinSelf(1)
const mix = requestMix()
const bodies = bodiesWithFreshUids(mix, 4).map((b) => b.body)
const server = await startWebhook({ contextFile, extraArgs: maxConcurrent === undefined ? [] : ['--max-concurrent', maxConcurrent] })
const rows = []
// Normal load is paced evenly (open loop); autocannon's own rate limiting sends in bursts (see pacedRun).
const paced = async (options) => {
  const r = await pacedRun(options)
  return { ...r, ok: r.total - r.non2xx, statusCodes: {}, timeouts: 0 }
}
const row = (phase, r) => {
  rows.push({ phase, r })
  log(`${phase}: ${Math.round(r.rps)} req/s, 2xx ${r.ok}, 503 ${r.statusCodes?.['503']?.count ?? 0}, other non-2xx ${r.non2xx - (r.statusCodes?.['503']?.count ?? 0)}, errors ${r.errors}, timeouts ${r.timeouts}, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms`)
}
try {
  await loadRun({ port: server.port, bodies, duration: 2, serverPid: server.child.pid })
  const max = (await loadRun({ port: server.port, bodies, duration: 5, serverPid: server.child.pid })).rps
  const normal = max / 2
  row(`before: ${Math.round(normal)} req/s (half of max ${Math.round(max)})`, await paced({ port: server.port, bodies, duration: 5, rate: normal }))
  row(`flood: ${floodConnections} connections, no rate limit, ${floodSeconds} s`, await loadRun({ port: server.port, bodies, connections: floodConnections, duration: floodSeconds, timeout: 10, serverPid: server.child.pid }))
  const readyAfterFlood = await ready(server.probePort)
  for (let i = 1; i <= 3; i++) {
    row(`after ${i}: ${Math.round(normal)} req/s, 3 s`, await paced({ port: server.port, bodies, duration: 3, rate: normal }))
  }
  const probe = await post(server.port, mix[0].body)
  const alive = server.exited() === null
  const flood = rows[1].r
  const before = rows[0].r
  const after = rows[2].r
  const shed = flood.statusCodes?.['503']?.count ?? 0
  const otherBad = flood.non2xx - shed
  const recovered = after.non2xx === 0 && after.errors === 0 && after.latency.p99 <= Math.max(5, 3 * before.latency.p99)
  console.log('| phase | req/s | 2xx | 503 | other non-2xx | errors / timeouts | p50 | p99 | max |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const { phase, r } of rows) {
    const s503 = r.statusCodes?.['503']?.count ?? 0
    console.log(`| ${phase} | ${Math.round(r.rps)} | ${r.ok} | ${s503} | ${r.non2xx - s503} | ${r.errors} / ${r.timeouts} | ${r.latency.p50} ms | ${r.latency.p99} ms | ${r.latency.max} ms |`)
  }
  console.log()
  console.log(`server alive: ${alive ? 'yes' : `no ${JSON.stringify(server.exited())}`}; /readyz right after the flood: ${readyAfterFlood}; a request after: HTTP ${probe.status}`)
  console.log(`shedding: ${shed} answered 503 during the flood, ${otherBad} other non-2xx; recovered at once (first 3 s after the flood: no errors, p99 ${after.latency.p99} ms vs ${before.latency.p99} ms before): ${recovered ? 'yes' : 'NO'}`)
  const ok = alive && probe.status === 200 && otherBad === 0 && recovered
  console.log(`verdict: ${ok ? 'pass' : '**fail**'}`)
  process.exitCode = ok ? 0 : 1
} finally {
  await sleep(100)
  await server.stop()
}
