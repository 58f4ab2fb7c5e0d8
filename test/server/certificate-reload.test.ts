import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import https from 'node:https'
import path from 'node:path'
import tls from 'node:tls'
import t from 'tap'
import { parseConfig } from '../../src/config.js'
import { startServer } from '../../src/server/serve.js'
import { capturingLogger, kubeletVolume, sample, scrape } from '../support/app.js'
import { fixturesDir } from '../support/fixtures.js'
import { post, testCa, testLeaf, type HttpsResult } from '../support/https-client.js'
import { until } from '../support/wait.js'

const review = readFileSync(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json'), 'utf8')
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256
const expiry = (pem: string) => Math.floor(new Date(new X509Certificate(pem).validTo).getTime() / 1000)
const reloaded = 'certificate reloaded; new connections use it'
const rejected = 'certificate reload rejected; the certificate in use is kept'

const describeFailure = (r: Promise<HttpsResult>) =>
  r.then(
    (res) => `HTTP ${res.status}`,
    (err: Error) => err.message,
  )

t.test('rotation under load: no failed request, new handshakes get the new pair; a bad pair is kept out', async (t) => {
  const ca = await testCa('webhook-test-ca')
  const [first, second] = await Promise.all([testLeaf(ca, 'first', { days: 30 }), testLeaf(ca, 'second', { days: 90 })])
  const dir = t.testdir()
  const secret = kubeletVolume(dir)
  await secret.write({ 'tls.crt': first.cert, 'tls.key': first.key })
  const { logger, lines } = capturingLogger()
  const config = parseConfig('serve', 
    { port: '0', probePort: '0', host: '127.0.0.1', tlsCertFile: path.join(dir, 'tls.crt'), tlsKeyFile: path.join(dir, 'tls.key') },
    {},
  )
  const server = await startServer(config, logger)
  t.teardown(() => server.close())
  t.equal(sample(await scrape(server.probePort), 'endpoint_guard_certificate_expiry_timestamp_seconds'), expiry(first.cert))

  // A client that keeps sending: new connections (one handshake per request) and one keep-alive connection.
  const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => keepAlive.destroy())
  const fresh: HttpsResult[] = []
  const reused: HttpsResult[] = []
  const failures: string[] = []
  let stop = false
  const send = async (agent: https.Agent | undefined, into: HttpsResult[]) => {
    while (!stop) {
      try {
        into.push(await post({ port: server.admissionPort, ca: ca.cert, path: '/validate', body: review, ...(agent === undefined ? {} : { agent }) }))
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
  }
  const senders = Promise.all([send(undefined, fresh), send(keepAlive, reused)])
  await until('a few requests before the rotation', () => fresh.length >= 3 && reused.length >= 3)

  await secret.write({ 'tls.crt': second.cert, 'tls.key': second.key })
  const rotatedAt = await until('a new handshake with the new certificate', () => {
    const i = fresh.findIndex((r) => r.fingerprint === fingerprint(second.cert))
    return i >= 0 ? i : undefined
  })
  const target = fresh.length + 5
  await until('more requests after the rotation', () => fresh.length >= target)
  stop = true
  await senders

  t.same(failures, [], 'no request failed during the rotation')
  t.ok([...fresh, ...reused].every((r) => r.status === 200), 'every request was answered 200')
  t.equal(fresh[0]?.fingerprint, fingerprint(first.cert), 'before: the first certificate')
  t.ok(fresh.slice(rotatedAt).every((r) => r.fingerprint === fingerprint(second.cert)), 'every handshake after the switch sees the new certificate')
  t.ok(reused.length > 3, 'the keep-alive connection kept working across the rotation')
  t.match(lines().find((l) => l.msg === reloaded), { level: 30, fingerprint256: fingerprint(second.cert), notAfter: new Date(expiry(second.cert) * 1000).toISOString() })
  let metrics = await scrape(server.probePort)
  t.equal(sample(metrics, 'endpoint_guard_certificate_expiry_timestamp_seconds'), expiry(second.cert), 'the expiry metric follows the new certificate')
  t.equal(sample(metrics, 'endpoint_guard_certificate_reloads_total', { result: 'success' }), 1)
  t.equal(sample(metrics, 'endpoint_guard_certificate_reloads_total', { result: 'failure' }), 0)

  // A mismatched pair (the certificate of one, the key of the other) is refused and the pair in use kept.
  await secret.write({ 'tls.crt': first.cert, 'tls.key': second.key })
  const mismatch = await until('the mismatch to be rejected', () => lines().find((l) => l.msg === rejected))
  t.match(mismatch, { level: 50, code: 'EG_TLS', problem: /does not match/ })
  // Half-written: the certificate cut off mid-way.
  await secret.write({ 'tls.crt': first.cert.slice(0, 400), 'tls.key': first.key })
  await until('the truncated certificate to be rejected', () => lines().filter((l) => l.msg === rejected).length === 2)
  t.match(lines().filter((l) => l.msg === rejected)[1], { problem: /not valid PEM/ })
  metrics = await scrape(server.probePort)
  t.equal(sample(metrics, 'endpoint_guard_certificate_reloads_total', { result: 'failure' }), 2)
  t.equal(sample(metrics, 'endpoint_guard_certificate_expiry_timestamp_seconds'), expiry(second.cert))
  const after = await post({ port: server.admissionPort, ca: ca.cert, path: '/validate', body: review })
  t.equal(after.status, 200)
  t.equal(after.fingerprint, fingerprint(second.cert), 'still serving the last good certificate')

  // The reloaded context keeps the TLS 1.2 floor.
  const old = await new Promise<string>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.admissionPort, ca: ca.cert, servername: 'localhost', maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })
    socket.on('secureConnect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.on('error', (err: Error) => resolve(err.message))
  })
  t.not(old, 'connected', `TLS 1.1 is still refused after a reload (${old})`)
})

t.test('the client CA for mutual TLS is reloaded too', async (t) => {
  const [serverCa, caA, caB] = await Promise.all([testCa('serving-ca'), testCa('client-ca-a'), testCa('client-ca-b')])
  const [serving, clientA, clientB] = await Promise.all([
    testLeaf(serverCa, 'serving'),
    testLeaf(caA, 'kube-apiserver', { client: true }),
    testLeaf(caB, 'kube-apiserver', { client: true }),
  ])
  const dir = t.testdir({ 'tls.crt': serving.cert, 'tls.key': serving.key, 'client-ca.crt': caA.cert })
  const { logger, lines } = capturingLogger()
  const config = parseConfig('serve', 
    {
      port: '0',
      probePort: '0',
      host: '127.0.0.1',
      tlsCertFile: path.join(dir, 'tls.crt'),
      tlsKeyFile: path.join(dir, 'tls.key'),
      clientCaFile: path.join(dir, 'client-ca.crt'),
    },
    {},
  )
  const server = await startServer(config, logger)
  t.teardown(() => server.close())
  const call = (client: { cert: string; key: string }) =>
    describeFailure(post({ port: server.admissionPort, ca: serverCa.cert, path: '/validate', body: review, cert: client.cert, key: client.key }))

  t.equal(await call(clientA), 'HTTP 200', 'a client of CA A is accepted')
  t.notMatch(await call(clientB), /^HTTP 200/, 'a client of CA B is refused')

  await writeFile(path.join(dir, 'client-ca.crt'), caB.cert)
  await until('CA B to be trusted', async () => (await call(clientB)) === 'HTTP 200')
  t.notMatch(await call(clientA), /^HTTP 200/, 'CA A is no longer trusted')
  t.match(lines().find((l) => l.msg === reloaded), { clientCa: true })

  await writeFile(path.join(dir, 'client-ca.crt'), 'not a certificate\n')
  await until('the garbled CA bundle to be rejected', () => lines().find((l) => l.msg === rejected))
  t.match(lines().find((l) => l.msg === rejected), { problem: /client CA bundle/ })
  t.equal(await call(clientB), 'HTTP 200', 'the CA in use is kept')
})
