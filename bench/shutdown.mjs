// Issue 10's shutdown that never ended, repeated: `serve` with stdout and stderr piped to this process, a keep-alive
// connection open and a body trickling, then SIGTERM and both pipes let go of in the same turn (as a parent that
// exits would). Every round must end with the process gone within --shutdown-timeout plus the flush allowance.
// (test/server/shutdown-abandoned.test.ts runs the same recipe with a vanishing API server, fewer times.)
//   node bench/shutdown.mjs            (also part of `npm run bench`, in the adversarial section)
// Knob: SHUTDOWN_ROUNDS (20).
import { pathToFileURL } from 'node:url'
import { dist, startWebhook } from './lib.mjs'
import { post } from './load.mjs'
import { contextFile, requestMix } from './mix.mjs'
import { slowUploader } from './trickle.mjs'

const shutdownTimeoutMs = 1000
const { flushAllowanceMs } = await import(dist('cli/serve.js'))

async function round(review) {
  const server = await startWebhook({ contextFile, extraArgs: ['--shutdown-timeout', String(shutdownTimeoutMs), '--body-timeout', '60000', '--request-timeout', '60000'] })
  // Node's global agent keeps this request's connection open, idle, after the answer.
  await post(server.port, review)
  const trickling = await slowUploader(server.port, review, 200)
  const exited = new Promise((r) => server.child.once('exit', () => r(performance.now())))
  const start = performance.now()
  server.child.kill('SIGTERM')
  server.child.stdout.destroy()
  server.child.stderr.destroy()
  const killer = setTimeout(() => server.child.kill('SIGKILL'), 30_000)
  const end = await exited
  clearTimeout(killer)
  trickling.destroy()
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
