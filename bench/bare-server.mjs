// The "limit" server: what Node + Fastify + TLS can do on this machine with no admission logic. Same port setup as
// `endpoint-guard serve` (HTTPS with keep-alive on --port, plain-HTTP /readyz on --probe-port), the same TLS key type
// (a selfsigned RSA-2048 certificate, TLS 1.2 minimum), the same body handling (read as text, JSON.parse), and a
// constant AdmissionReview answer carrying the uid.
//   node bench/bare-server.mjs --port P --probe-port Q [--host 127.0.0.1] [--generated-ca-file F]
import { writeFile } from 'node:fs/promises'
import http from 'node:http'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import { generate } from 'selfsigned'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8443' },
    'probe-port': { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    'generated-ca-file': { type: 'string' },
  },
})

const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' })
if (values['generated-ca-file'] !== undefined) await writeFile(values['generated-ca-file'], pems.cert)

const app = Fastify({
  logger: false,
  bodyLimit: 7 * 1024 * 1024,
  keepAliveTimeout: 120_000,
  https: { key: pems.private, cert: pems.cert, minVersion: 'TLSv1.2' },
})
app.removeAllContentTypeParsers()
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body))
const answer = (request, reply) => {
  let uid = ''
  try {
    uid = JSON.parse(request.body)?.request?.uid ?? ''
  } catch {
    return reply.code(400).send({ statusCode: 400, message: 'not JSON' })
  }
  return reply.send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } })
}
app.post('/validate', answer)
app.post('/mutate', answer)
await app.listen({ port: Number(values.port), host: values.host })

let closing = false
const probes = http.createServer((req, res) => {
  res.writeHead(req.url === '/readyz' && !closing ? 200 : 503, { 'content-type': 'application/json' })
  res.end('{}')
})
probes.listen(Number(values['probe-port']), values.host)

process.once('SIGTERM', () => {
  closing = true
  probes.close()
  app.close().then(() => process.exit(0))
})
