import { X509Certificate, createPrivateKey } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { SecureContextOptions } from 'node:tls'
import { generate } from 'selfsigned'
import { describeError, describeFileError, guardError } from '../errors.js'

export interface TlsMaterial {
  key: string
  cert: string
  /** when set, clients must present a certificate signed by this CA */
  clientCa?: string
  notAfter: Date
}

/**
 * Checks that a certificate and key belong together and are usable now, so a half-written or mismatched pair is
 * refused before it reaches a TLS context. Returns the expiry for the metric.
 */
export function checkPair(cert: string, key: string): Date {
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(cert)
  } catch (err) {
    throw guardError('EG_TLS', `the certificate is not valid PEM (${describeError(err)}).`)
  }
  let privateKey
  try {
    privateKey = createPrivateKey(key)
  } catch (err) {
    throw guardError('EG_TLS', `the private key is not valid PEM (${describeError(err)}).`)
  }
  if (!x509.checkPrivateKey(privateKey)) throw guardError('EG_TLS', 'the private key does not match the certificate.')
  return new Date(x509.validTo)
}

/** The API server speaks TLS 1.2 and 1.3; nothing older is accepted, at start-up or after a reload. */
export const tlsMinVersion = 'TLSv1.2' as const

/** A client CA bundle must hold at least one readable certificate; an empty or garbled file would lock out every client. */
export function checkCaBundle(pem: string): void {
  try {
    new X509Certificate(pem)
  } catch (err) {
    throw guardError('EG_TLS', `the client CA bundle holds no valid PEM certificate (${describeError(err)}).`)
  }
}

/**
 * The TLS context options for a serving pair (and client CA). Used at start-up and by every reload:
 * `setSecureContext` replaces all of them, so what is not passed again (minVersion, ca) would be lost.
 */
export function secureContextOptions(tls: TlsMaterial): SecureContextOptions {
  return { key: tls.key, cert: tls.cert, minVersion: tlsMinVersion, ...(tls.clientCa === undefined ? {} : { ca: tls.clientCa }) }
}

export async function readPemFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    throw guardError('EG_TLS', `cannot read ${file} (${describeFileError(err)}).`)
  }
}

export async function readTlsFiles(certFile: string, keyFile: string, clientCaFile?: string): Promise<TlsMaterial> {
  const [cert, key, clientCa] = await Promise.all([
    readPemFile(certFile),
    readPemFile(keyFile),
    clientCaFile === undefined ? undefined : readPemFile(clientCaFile),
  ])
  const notAfter = checkPair(cert, key)
  if (clientCa !== undefined) checkCaBundle(clientCa)
  return clientCa === undefined ? { key, cert, notAfter } : { key, cert, clientCa, notAfter }
}

export interface GeneratedCertificate extends TlsMaterial {
  caCert: string
}

/**
 * A CA and a serving certificate signed by it, for running with no certificate given. The CA is what clients
 * (curl --cacert, a webhook's caBundle) trust. Valid for localhost and the in-cluster Service names.
 */
// P-256: as strong as RSA-3072 for TLS, and generated in milliseconds instead of the ~0.5 s an RSA key takes.
// selfsigned signs with sha1 unless told otherwise.
const keyOptions = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const

export async function generateCertificate(serviceName: string, namespace: string, validDays = 365): Promise<GeneratedCertificate> {
  const notBeforeDate = new Date(Date.now() - 5 * 60_000)
  const notAfterDate = new Date(Date.now() + validDays * 86_400_000)
  const ca = await generate([{ name: 'commonName', value: 'endpoint-guard self-signed CA' }], {
    ...keyOptions,
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  })
  const dnsNames = [
    'localhost',
    serviceName,
    `${serviceName}.${namespace}`,
    `${serviceName}.${namespace}.svc`,
    `${serviceName}.${namespace}.svc.cluster.local`,
  ]
  const leaf = await generate([{ name: 'commonName', value: `${serviceName}.${namespace}.svc` }], {
    ...keyOptions,
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...dnsNames.map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }, { type: 7 as const, ip: '::1' }],
      },
    ],
  })
  return { key: leaf.private, cert: leaf.cert, caCert: ca.cert, notAfter: notAfterDate }
}

export async function writeCaFile(file: string, caCert: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, caCert, { mode: 0o644 })
}
