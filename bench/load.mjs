// Load generation with autocannon (in this process; the server runs in another, on the other core), over TLS with
// keep-alive, cycling through a list of request bodies. Also: CPU accounting so a run can say how busy the
// neighbours were, and a one-by-one correctness check of the mix against a running server.
import { readFileSync } from 'node:fs'
import https from 'node:https'
import os from 'node:os'
import autocannon from 'autocannon'
import { hostBusyCores, sleep } from './lib.mjs'

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return NaN
  }
}

function hostCpuSeconds() {
  const [, ...f] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const n = f.map(Number)
  const idle = n[3] + n[4]
  return (n.reduce((a, b) => a + b, 0) - idle) / 100
}

/**
 * One autocannon run. `bodies` are request bodies (strings) sent in turn on each connection. Returns req/s,
 * latency percentiles (ms), status counts and, given serverPid, the CPU the server and the rest of the host used.
 */
export async function loadRun({ port, bodies, path = '/validate', connections = 32, duration = 10, overallRate, serverPid, timeout = 10 }) {
  const requests = bodies.map((body) => ({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body }))
  const before = { host: hostCpuSeconds(), server: cpuSeconds(serverPid), self: process.cpuUsage(), t: performance.now() }
  const result = await autocannon({
    url: `https://127.0.0.1:${port}`,
    connections,
    duration,
    timeout,
    requests,
    ...(overallRate === undefined ? {} : { overallRate: Math.max(1, Math.round(overallRate)) }),
  })
  const seconds = (performance.now() - before.t) / 1000
  const selfCpu = process.cpuUsage(before.self)
  const server = (cpuSeconds(serverPid) - before.server) / seconds
  const self = (selfCpu.user + selfCpu.system) / 1e6 / seconds
  const host = (hostCpuSeconds() - before.host) / seconds
  return {
    rps: result.requests.average,
    total: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    statusCodes: result.statusCodeStats,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
    cpu: { server, loadGenerator: self, others: Math.max(0, host - server - self), cores: os.cpus().length },
    duration: result.duration,
  }
}

/** POSTs one body over TLS and returns { status, json }. */
export function post(port, body, path = '/validate', headers = { 'content-type': 'application/json' }, timeout = 10_000) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, method: 'POST', headers, rejectUnauthorized: false, timeout }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        let json
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode, json, text })
      })
    })
    req.on('error', reject)
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.end(body)
  })
}

/** Every mix entry once against the real server: 200, uid echoed, allowed as expected. Returns the problems. */
export async function checkMix(port, mix) {
  const problems = []
  for (const entry of mix) {
    const { status, json } = await post(port, entry.body)
    const response = json?.response
    if (status !== 200) problems.push(`${entry.name}: HTTP ${status}`)
    else if (response?.uid !== entry.review.request.uid) problems.push(`${entry.name}: uid not echoed`)
    else if (entry.expectAllowed !== undefined && response.allowed !== entry.expectAllowed) {
      problems.push(`${entry.name}: allowed ${response.allowed}, expected ${entry.expectAllowed}`)
    }
  }
  return problems
}

export { hostBusyCores, sleep }

/**
 * Latency at a fixed rate, open loop: requests are due every 1/rate s whatever the answers do, sent over up to
 * `connections` keep-alive TLS connections, and each latency counts from when the request was due (so queueing in
 * the client counts too — no coordinated omission). autocannon's overallRate is not used for this: it sends each
 * connection's per-second quota back to back at the start of every second and corrects latencies with a 1 ms
 * expected interval, which turns a smooth 50% load into bursts at 100% and inflates p99 even for the bare server.
 */
export async function pacedRun({ port, bodies, rate, duration = 10, connections = 32, path = '/validate' }) {
  const agent = new https.Agent({ keepAlive: true, maxSockets: connections, rejectUnauthorized: false })
  const latencies = []
  let errors = 0
  let non2xx = 0
  let sent = 0
  const pending = new Set()
  const total = Math.floor(rate * duration)
  const interval = 1000 / rate
  let start = performance.now()
  const fire = (due, body) => {
    const p = new Promise((resolve) => {
      const req = https.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
        res.resume()
        res.on('end', () => {
          if (res.statusCode < 200 || res.statusCode > 299) non2xx++
          latencies.push(performance.now() - due)
          resolve()
        })
      })
      req.on('error', () => {
        errors++
        resolve()
      })
      req.on('timeout', () => req.destroy(new Error('timeout')))
      req.end(body)
    })
    pending.add(p)
    p.then(() => pending.delete(p))
  }
  // Open the connections first (TLS handshakes), so the timed part starts with warm sockets.
  for (let i = 0; i < connections; i++) fire(performance.now(), bodies[i % bodies.length])
  await Promise.all([...pending])
  latencies.length = 0
  errors = 0
  non2xx = 0
  start = performance.now()
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1)
    while (sent < due) {
      fire(start + sent * interval, bodies[sent % bodies.length])
      sent++
    }
    await sleep(1)
  }
  await Promise.all([...pending])
  agent.destroy()
  const seconds = (performance.now() - start) / 1000
  latencies.sort((a, b) => a - b)
  const q = (f) => (latencies.length === 0 ? NaN : Math.round(latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] * 100) / 100)
  return { rps: latencies.length / seconds, total: latencies.length, errors, non2xx, latency: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) } }
}
