import os from 'node:os'
import path from 'node:path'
import { guardError } from './errors.js'
import { bundledPaths } from './paths.js'

/**
 * Every `serve` setting, in one table: its flag, its environment variable, its default and why. The CLI builds
 * its options from this table and `parseServeConfig` is the only place that reads `ENDPOINT_GUARD_*`.
 */
type Kind = 'port' | 'int' | 'string' | 'path' | 'level'
interface Setting {
  flag: string
  kind: Kind
  help: string
  default?: string | number
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof logLevels)[number]

export const serveSettings = {
  port: { flag: 'port', kind: 'port', default: 8443, help: 'HTTPS port for POST /validate and /mutate' },
  probePort: { flag: 'probe-port', kind: 'port', default: 8080, help: 'plain-HTTP port for /livez, /readyz and /metrics' },
  host: { flag: 'host', kind: 'string', default: '0.0.0.0', help: 'address to listen on' },
  policies: { flag: 'policies', kind: 'path', default: bundledPaths.policies, help: 'directory of policy files (*.json)' },
  tlsCertFile: { flag: 'tls-cert-file', kind: 'path', help: 'PEM certificate (chain); with --tls-key-file, reloaded when it changes' },
  tlsKeyFile: { flag: 'tls-key-file', kind: 'path', help: 'PEM private key for --tls-cert-file' },
  clientCaFile: { flag: 'client-ca-file', kind: 'path', help: 'PEM CA bundle: require client certificates signed by it (mTLS from the API server)' },
  generatedCaFile: {
    flag: 'generated-ca-file',
    kind: 'path',
    default: path.join(os.tmpdir(), 'endpoint-guard-ca.pem'),
    help: 'where the CA of the generated self-signed certificate is written (when no --tls-cert-file)',
  },
  serviceName: { flag: 'service-name', kind: 'string', default: 'endpoint-guard', help: 'Service name put in the generated certificate' },
  serviceNamespace: { flag: 'service-namespace', kind: 'string', default: 'default', help: 'Service namespace put in the generated certificate' },
  namespaces: { flag: 'namespaces', kind: 'path', help: 'Namespace (and Service) manifests giving cluster context when no cluster is used' },
  kubeconfig: { flag: 'kubeconfig', kind: 'path', help: 'kubeconfig for the cluster context (else in-cluster config when present, else none)' },
  logLevel: { flag: 'log-level', kind: 'level', default: 'info', help: `one of ${logLevels.join(', ')}` },
  // The API server refuses request bodies over 3 MiB; an AdmissionReview carries object and oldObject, each up to
  // that size, plus the envelope. 7 MiB admits every legitimate review and bounds what a hostile client can send.
  bodyLimit: { flag: 'body-limit', kind: 'int', default: 7 * 1024 * 1024, help: 'largest accepted request body, in bytes' },
  // The API server gives up on a webhook after timeoutSeconds (at most 30 s); a request still arriving after 10 s
  // is a slow client holding a socket, not a review anyone waits for.
  requestTimeout: { flag: 'request-timeout', kind: 'int', default: 10_000, help: 'ms to receive a whole request (headers and body)' },
  // The API server writes a request's headers in one go; a connection that has not finished them after 5 s is a
  // slow (or hostile) client. Node's own default is 60 s. Capped at --request-timeout, which covers headers too.
  headersTimeout: { flag: 'headers-timeout', kind: 'int', default: 5_000, help: 'ms to receive the request headers (at most --request-timeout)' },
  // Go's HTTP client (the API server) keeps idle connections for 90 s; closing ours earlier races with its reuse.
  keepAliveTimeout: { flag: 'keep-alive-timeout', kind: 'int', default: 120_000, help: 'ms an idle keep-alive connection is kept open' },
  // Decisions take well under a millisecond; hundreds in flight means the process is saturated, and a fast 503
  // lets the API server retry another replica instead of timing out here.
  maxConcurrent: { flag: 'max-concurrent', kind: 'int', default: 256, help: 'admission requests in flight before answering 503' },
  // Below Kubernetes' default 30 s grace period, so the process exits on its own before SIGKILL.
  shutdownTimeout: { flag: 'shutdown-timeout', kind: 'int', default: 20_000, help: 'ms allowed for in-flight requests on SIGTERM' },
} as const satisfies Record<string, Setting>

export type SettingName = keyof typeof serveSettings

export interface ServeConfig {
  readonly port: number
  readonly probePort: number
  readonly host: string
  readonly policies: string
  readonly tlsCertFile: string | undefined
  readonly tlsKeyFile: string | undefined
  readonly clientCaFile: string | undefined
  readonly generatedCaFile: string
  readonly serviceName: string
  readonly serviceNamespace: string
  readonly namespaces: string | undefined
  readonly kubeconfig: string | undefined
  readonly logLevel: LogLevel
  readonly bodyLimit: number
  readonly requestTimeout: number
  readonly headersTimeout: number
  readonly keepAliveTimeout: number
  readonly maxConcurrent: number
  readonly shutdownTimeout: number
}

export function envName(flag: string): string {
  return `ENDPOINT_GUARD_${flag.toUpperCase().replace(/-/g, '_')}`
}

function parseValue(name: string, kind: Kind, raw: string): string | number {
  const fail = (what: string) => guardError('EG_CONFIG', `--${name} must be ${what}, got ${JSON.stringify(raw)}.`)
  switch (kind) {
    case 'port': {
      const n = Number(raw)
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw fail('a port number (0-65535)')
      return n
    }
    case 'int': {
      const n = Number(raw)
      if (!Number.isInteger(n) || n <= 0) throw fail('a positive whole number')
      return n
    }
    case 'level':
      if (!(logLevels as readonly string[]).includes(raw)) throw fail(`one of ${logLevels.join(', ')}`)
      return raw
    case 'path':
      if (raw === '') throw fail('a path')
      return path.resolve(raw)
    case 'string':
      if (raw === '') throw fail('non-empty')
      return raw
  }
}

/**
 * Flags (as given on the command line, unparsed) over environment over defaults; validated once, frozen.
 * Throws a GuardError (EG_CONFIG) whose message is a full sentence naming the flag.
 */
export function parseServeConfig(flags: Partial<Record<SettingName, string>>, env: NodeJS.ProcessEnv): ServeConfig {
  const out: Record<string, string | number | undefined> = {}
  for (const [key, setting] of Object.entries(serveSettings) as Array<[SettingName, Setting]>) {
    const raw = flags[key] ?? env[envName(setting.flag)]
    out[key] = raw === undefined ? setting.default : parseValue(setting.flag, setting.kind, raw)
  }
  if (flags.serviceNamespace === undefined && env[envName('service-namespace')] === undefined && env.POD_NAMESPACE) {
    out.serviceNamespace = env.POD_NAMESPACE
  }
  if ((out.tlsCertFile === undefined) !== (out.tlsKeyFile === undefined)) {
    throw guardError('EG_CONFIG', '--tls-cert-file and --tls-key-file must be given together (or neither, for a generated certificate).')
  }
  if (out.kubeconfig !== undefined && out.namespaces !== undefined) {
    throw guardError('EG_CONFIG', '--kubeconfig and --namespaces are alternatives: give one source of cluster context.')
  }
  if (out.port === out.probePort && out.port !== 0) {
    throw guardError('EG_CONFIG', `--port and --probe-port must differ (both are ${String(out.port)}).`)
  }
  return Object.freeze(out) as unknown as ServeConfig
}
