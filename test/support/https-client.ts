import https from 'node:https'
import tls, { type TLSSocket } from 'node:tls'
import { generate } from 'selfsigned'

export interface HttpsResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  reusedSocket: boolean
  /** SHA-256 fingerprint of the certificate the server presented on this connection */
  fingerprint: string
}

/** One POST over real TLS; the agent decides about keep-alive. */
export function post(options: { port: number; ca: string; path: string; body: string; agent?: https.Agent; cert?: string; key?: string }): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path,
        method: 'POST',
        ca: options.ca,
        servername: 'localhost',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) },
        ...(options.agent === undefined ? { agent: false } : { agent: options.agent }),
        ...(options.cert === undefined ? {} : { cert: options.cert, key: options.key }),
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), reusedSocket: req.reusedSocket, fingerprint }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A hand-driven HTTP/1.1-over-TLS connection, for clients that misbehave (slow, oversized, hanging up). */
export interface RawConnection {
  socket: TLSSocket
  /** everything the server sent so far */
  received(): string
  /** resolves when the server (or the test) closed the connection */
  closed: Promise<void>
  isClosed(): boolean
}

export function rawConnection(options: { port: number; ca: string }): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    let data = ''
    let done = false
    const socket = tls.connect({ host: '127.0.0.1', port: options.port, ca: options.ca, servername: 'localhost' })
    const closed = new Promise<void>((res) => socket.once('close', () => res()))
    void closed.then(() => (done = true))
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (data += chunk))
    socket.once('secureConnect', () => {
      socket.removeListener('error', reject)
      socket.on('error', () => undefined) // resets after the server cuts us off are expected
      resolve({ socket, received: () => data, closed, isClosed: () => done })
    })
    socket.once('error', reject)
  })
}

/** The request head of a POST with a JSON body of `length` bytes. */
export function requestHead(path: string, length: number): string {
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`
}

export interface Pki {
  cert: string
  key: string
}

/** EC P-256 keys: ten times faster to generate than RSA-2048, and just as real to TLS. */
const keyOptions = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const

/** A CA for tests. */
export async function testCa(commonName: string): Promise<Pki> {
  const ca = await generate([{ name: 'commonName', value: commonName }], {
    ...keyOptions,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  })
  return { cert: ca.cert, key: ca.private }
}

/** A serving (localhost, 127.0.0.1) or client certificate signed by `ca`, valid from now for `days`. */
export async function testLeaf(ca: Pki, commonName: string, options: { days?: number; client?: boolean } = {}): Promise<Pki> {
  const leaf = await generate([{ name: 'commonName', value: commonName }], {
    ...keyOptions,
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + (options.days ?? 30) * 86_400_000),
    ca: { key: ca.key, cert: ca.cert },
    extensions: options.client
      ? [{ name: 'basicConstraints', cA: false }, { name: 'extKeyUsage', clientAuth: true }]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'subjectAltName', altNames: [{ type: 2 as const, value: 'localhost' }, { type: 7 as const, ip: '127.0.0.1' }] },
        ],
  })
  return { cert: leaf.cert, key: leaf.private }
}
