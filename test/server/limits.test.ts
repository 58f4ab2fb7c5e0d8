import { readFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import t, { type Test } from 'tap'
import { parseConfig, type SettingName } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { sample, scrape } from '../support/app.js'
import { fixturesDir } from '../support/fixtures.js'
import { post, rawConnection, requestHead, testCa, testLeaf, type Pki, type RawConnection } from '../support/https-client.js'
import { until } from '../support/wait.js'

const review = readFileSync(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json'), 'utf8')
const silent = pino({ level: 'silent' })

let pki: { ca: Pki; serving: Pki } | undefined
async function serve(t: Test, flags: Partial<Record<SettingName, string>>): Promise<RunningServer & { ca: string }> {
  if (pki === undefined) {
    const ca = await testCa('limits-ca')
    pki = { ca, serving: await testLeaf(ca, 'localhost') }
  }
  const dir = t.testdir({ 'tls.crt': pki.serving.cert, 'tls.key': pki.serving.key })
  const config = parseConfig('serve', 
    { port: '0', probePort: '0', host: '127.0.0.1', tlsCertFile: path.join(dir, 'tls.crt'), tlsKeyFile: path.join(dir, 'tls.key'), ...flags },
    {},
  )
  const server = await startServer(config, silent)
  t.teardown(() => server.close())
  return Object.assign(server, { ca: pki.ca.cert })
}

/** Writes a byte every `ms` until the connection closes; returns how many it wrote. */
function trickle(conn: RawConnection, ms: number, text: string): { stop(): number } {
  let sent = 0
  const timer = setInterval(() => {
    if (conn.isClosed() || sent >= text.length) return
    conn.socket.write(text[sent++] ?? '')
  }, ms)
  return {
    stop() {
      clearInterval(timer)
      return sent
    },
  }
}

/** Either closed without a word or told why: 408 with the catalogue's JSON body. */
const cutOff = (received: string) =>
  received === '' ||
  (/^HTTP\/1\.1 408 /.test(received) &&
    received.endsWith('\r\n\r\n{"statusCode":408,"code":"EG_TIMEOUT","error":"Request Timeout","message":"The request was not received in time."}'))

t.test('slow clients are cut off and do not hold the server', async (t) => {
  const server = await serve(t, { requestTimeout: '2000', headersTimeout: '1000', maxConcurrent: '4' })
  const send = () => post({ port: server.admissionPort, ca: server.ca, path: '/validate', body: review })

  // Headers, then a body one byte at a time: it would take minutes to arrive.
  const slowBody = await rawConnection({ port: server.admissionPort, ca: server.ca })
  slowBody.socket.write(requestHead('/validate', review.length))
  const body = trickle(slowBody, 100, review)
  // Headers one byte at a time (slowloris).
  const slowHeaders = await rawConnection({ port: server.admissionPort, ca: server.ca })
  const head = trickle(slowHeaders, 100, requestHead('/validate', review.length))
  // Connected, handshake done, never a byte of HTTP.
  const silentClient = await rawConnection({ port: server.admissionPort, ca: server.ca })

  // Meanwhile everyone else is served.
  for (let i = 0; i < 5; i++) t.equal((await send()).status, 200, `request ${i + 1} from a well-behaved client`)

  await until('the slow body to be cut off', () => slowBody.isClosed(), 30_000)
  t.ok(body.stop() < review.length, 'the server closed the connection before the body was complete')
  t.ok(cutOff(slowBody.received()), `no answer but a 408 (${JSON.stringify(slowBody.received().slice(0, 40))})`)
  await until('the slow headers to be cut off', () => slowHeaders.isClosed(), 30_000)
  t.ok(head.stop() < requestHead('/validate', review.length).length, 'cut off before the headers were complete')
  t.ok(cutOff(slowHeaders.received()))
  await until('the silent connection to be closed', () => silentClient.isClosed(), 30_000)
  t.ok(cutOff(silentClient.received()))

  // Headers over Node's 16 KiB cap.
  const bigHeaders = await rawConnection({ port: server.admissionPort, ca: server.ca })
  bigHeaders.socket.write(`POST /validate HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'x'.repeat(20 * 1024)}\r\n\r\n`)
  await until('the oversized headers to be refused', () => bigHeaders.isClosed())
  t.match(bigHeaders.received(), /^HTTP\/1\.1 431 [^]*\r\n\r\n\{"statusCode":431,/)

  // The cut-off requests gave their slots back: the full --max-concurrent is available.
  const all = await Promise.all([send(), send(), send(), send()])
  t.same(all.map((r) => r.status), [200, 200, 200, 200])
})

t.test('bodies over --body-limit get 413 with the JSON error, declared or streamed', async (t) => {
  const server = await serve(t, { bodyLimit: String(64 * 1024) })
  const expected = {
    statusCode: 413,
    code: 'EG_BODY_TOO_LARGE',
    error: 'Payload Too Large',
    message: 'The request body is larger than the limit of 65536 bytes (--body-limit).',
  }
  const jsonBody = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as unknown

  // Declared: a Content-Length over the limit is refused before any of the body is read.
  const declared = await rawConnection({ port: server.admissionPort, ca: server.ca })
  declared.socket.write(requestHead('/validate', 10 * 1024 * 1024))
  const declaredAnswer = await until('the 413 answer', () => /\r\n\r\n\{.*\}$/s.test(declared.received()) && declared.received())
  t.match(declaredAnswer, /^HTTP\/1\.1 413 /)
  t.same(jsonBody(declaredAnswer), expected)
  declared.socket.destroy()

  // Streamed: chunked, no length; refused once the limit is passed.
  const streamed = await rawConnection({ port: server.admissionPort, ca: server.ca })
  streamed.socket.write('POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n')
  const chunk = 'x'.repeat(16 * 1024)
  let written = 0
  while (!/\r\n\r\n\{.*\}$/s.test(streamed.received()) && !streamed.isClosed() && written < 1024 * 1024) {
    streamed.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)
    written += chunk.length
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const streamedAnswer = await until('the 413 answer', () => /\r\n\r\n\{.*\}$/s.test(streamed.received()) && streamed.received())
  t.match(streamedAnswer, /^HTTP\/1\.1 413 /)
  t.same(jsonBody(streamedAnswer), expected)
  t.ok(written < 1024 * 1024, `refused after ${written} bytes, not after reading everything`)
  streamed.socket.destroy()

  t.equal((await post({ port: server.admissionPort, ca: server.ca, path: '/validate', body: review })).status, 200, 'still serving')
})

t.test('overload: --max-concurrent 2, the third request gets 503 EG_OVERLOADED, then the server recovers', async (t) => {
  const server = await serve(t, { maxConcurrent: '2' })
  const send = () => post({ port: server.admissionPort, ca: server.ca, path: '/validate', body: review })

  // Two requests in flight: headers sent, body still arriving.
  const held = await Promise.all([1, 2].map(() => rawConnection({ port: server.admissionPort, ca: server.ca })))
  for (const conn of held) conn.socket.write(requestHead('/validate', review.length) + review.slice(0, 100))
  const overloaded = await until('a 503 while two requests are in flight', async () => {
    const res = await send()
    return res.status === 503 && res
  })
  t.same(JSON.parse(overloaded.body), {
    statusCode: 503,
    code: 'EG_OVERLOADED',
    error: 'Service Unavailable',
    message: 'The webhook is at its limit of 2 concurrent requests; retry shortly.',
  })
  t.equal(overloaded.headers['retry-after'], '1')
  t.ok(sample(await scrape(server.probePort), 'endpoint_guard_overload_rejections_total') >= 1, 'counted')

  // The held requests complete normally.
  for (const conn of held) conn.socket.write(review.slice(100))
  for (const conn of held) {
    const answer = await until('the held request to be answered', () => /\r\n\r\n\{.*\}$/s.test(conn.received()) && conn.received())
    t.match(answer, /^HTTP\/1\.1 200 /)
    t.match(answer, /"uid":"6f1c1f7e-0001-4c1e-9a55-1d2b3c4d5e01"/)
    conn.socket.destroy()
  }

  // Clients that hang up mid-body give their slots back too.
  const quitters = await Promise.all([1, 2].map(() => rawConnection({ port: server.admissionPort, ca: server.ca })))
  for (const conn of quitters) conn.socket.write(requestHead('/validate', review.length) + review.slice(0, 100))
  await until('both quitters to be in flight', async () => (await send()).status === 503)
  for (const conn of quitters) conn.socket.destroy()
  await until('a request to be served again', async () => (await send()).status === 200)
  const both = await Promise.all([send(), send()])
  t.same(both.map((r) => r.status), [200, 200], 'both slots are free again')
})
