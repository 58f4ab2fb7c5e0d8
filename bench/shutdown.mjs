// Issue 10's shutdown that never ended, repeated: `serve` with stdout and stderr piped to this process, a keep-alive
// connection open and a body trickling, then SIGTERM and both pipes let go of in the same turn (as a parent that
// exits would). Every round must end with the process gone within --shutdown-timeout plus the flush allowance.
// (test/server/shutdown-abandoned.test.ts runs the same recipe with a vanishing API server, fewer times.)
//   node bench/shutdown.mjs            (also part of `npm run bench`, in the adversarial section)
// Knob: SHUTDOWN_ROUNDS (20).
import https from 'node:https'
import { pathToFileURL } from 'node:url'
import tls from 'node:tls'
import { dist, startWebhook } from './lib.mjs'
import { post } from './load.mjs'
import { contextFile, requestMix } from './mix.mjs'

const shutdownTimeoutMs = 1000
const { flushAllowanceMs } = await import(dist('cli/serve.js'))

async function round(review) {
  const server = await startWebhook({ contextFile, extraArgs: ['--shutdown-timeout', String(shutdownTimeoutMs), '--body-timeout', '60000', '--request-timeout', '60000'] })
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 })
  await post(server.port, review)
  const trickling = tls.connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false })
  trickling.on('error', () => {})
  await new Promise((r) => trickling.once('secureConnect', r))
  trickling.write(`POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${review.length}\r\n\r\n${review.slice(0, 10)}`)
  const exited = new Promise((r) => server.child.once('exit', () => r(performance.now())))
  const start = performance.now()
  server.child.kill('SIGTERM')
  server.child.stdout.destroy()
  server.child.stderr.destroy()
  const killer = setTimeout(() => server.child.kill('SIGKILL'), 30_000)
  const end = await exited
  clearTimeout(killer)
  trickling.destroy()
  agent.destroy()
  return end - start
}

export async function shutdownBench({ rounds = Number(process.env.SHUTDOWN_ROUNDS ?? 20) } = {}) {
  const review = requestMix().find((e) => e.name === 'slice-10-allowed').body
  const times = []
  for (let i = 0; i < rounds; i++) times.push(await round(review))
  const limit = shutdownTimeoutMs + flushAllowanceMs
  const result = { rounds, maxMs: Math.max(...times), medianMs: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)], late: times.filter((t) => t > limit + 500).length, limitMs: limit }
  process.stderr.write(`bench shutdown: ${rounds} rounds, exit after SIGTERM median ${result.medianMs.toFixed(0)} ms, max ${result.maxMs.toFixed(0)} ms, ${result.late} late\n`)
  return result
}

export function shutdownReport(r) {
  return `| SIGTERM with the log pipes let go, a keep-alive connection and a trickling body (${r.rounds} rounds, --shutdown-timeout ${(r.limitMs - flushAllowanceMs) / 1000} s) | | exit after median ${r.medianMs.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms | ${r.late} rounds late | | every round gone within ${r.limitMs / 1000} s (+0.5 s) | ${r.late === 0 ? 'met' : '**missed**'} |`
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(shutdownReport(await shutdownBench()))
}
