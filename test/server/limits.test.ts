import { readFileSync } from 'node:fs'
import path from 'node:path'
import pino, { type Logger } from 'pino'
import t, { type Test } from 'tap'
import { parseConfig, type SettingName } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/server/serve.js'
import { capturingLogger, sample, scrape } from '../support/app.js'
import { fixturesDir } from '../support/fixtures.js'
import { post, rawConnection, requestHead, testCa, testLeaf, type Pki, type RawConnection } from '../support/https-client.js'
import { until } from '../support/wait.js'

const review = readFileSync(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json'), 'utf8')
const silent = pino({ level: 'silent' })

let pki: { ca: Pki; serving: Pki } | undefined
async function serve(t: Test, flags: Partial<Record<SettingName, string>>, logger: Logger = silent): Promise<RunningServer & { ca: string }> {
  if (pki === undefined) {
    const ca = await testCa('limits-ca')
    pki = { ca, serving: await testLeaf(ca, 'localhost') }
  }
  const dir = t.testdir({ 'tls.crt': pki.serving.cert, 'tls.key': pki.serving.key })
  const config = parseConfig('serve', 
    { port: '0', probePort: '0', host: '127.0.0.1', tlsCertFile: path.join(dir, 'tls.crt'), tlsKeyFile: path.join(dir, 'tls.key'), ...flags },
    {},
  )
  const server = await startServer(config, logger)
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

t.test('slow uploaders hold no concurrency slot: 50 trickling bodies, --max-concurrent 4, everyone else served', async (t) => {
  const server = await serve(t, { maxConcurrent: '4', bodyTimeout: '3000', requestTimeout: '60000', headersTimeout: '60000' })
  const send = () => post({ port: server.admissionPort, ca: server.ca, path: '/validate', body: review })
  const slow = await Promise.all(Array.from({ length: 50 }, () => rawConnection({ port: server.admissionPort, ca: server.ca })))
  for (const conn of slow) conn.socket.write(requestHead('/validate', review.length))
  const trickles = slow.map((conn) => trickle(conn, 200, review))
  await until('all 50 to be receiving', async () => sample(await scrape(server.probePort), 'endpoint_guard_admission_receiving') === 50)

  // While they trickle: real answers, not 503, in batches of the concurrency limit and one by one.
  const answers = [...(await Promise.all([send(), send(), send(), send()])), await send(), await send()]
  t.same(answers.map((r) => r.status), [200, 200, 200, 200, 200, 200], 'ordinary requests are answered')
  t.ok(answers.every((r) => (JSON.parse(r.body) as { response?: { uid?: string } }).response?.uid === '6f1c1f7e-0001-4c1e-9a55-1d2b3c4d5e01'), 'with their AdmissionReview')

  // Then the slow ones are cut off by --body-timeout (not by --request-timeout, a minute here), told why.
  await until('the slow uploaders to be cut off', () => slow.every((c) => c.isClosed()), 30_000)
  for (const [i, conn] of slow.entries()) {
    t.ok(trickles[i]!.stop() < review.length, 'cut off before the body was complete')
    t.ok(cutOff(conn.received()), `no answer but a 408 (${JSON.stringify(conn.received().slice(0, 40))})`)
  }
  const metrics = await scrape(server.probePort)
  t.equal(sample(metrics, 'endpoint_guard_body_timeouts_total'), 50, 'counted as body timeouts')
  t.equal(sample(metrics, 'endpoint_guard_admission_receiving'), 0)
  t.equal(sample(metrics, 'endpoint_guard_overload_rejections_total'), 0, 'nobody got a 503')
})

t.test('a client that hangs up mid-body: a debug line and a counter, no error', async (t) => {
  const { logger, lines } = capturingLogger('debug')
  const server = await serve(t, {}, logger)
  const quitters = await Promise.all([1, 2, 3].map(() => rawConnection({ port: server.admissionPort, ca: server.ca })))
  for (const conn of quitters) conn.socket.write(requestHead('/validate', review.length) + review.slice(0, 100))
  await until('the quitters to be receiving', async () => sample(await scrape(server.probePort), 'endpoint_guard_admission_receiving') === 3)
  for (const conn of quitters) conn.socket.destroy()
  await until('the aborts to be counted', async () => sample(await scrape(server.probePort), 'endpoint_guard_client_aborts_total') === 3)
  const aborts = lines().filter((l) => l.msg === 'client hung up before the request body was complete')
  t.equal(aborts.length, 3, 'one debug line each')
  t.ok(aborts.every((l) => l.level === 20 && l.err === undefined), 'at debug, without a stack')
  t.same(lines().filter((l) => Number(l.level) >= 50), [], 'nothing at error')
  t.equal(sample(await scrape(server.probePort), 'endpoint_guard_admission_receiving'), 0, 'no slot or entry leaked')
  t.equal((await post({ port: server.admissionPort, ca: server.ca, path: '/validate', body: review })).status, 200, 'still serving')
})

t.test('a request without a Host header gets 400 in the JSON shape', async (t) => {
  const server = await serve(t, {})
  const conn = await rawConnection({ port: server.admissionPort, ca: server.ca })
  conn.socket.write(`POST /validate HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${review.length}\r\n\r\n${review}`)
  const answer = await until('the answer', () => /\r\n\r\n\{.*\}$/s.test(conn.received()) && conn.received())
  t.match(answer, /^HTTP\/1\.1 400 /)
  t.same(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), {
    statusCode: 400,
    code: 'EG_BAD_HTTP',
    error: 'Bad Request',
    message: 'The request is not valid HTTP/1.1.',
  })
  await until('the connection to be closed', () => conn.isClosed())
})

t.test('overload: more complete requests in one turn than --max-concurrent get 503 EG_OVERLOADED, then the server recovers', async (t) => {
  const server = await serve(t, { maxConcurrent: '2' })
  const send = () => post({ port: server.admissionPort, ca: server.ca, path: '/validate', body: review })

  // Twenty whole requests written in the same turn, on connections opened beforehand: they arrive together, and
  // only two may be evaluated or answered at once.
  const overloaded = await until('a burst to exceed the limit', async () => {
    const burst = await Promise.all(Array.from({ length: 20 }, () => rawConnection({ port: server.admissionPort, ca: server.ca })))
    for (const conn of burst) conn.socket.write(requestHead('/validate', review.length) + review)
    const answers = await Promise.all(burst.map((conn) => until('an answer', () => /\r\n\r\n\{.*\}$/s.test(conn.received()) && conn.received())))
    for (const conn of burst) conn.socket.destroy()
    t.ok(answers.every((a) => /^HTTP\/1\.1 (200|503) /.test(a)), 'each answered 200 or 503')
    return answers.find((a) => /^HTTP\/1\.1 503 /.test(a))
  })
  t.same(JSON.parse(overloaded.slice(overloaded.indexOf('\r\n\r\n') + 4)), {
    statusCode: 503,
    code: 'EG_OVERLOADED',
    error: 'Service Unavailable',
    message: 'The webhook is at its limit of 2 concurrent requests; retry shortly.',
  })
  t.match(overloaded, /\r\nretry-after: 1\r\n/i)
  t.ok(sample(await scrape(server.probePort), 'endpoint_guard_overload_rejections_total') >= 1, 'counted')
  const both = await Promise.all([send(), send()])
  t.same(both.map((r) => r.status), [200, 200], 'both slots are free again')
})
