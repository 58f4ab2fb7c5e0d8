// The "limit" server: what Node + Fastify + TLS can do on this machine with no admission logic. Same port setup as
// `endpoint-guard serve` (HTTPS with keep-alive on --port, plain-HTTP /readyz on --probe-port), the same TLS key type
// (a selfsigned RSA-2048 certificate, TLS 1.2 minimum), the same body handling (read as text, JSON.parse), and a
// constant AdmissionReview answer carrying the uid.
// With --plain-node, the same without Fastify: node:https reading the body and doing the same JSON.parse, the
// floor under any framework.
//   node bench/bare-server.mjs --port P --probe-port Q [--host 127.0.0.1] [--generated-ca-file F] [--plain-node]
import { writeFile } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import { generate } from 'selfsigned'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8443' },
    'probe-port': { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    'generated-ca-file': { type: 'string' },
    'plain-node': { type: 'boolean', default: false },
  },
})

const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' })
if (values['generated-ca-file'] !== undefined) await writeFile(values['generated-ca-file'], pems.cert)

const tlsOptions = { key: pems.private, cert: pems.cert, minVersion: 'TLSv1.2' }
const answerFor = (text) => {
  let uid = ''
  try {
    uid = JSON.parse(text)?.request?.uid ?? ''
  } catch {
    return undefined
  }
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } }
}

let server
if (values['plain-node']) {
  server = https.createServer({ ...tlsOptions, keepAliveTimeout: 120_000 }, (req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const answer = answerFor(Buffer.concat(chunks).toString())
      const text = JSON.stringify(answer ?? { statusCode: 400, message: 'not JSON' })
      res.writeHead(answer === undefined ? 400 : 200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    })
  })
  await new Promise((resolve) => server.listen(Number(values.port), values.host, resolve))
} else {
  const app = Fastify({ logger: false, bodyLimit: 7 * 1024 * 1024, keepAliveTimeout: 120_000, https: tlsOptions })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  const answer = (request, reply) => {
    const review = answerFor(request.body)
    return review === undefined ? reply.code(400).send({ statusCode: 400, message: 'not JSON' }) : reply.send(review)
  }
  app.post('/validate', answer)
  app.post('/mutate', answer)
  await app.listen({ port: Number(values.port), host: values.host })
  server = { close: (cb) => app.close().then(cb) }
}

let closing = false
const probes = http.createServer((req, res) => {
  res.writeHead(req.url === '/readyz' && !closing ? 200 : 503, { 'content-type': 'application/json' })
  res.end('{}')
})
probes.listen(Number(values['probe-port']), values.host)

process.once('SIGTERM', () => {
  closing = true
  probes.close()
  server.close(() => process.exit(0))
})
