import { readFileSync } from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import t from 'tap'
import { ensureBuilt } from '../cli/support/cli.js'
import { sample, scrape } from '../support/app.js'
import { fixturesDir } from '../support/fixtures.js'
import { post, rawConnection, requestHead, type RawConnection } from '../support/https-client.js'
import { serveProcess } from '../support/serve-process.js'
import { until } from '../support/wait.js'

const review = readFileSync(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json'), 'utf8')
const uid = '6f1c1f7e-0001-4c1e-9a55-1d2b3c4d5e01'

const answered = (conn: RawConnection) => /\r\n\r\n\{.*\}$/s.test(conn.received()) && conn.received()

t.before(() => ensureBuilt())

t.test('SIGTERM: not ready at once, in-flight requests answered, idle keep-alive closed, exit 0', async (t) => {
  const server = await serveProcess(t, [])
  t.equal((await fetch(`http://127.0.0.1:${server.probePort}/readyz`)).status, 200)

  // Idle keep-alive connections, as the API server keeps them.
  const agent = new https.Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => agent.destroy())
  const warmup = await Promise.all([1, 2, 3, 4].map(() => post({ port: server.port, ca: server.ca, path: '/validate', body: review, agent })))
  t.same(warmup.map((r) => r.status), [200, 200, 200, 200])
  const idle = Object.values(agent.freeSockets).flat()
  t.ok(idle.length > 0, `${idle.length} idle keep-alive connections`)
  const idleClosed = Promise.all(idle.map((s) => new Promise<void>((resolve) => s?.once('close', () => resolve()))))

  // A batch of requests in flight: headers and part of the body sent, the rest to follow after SIGTERM.
  const batch = 8
  const inFlight = await Promise.all(Array.from({ length: batch }, () => rawConnection({ port: server.port, ca: server.ca })))
  for (const conn of inFlight) conn.socket.write(requestHead('/validate', review.length) + review.slice(0, 200))
  await until('all of them to be in flight', async () => sample(await scrape(server.probePort), 'endpoint_guard_admission_receiving') === batch)

  server.child.kill('SIGTERM')
  const readyz = await until('/readyz to fail', async () => {
    const status = await fetch(`http://127.0.0.1:${server.probePort}/readyz`).then(
      (r) => r.status,
      () => 'refused',
    )
    return status !== 200 && status
  })
  t.ok(readyz === 503 || readyz === 'refused', `/readyz answered ${readyz}`)
  await until('idle keep-alive connections to be closed by the server', async () => {
    await idleClosed
    return true
  })
  t.pass('idle keep-alive connections were closed while requests were still in flight')

  for (const conn of inFlight) conn.socket.write(review.slice(200))
  for (const [i, conn] of inFlight.entries()) {
    const answer = await until(`in-flight request ${i + 1} to be answered`, () => answered(conn))
    t.match(answer, /^HTTP\/1\.1 200 /, `in-flight request ${i + 1}: HTTP 200`)
    t.match(answer, /\r\nconnection: close\r\n/i, `in-flight request ${i + 1}: the connection ends with this answer`)
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { response: { uid: string; allowed: boolean } }
    t.match(body.response, { uid, allowed: false }, `in-flight request ${i + 1}: the complete AdmissionReview`)
  }

  const code = await server.exited
  t.equal(code, 0, 'exit code 0', { logs: server.logs().slice(-4) })
  const msgs = server.logs().map((l) => l.msg)
  t.ok(msgs.includes('shutting down: not ready, finishing in-flight requests, closing idle connections'))
  t.equal(msgs.at(-1), 'shut down', 'the last log line is written before exit', { last: server.logs().slice(-4) })
  t.equal(server.logs().filter((l) => l.msg === 'admission').length, 4 + batch, 'one log line per answered request')
})

t.test('SIGTERM with a request that never finishes: the process still exits within --shutdown-timeout', async (t) => {
  const server = await serveProcess(t, ['--shutdown-timeout=1500', '--request-timeout=60000', '--headers-timeout=60000'])
  const stuck = await rawConnection({ port: server.port, ca: server.ca })
  stuck.socket.write(requestHead('/validate', review.length) + review.slice(0, 10))
  await until('the request to be in flight', async () => sample(await scrape(server.probePort), 'endpoint_guard_admission_receiving') === 1)
  server.child.kill('SIGTERM')
  t.equal(await server.exited, 1, 'exit code 1: shut down with a request still open')
  t.match(server.logs().find((l) => l.msg === 'shutdown took too long; exiting with requests still open'), { level: 'error', timeoutMs: 1500 })
  stuck.socket.destroy()
})
