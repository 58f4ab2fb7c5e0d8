// Issue 10's slow uploaders at full size: 300 TLS connections send their headers, then trickle their bodies a
// byte at a time, while an ordinary client sends 40 reviews, one by one and in batches. The real server
// (dist/main.js serve, every default: --max-concurrent 256, --body-timeout 5 s) must answer every ordinary review
// (no 503), cut the slow ones off with 408 at --body-timeout, and log no error for them.
//   node bench/trickle.mjs            (also part of `npm run bench`, in the adversarial section)
// Knob: TRICKLE_CONNECTIONS (300). Loopback only; bounded: the slow clients are cut off after 5 s.
import { pathToFileURL } from 'node:url'
import tls from 'node:tls'
import { sleep, startWebhook } from './lib.mjs'
import { post } from './load.mjs'
import { contextFile, requestMix } from './mix.mjs'

const log = (s) => process.stderr.write(`bench trickle: ${s}\n`)

/** A TLS connection that sends the request head, then one byte of `body` every `ms`, until it is closed. */
export function slowUploader(port, body, ms) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.write(`POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`)
      let sent = 0
      let received = ''
      let closed = false
      const timer = setInterval(() => {
        if (!closed && sent < body.length) socket.write(body[sent++])
      }, ms)
      socket.on('data', (d) => (received += d.toString()))
      const done = new Promise((r) =>
        socket.on('close', () => {
          closed = true
          clearInterval(timer)
          r({ sent, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0) })
        }),
      )
      resolve({ done, destroy: () => socket.destroy() })
    })
    socket.on('error', (err) => reject(err))
  })
}

export async function trickleBench({ connections = Number(process.env.TRICKLE_CONNECTIONS ?? 300) } = {}) {
  const server = await startWebhook({ contextFile })
  const review = requestMix().find((e) => e.name === 'slice-10-allowed').body
  try {
    const slow = []
    for (let i = 0; i < connections; i++) slow.push(await slowUploader(server.port, review, 100))
    log(`${connections} slow uploaders connected and trickling`)
    const started = performance.now()
    // 40 ordinary reviews while they trickle: 20 one by one, then 20 at once.
    const answers = []
    const timed = async () => {
      const t0 = performance.now()
      const r = await post(server.port, review)
      answers.push({ status: r.status, ms: performance.now() - t0, ok: r.json?.response?.uid !== undefined })
    }
    for (let i = 0; i < 20; i++) await timed()
    await Promise.all(Array.from({ length: 20 }, timed))
    const servedWithinMs = performance.now() - started
    const results = await Promise.all(slow.map((s) => s.done))
    const cutOffMs = performance.now() - started
    const output = server.output()
    const errorLines = output.split('\n').filter((l) => l.includes('"level":"error"')).length
    const result = {
      connections,
      ordinary: answers.length,
      served: answers.filter((a) => a.status === 200 && a.ok).length,
      overloaded: answers.filter((a) => a.status === 503).length,
      maxMs: Math.max(...answers.map((a) => a.ms)),
      medianMs: answers.map((a) => a.ms).sort((a, b) => a - b)[Math.floor(answers.length / 2)],
      servedWithinMs,
      slowCutOff: results.filter((r) => r.status === 408 || r.status === 0).length,
      slow408: results.filter((r) => r.status === 408).length,
      slowComplete: results.filter((r) => r.sent >= review.length).length,
      cutOffMs,
      errorLines,
    }
    log(`${result.served}/${result.ordinary} ordinary reviews answered (median ${result.medianMs.toFixed(0)} ms, max ${result.maxMs.toFixed(0)} ms, ${result.overloaded} 503); ${result.slow408}/${connections} slow uploaders cut off with 408 after ${(cutOffMs / 1000).toFixed(1)} s; ${errorLines} error lines`)
    return result
  } finally {
    await server.stop()
  }
}

export function trickleReport(r) {
  const met = r.served === r.ordinary && r.overloaded === 0 && r.slowComplete === 0 && r.errorLines === 0
  return `| ${r.connections} slow uploaders trickling bodies (serve, every default) | | ordinary reviews meanwhile: ${r.served}/${r.ordinary} answered, median ${r.medianMs.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms, ${r.overloaded} × 503 | ${r.slow408} cut off with 408 after ${(r.cutOffMs / 1000).toFixed(1)} s, ${r.errorLines} error log lines | | all answered, no 503 | ${met ? 'met' : '**missed**'} |`
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(trickleReport(await trickleBench()))
}
