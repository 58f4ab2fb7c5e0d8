import { X509Certificate } from 'node:crypto'
import { createSecureContext, type Server as TlsServer } from 'node:tls'
import type { Logger } from 'pino'
import { describeError, guardError, isGuardError } from '../../errors.js'
import type { Metrics } from '../metrics.js'
import { checkCaBundle, checkPair, readPemFile, secureContextOptions, type TlsMaterial } from '../tls.js'
import { changeReader, contentHash, type ReloadResult } from './read-change.js'

export interface CertificateFiles {
  /** with keyFile: the serving pair, re-read on every reload; absent for a generated certificate */
  certFile?: string
  keyFile?: string
  /** the client CA bundle for mutual TLS */
  clientCaFile?: string
}

export interface CertificateStore {
  /** the files a watcher should follow (none for a generated certificate without mTLS) */
  readonly files: readonly string[]
  /** expiry of the serving certificate in use */
  notAfter(): Date
  /** re-reads the files: a changed, usable pair is used for new handshakes; anything else keeps the one in use */
  reload(): Promise<ReloadResult>
}

function fingerprint(tls: Pick<TlsMaterial, 'cert' | 'key' | 'clientCa'>): string {
  return contentHash([tls.cert, tls.key, tls.clientCa ?? ''])
}

function describe(cert: string): { subject: string; fingerprint256: string } {
  const x509 = new X509Certificate(cert)
  return { subject: x509.subject.replace(/\n/g, ', '), fingerprint256: x509.fingerprint256 }
}

/**
 * Keeps the TLS server's certificate in step with its files. `initial` is what the server was started with; a
 * generated certificate (no cert files) is kept and only the client CA is re-read. Established connections keep
 * the context they were made with; new handshakes get the new one. A pair that does not match (e.g. the
 * certificate written before the key), a garbled file or an unreadable one is logged, counted and ignored.
 */
export function certificateStore(options: {
  server: TlsServer
  initial: TlsMaterial
  files: CertificateFiles
  logger: Logger
  metrics: Metrics
}): CertificateStore {
  const { server, files, logger, metrics } = options
  let inUse = options.initial
  metrics.certificateExpiry.set(Math.floor(inUse.notAfter.getTime() / 1000))
  const watched = [files.certFile, files.keyFile, files.clientCaFile].filter((f): f is string => f !== undefined)

  const reject = (err: unknown): ReloadResult => {
    metrics.certificateReloads.inc({ result: 'failure' })
    logger.error(
      { code: isGuardError(err) ? err.code : 'EG_TLS', problem: describeError(err), files: watched, notAfter: inUse.notAfter.toISOString() },
      'certificate reload rejected; the certificate in use is kept',
    )
    return 'rejected'
  }

  const read = async (): Promise<Pick<TlsMaterial, 'cert' | 'key' | 'clientCa'>> => {
    const [cert, key, clientCa] = await Promise.all([
      files.certFile === undefined ? inUse.cert : readPemFile(files.certFile),
      files.keyFile === undefined ? inUse.key : readPemFile(files.keyFile),
      files.clientCaFile === undefined ? undefined : readPemFile(files.clientCaFile),
    ])
    return clientCa === undefined ? { cert, key } : { cert, key, clientCa }
  }
  const readChange = changeReader(read, fingerprint, fingerprint(inUse))

  return {
    files: watched,
    notAfter: () => inUse.notAfter,
    async reload() {
      const change = await readChange()
      if (change.kind === 'unchanged') return 'unchanged'
      if (change.kind === 'failed') return reject(change.error)
      const next = change.value
      let material: TlsMaterial
      try {
        const notAfter = checkPair(next.cert, next.key)
        if (next.clientCa !== undefined) checkCaBundle(next.clientCa)
        material = { ...next, notAfter }
        const contextOptions = secureContextOptions(material)
        // Built once here to surface any error before the server's context is touched.
        try {
          createSecureContext(contextOptions)
        } catch (err) {
          throw guardError('EG_TLS', `the TLS context cannot be built (${describeError(err)}).`)
        }
        server.setSecureContext(contextOptions)
      } catch (err) {
        return reject(err)
      }
      inUse = material
      metrics.certificateReloads.inc({ result: 'success' })
      metrics.certificateExpiry.set(Math.floor(material.notAfter.getTime() / 1000))
      logger.info(
        { ...describe(material.cert), notAfter: material.notAfter.toISOString(), clientCa: material.clientCa !== undefined, files: watched },
        'certificate reloaded; new connections use it',
      )
      return 'updated'
    },
  }
}
