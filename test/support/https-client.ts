import https from 'node:https'

export interface HttpsResult {
  status: number
  body: string
  reusedSocket: boolean
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
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), reusedSocket: req.reusedSocket }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}
