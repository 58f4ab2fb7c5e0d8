import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import pino from 'pino'
import { generate } from 'selfsigned'
import t, { type Test } from 'tap'
import { parseConfig } from '../../src/config.js'
import { startServer } from '../../src/server/serve.js'
import { fixturesDir, reviewAnswer } from '../support/fixtures.js'
import { post } from '../support/https-client.js'
import { until } from '../support/wait.js'

const review = readFileSync(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json'), 'utf8')
const silent = pino({ level: 'silent' })

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'eg-tls-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('serve with every default: generated certificate, CA file, HTTP/1.1 keep-alive, TLS >= 1.2', async (t) => {
  const dir = await tempDir(t)
  const config = parseConfig('serve', { port: '0', probePort: '0', host: '127.0.0.1', generatedCaFile: path.join(dir, 'ca.pem') }, {})
  const server = await startServer(config, silent)
  t.teardown(() => server.close())
  t.equal(server.caFile, path.join(dir, 'ca.pem'))
  const ca = readFileSync(path.join(dir, 'ca.pem'), 'utf8')

  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const first = await post({ port: server.admissionPort, ca, path: '/validate', body: review, agent })
  t.equal(first.status, 200)
  const answer = reviewAnswer(first.body)
  t.equal(answer.response.uid, '6f1c1f7e-0001-4c1e-9a55-1d2b3c4d5e01')
  t.equal(answer.response.allowed, false)
  t.match(answer.response.status?.message, 'service-external-ips: spec.externalIPs[0]: Invalid value: "1.1.1.1"')
  const second = await post({ port: server.admissionPort, ca, path: '/validate', body: review, agent })
  t.equal(second.reusedSocket, true, 'the second request reuses the keep-alive connection')

  const old = await new Promise<string>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.admissionPort, ca, servername: 'localhost', maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })
    socket.on('secureConnect', () => resolve('connected'))
    socket.on('error', (err: Error) => resolve(err.message))
  })
  t.not(old, 'connected', `a TLS 1.1 client is refused (${old})`)

  const plain = await fetch(`http://127.0.0.1:${server.probePort}/readyz`)
  t.equal(plain.status, 200)
  t.match(await plain.json(), { status: 'ready', checks: { policies: true, certificate: true, cluster: true, serving: true } })
  const live = await fetch(`http://127.0.0.1:${server.probePort}/livez`)
  t.equal(live.status, 200)
})

t.test('close() ends idle keep-alive connections at once and answers in-flight requests', async (t) => {
  const dir = await tempDir(t)
  const config = parseConfig('serve', { port: '0', probePort: '0', host: '127.0.0.1', generatedCaFile: path.join(dir, 'ca.pem') }, {})
  const server = await startServer(config, silent)
  const ca = readFileSync(path.join(dir, 'ca.pem'), 'utf8')
  const agent = new https.Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => agent.destroy())
  const answers = await Promise.all([1, 2, 3].map(() => post({ port: server.admissionPort, ca, path: '/validate', body: review, agent })))
  t.same(answers.map((a) => a.status), [200, 200, 200])
  const sockets = Object.values(agent.freeSockets).flat()
  t.ok(sockets.length > 0, 'idle keep-alive sockets are open')
  const closed = Promise.all(sockets.map((s) => new Promise<void>((resolve) => s?.once('close', () => resolve()))))

  // A request whose body is still arriving when shutdown begins is in flight: it must get its full answer.
  const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: server.admissionPort, path: '/validate', method: 'POST', ca, servername: 'localhost', agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(review) } },
      (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.write(review.slice(0, 100))
    // Shutdown begins once the request is in flight (headers in, body arriving), then the rest of the body follows.
    void until('the request to be in flight', () => server.metrics.load.receiving() === 1).then(() => {
      closing = server.close()
      req.end(review.slice(100))
    }, reject)
  })
  let closing: Promise<void> | undefined
  const last = await inFlight
  t.equal(last.status, 200, 'the in-flight request is answered')
  t.equal(reviewAnswer(last.body).response.uid, '6f1c1f7e-0001-4c1e-9a55-1d2b3c4d5e01')
  await closing
  // Well within the 120 s keep-alive timeout: the idle sockets were closed by close(), not by the timeout.
  await until('the idle keep-alive sockets to be closed', async () => {
    await closed
    return true
  })
  const after = await post({ port: server.admissionPort, ca, path: '/validate', body: review }).then(
    (r) => `HTTP ${r.status}`,
    (err: Error) => err.message,
  )
  t.notMatch(after, /^HTTP 200/, `after shutdown nothing is served (${after})`)
})

t.test('mutual TLS with --client-ca-file: a client without a certificate from that CA is refused', async (t) => {
  const dir = await tempDir(t)
  const clientCa = await generate([{ name: 'commonName', value: 'apiserver-client-ca' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true }],
  })
  const client = await generate([{ name: 'commonName', value: 'kube-apiserver' }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: clientCa.private, cert: clientCa.cert },
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', clientAuth: true }],
  })
  const caPath = path.join(dir, 'client-ca.pem')
  await import('node:fs/promises').then((fs) => fs.writeFile(caPath, clientCa.cert))
  const config = parseConfig('serve', 
    { port: '0', probePort: '0', host: '127.0.0.1', generatedCaFile: path.join(dir, 'ca.pem'), clientCaFile: caPath },
    {},
  )
  const server = await startServer(config, silent)
  t.teardown(() => server.close())
  const ca = readFileSync(path.join(dir, 'ca.pem'), 'utf8')
  const without = await post({ port: server.admissionPort, ca, path: '/validate', body: review }).then(
    (r) => `HTTP ${r.status}`,
    (err: Error) => err.message,
  )
  t.notMatch(without, /^HTTP 200/, `no client certificate: refused (${without})`)
  const withCert = await post({ port: server.admissionPort, ca, path: '/validate', body: review, cert: client.cert, key: client.private })
  t.equal(withCert.status, 200, 'the API server’s client certificate is accepted')
})
