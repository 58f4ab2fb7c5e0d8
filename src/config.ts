import os from 'node:os'
import path from 'node:path'
import { enforcementModes, validatingActions, type ValidatingAction } from './engine/judging.js'
import { guardError } from './errors.js'
import { bundledPaths } from './paths.js'

/**
 * Every setting of every command, in one table: its flag, which commands take it, its default and why. The CLI
 * builds its options from this table, `parseConfig` is the only place that reads the environment
 * (`ENDPOINT_GUARD_<FLAG>`, plus the standard `KUBECONFIG`, `POD_NAMESPACE` and in-cluster variables), and the
 * config types are derived from it. Precedence: flag, then environment, then default.
 */
export const commands = ['serve', 'review', 'check', 'test', 'audit'] as const
export type CommandName = (typeof commands)[number]

type Kind = 'port' | 'int' | 'string' | 'path' | 'paths' | 'level' | 'flag' | 'choice' | 'actions'
interface Setting {
  flag: string
  /** one-letter alias, e.g. `-o` */
  short?: string
  /**
   * older names of the flag, still accepted (hidden from --help, named in the help text) with their environment
   * variables; the flag's own name wins when both are given
   */
  aliases?: readonly string[]
  /** the value's name in --help (`--policies <dir>`); `<value>` when not given */
  arg?: string
  kind: Kind
  commands: readonly CommandName[]
  help: string
  default?: string | number | readonly string[]
  /** for kind choice: the allowed values, per command */
  choices?: Partial<Record<CommandName, readonly string[]>>
}

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof logLevels)[number]

/** The name `--policies` gives the policies shipped with endpoint-guard. */
export const bundledPolicies = 'bundled'

/** The formats of each command's --output; src/cli/output/create.ts writes each. */
export const outputFormats = {
  check: ['text', 'json', 'github', 'junit', 'sarif'],
  audit: ['text', 'json', 'github', 'policyreport'],
} as const satisfies Partial<Record<CommandName, readonly string[]>>

const offline = ['review', 'check', 'test', 'audit'] as const

export const settings = {
  port: { flag: 'port', kind: 'port', commands: ['serve'], default: 8443, help: 'HTTPS port for POST /validate and /mutate' },
  probePort: { flag: 'probe-port', kind: 'port', commands: ['serve'], default: 8080, help: 'plain-HTTP port for /livez, /readyz and /metrics' },
  host: { flag: 'host', kind: 'string', commands: ['serve'], default: '0.0.0.0', help: 'address to listen on' },
  policies: {
    flag: 'policies',
    arg: '<dir>',
    kind: 'paths',
    commands: ['serve', ...offline],
    default: [bundledPolicies],
    help: `policy directory (*.json); repeat to layer directories, a later one replacing a policy of the same id; "${bundledPolicies}" names the bundled set`,
  },
  tlsCertFile: { flag: 'tls-cert-file', kind: 'path', commands: ['serve'], help: 'PEM certificate (chain); with --tls-key-file, reloaded when it changes' },
  tlsKeyFile: { flag: 'tls-key-file', kind: 'path', commands: ['serve'], help: 'PEM private key for --tls-cert-file' },
  clientCaFile: { flag: 'client-ca-file', kind: 'path', commands: ['serve'], help: 'PEM CA bundle: require client certificates signed by it (mTLS from the API server)' },
  generatedCaFile: {
    flag: 'generated-ca-file',
    kind: 'path',
    commands: ['serve'],
    default: path.join(os.tmpdir(), 'endpoint-guard-ca.pem'),
    help: 'where the CA of the generated self-signed certificate is written (when no --tls-cert-file)',
  },
  serviceName: { flag: 'service-name', kind: 'string', commands: ['serve'], default: 'endpoint-guard', help: 'Service name put in the generated certificate' },
  serviceNamespace: {
    flag: 'service-namespace',
    kind: 'string',
    commands: ['serve'],
    default: 'default',
    help: 'Service namespace put in the generated certificate (else $POD_NAMESPACE)',
  },
  context: {
    flag: 'context',
    aliases: ['namespaces'],
    arg: '<file>',
    kind: 'path',
    commands: ['serve', 'review'],
    help: 'Namespace, Service, Node and EndpointSlice manifests giving the cluster context when no cluster is used',
  },
  kubeconfig: {
    flag: 'kubeconfig',
    arg: '<file>',
    kind: 'path',
    commands: ['serve', 'audit'],
    help: 'kubeconfig of the cluster (else the first file in $KUBECONFIG, else the in-cluster service account, else none)',
  },
  enforcement: {
    flag: 'enforcement',
    arg: '<mode>',
    kind: 'choice',
    commands: ['serve', 'review'],
    default: 'deny',
    choices: { serve: enforcementModes, review: enforcementModes },
    help: 'deny: deny findings deny; warn: monitor mode, every deny finding is answered as allowed with a warning saying it would have been denied',
  },
  policyAction: {
    flag: 'policy-action',
    arg: '<id=action>',
    kind: 'actions',
    commands: ['serve', 'review'],
    help: `the action of one policy, replacing its file's (${validatingActions.join(', ')}); repeatable; the environment takes a comma-separated list`,
  },
  logLevel: { flag: 'log-level', kind: 'level', commands: ['serve'], default: 'info', help: `one of ${logLevels.join(', ')}` },
  // The line of an allowed request was a third of the server's CPU per request (the JSON line and its write), and
  // what operators act on are denials, warnings and errors; allowed requests are counted by the requests metric,
  // and the API server's audit log names their objects and users. Those who want a line for every request say so.
  logAllowed: {
    flag: 'log-allowed',
    kind: 'flag',
    commands: ['serve'],
    help: 'log every allowed request at info too (default: at debug; denials, warnings, patches and errors are always at info or above)',
  },
  // The API server refuses request bodies over 3 MiB; an AdmissionReview carries object and oldObject, each up to
  // that size, plus the envelope. 7 MiB admits every legitimate review and bounds what a hostile client can send.
  bodyLimit: { flag: 'body-limit', kind: 'int', commands: ['serve'], default: 7 * 1024 * 1024, help: 'largest accepted request body, in bytes' },
  // The API server gives up on a webhook after timeoutSeconds (at most 30 s); a request still arriving after 10 s
  // is a slow client holding a socket, not a review anyone waits for.
  requestTimeout: { flag: 'request-timeout', kind: 'int', commands: ['serve'], default: 10_000, help: 'ms to receive a whole request (headers and body)' },
  // The API server writes a review's body right after its headers, in a few milliseconds even at 3 MiB; a body
  // still arriving after 5 s is a slow uploader. It waits without a concurrency slot (those are for evaluation),
  // so this bounds how long it holds its socket and memory. Capped at --request-timeout, which covers the body too.
  bodyTimeout: {
    flag: 'body-timeout',
    kind: 'int',
    commands: ['serve'],
    default: 5_000,
    help: 'ms from the request headers to the end of the body (at most --request-timeout)',
  },
  // The API server writes a request's headers in one go; a connection that has not finished them after 5 s is a
  // slow (or hostile) client. Node's own default is 60 s. Capped at --request-timeout, which covers headers too.
  headersTimeout: {
    flag: 'headers-timeout',
    kind: 'int',
    commands: ['serve'],
    default: 5_000,
    help: 'ms to receive the request headers (at most --request-timeout)',
  },
  // Go's HTTP client (the API server) keeps idle connections for 90 s; closing ours earlier races with its reuse.
  keepAliveTimeout: { flag: 'keep-alive-timeout', kind: 'int', commands: ['serve'], default: 120_000, help: 'ms an idle keep-alive connection is kept open' },
  // Decisions take well under a millisecond; hundreds with their body in and not yet answered means the process is
  // saturated, and a fast 503 lets the API server retry another replica instead of timing out here. Requests
  // whose body is still arriving do not count (--body-timeout bounds them), so slow uploaders cannot take the slots.
  maxConcurrent: {
    flag: 'max-concurrent',
    kind: 'int',
    commands: ['serve'],
    default: 256,
    help: 'admission requests being evaluated or answered (body received) before answering 503',
  },
  // Below Kubernetes' default 30 s grace period, so the process exits on its own before SIGKILL.
  shutdownTimeout: { flag: 'shutdown-timeout', kind: 'int', commands: ['serve'], default: 20_000, help: 'ms allowed for in-flight requests on SIGTERM' },

  mutate: { flag: 'mutate', kind: 'flag', commands: ['review'], help: 'answer as POST /mutate would (default: as /validate)' },
  defaultNamespace: {
    flag: 'namespace',
    short: 'n',
    arg: '<name>',
    kind: 'string',
    commands: ['check'],
    default: 'default',
    help: 'namespace of documents that have none',
  },
  namespace: { flag: 'namespace', short: 'n', arg: '<name>', kind: 'string', commands: ['audit'], help: 'audit only this namespace (default: all namespaces)' },
  output: { flag: 'output', short: 'o', arg: '<format>', kind: 'choice', commands: ['check', 'audit'], default: 'text', choices: outputFormats, help: 'output format' },
  strict: { flag: 'strict', kind: 'flag', commands: ['check', 'audit'], help: 'warnings (and audit breakages) fail too (exit 1)' },
  // A failed `helm template` piped into check gives empty stdin: passing that would pass every broken chart.
  allowEmpty: {
    flag: 'allow-empty',
    kind: 'flag',
    commands: ['check'],
    help: 'accept no input at all (empty files or stdin, directories without manifests) instead of exit 2',
  },
  writeReports: {
    flag: 'write-reports',
    kind: 'flag',
    commands: ['audit'],
    help: 'apply the findings as PolicyReports (wgpolicyk8s.io/v1alpha2, server-side apply) and delete the ones written earlier for namespaces now clean; exit 0 once written',
  },
  requireAll: { flag: 'require-all', kind: 'flag', commands: ['test'], help: 'fail when a loaded policy has no test case' },
  // kubectl's default page size: small enough for the API server, large enough that few pages are needed.
  chunkSize: { flag: 'chunk-size', arg: '<n>', kind: 'int', commands: ['audit'], default: 500, help: 'items per list request, paginated with limit/continue' },
} as const satisfies Record<string, Setting>

export type SettingName = keyof typeof settings
type Settings = typeof settings

type ValueOf<S extends Setting> = S['kind'] extends 'port' | 'int'
  ? number
  : S['kind'] extends 'paths'
    ? readonly string[]
    : S['kind'] extends 'flag'
      ? boolean
      : S['kind'] extends 'actions'
        ? Readonly<Record<string, ValidatingAction>>
      : S['kind'] extends 'level'
        ? LogLevel
        : S extends { choices: infer C }
          ? C[keyof C] extends readonly (infer V)[] | undefined
            ? V
            : string
          : string
type Has<S extends Setting> = S extends { default: unknown } ? true : S['kind'] extends 'flag' | 'actions' ? true : false
type NamesOf<C extends CommandName> = { [N in SettingName]: C extends Settings[N]['commands'][number] ? N : never }[SettingName]

/** Where the in-cluster service account says the API server is (set by kubelet in every pod). */
export interface InCluster {
  host: string | undefined
  port: string | undefined
}

/** The frozen configuration of one command: each of its settings, typed from the table. */
export type ConfigOf<C extends CommandName> = {
  readonly [N in NamesOf<C>]: Has<Settings[N]> extends true ? ValueOf<Settings[N]> : ValueOf<Settings[N]> | undefined
} & (C extends 'serve' | 'audit' ? { readonly inCluster: InCluster } : unknown)

export type ServeConfig = ConfigOf<'serve'>

/** What the command line gives: strings, repeated strings, or true for a flag. */
export type RawFlags = Partial<Record<SettingName, string | readonly string[] | boolean>>

export function envName(flag: string): string {
  return `ENDPOINT_GUARD_${flag.toUpperCase().replace(/-/g, '_')}`
}

/** The setting's value in the environment: its own variable, else the first alias's that is set. */
function fromEnv(setting: Setting, env: NodeJS.ProcessEnv): string | undefined {
  for (const flag of [setting.flag, ...(setting.aliases ?? [])]) {
    const value = env[envName(flag)]
    if (value !== undefined) return value
  }
  return undefined
}

/** The settings a command takes, in table order (the order of its --help). */
export function settingsOf(command: CommandName): Array<[SettingName, Readonly<Setting>]> {
  return (Object.entries(settings) as Array<[SettingName, Setting]>).filter(([, s]) => s.commands.includes(command))
}

/** `id=action` pairs → a frozen record; a policy named twice, or an action that is not a validating one, is refused. */
function parseActions(setting: Setting, items: readonly string[]): Readonly<Record<string, ValidatingAction>> {
  const out: Record<string, ValidatingAction> = {}
  for (const item of items) {
    const [id = '', action = '', ...rest] = item.split('=')
    if (id === '' || rest.length > 0 || !(validatingActions as readonly string[]).includes(action)) {
      throw guardError('EG_CONFIG', `--${setting.flag} must be <policy-id>=<${validatingActions.join('|')}>, got ${JSON.stringify(item)}.`)
    }
    if (id in out) throw guardError('EG_CONFIG', `--${setting.flag} names policy ${JSON.stringify(id)} twice.`)
    out[id] = action as ValidatingAction
  }
  return Object.freeze(out)
}

function parseValue(command: CommandName, setting: Setting, raw: string): string | number {
  const name = setting.flag
  const fail = (what: string) => guardError('EG_CONFIG', `--${name} must be ${what}, got ${JSON.stringify(raw)}.`)
  switch (setting.kind) {
    case 'port': {
      const n = Number(raw)
      if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw fail('a port number (0-65535)')
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
    case 'paths':
      if (raw === '') throw fail('a path')
      return setting.kind === 'paths' && raw === bundledPolicies ? bundledPaths.policies : path.resolve(raw)
    case 'choice': {
      const allowed = setting.choices?.[command] ?? []
      if (!allowed.includes(raw)) throw fail(`one of ${allowed.join(', ')}`)
      return raw
    }
    case 'string':
      if (raw === '') throw fail('non-empty')
      return raw
    case 'flag':
    case 'actions':
      return raw
  }
}

/** A boolean flag from the environment: the usual spellings, anything else is refused. */
function parseBoolean(setting: Setting, raw: string): boolean {
  if (/^(1|true|yes)$/i.test(raw)) return true
  if (/^(0|false|no|)$/i.test(raw)) return false
  throw guardError('EG_CONFIG', `${envName(setting.flag)} must be true or false, got ${JSON.stringify(raw)}.`)
}

/** The first file of a `KUBECONFIG` list, as kubectl reads it first. */
function firstKubeconfig(value: string | undefined): string | undefined {
  return value?.split(path.delimiter).find((p) => p !== '')
}

function value(command: CommandName, setting: Setting, raw: string | readonly string[] | boolean | undefined, env: NodeJS.ProcessEnv): unknown {
  if (setting.kind === 'flag') {
    if (typeof raw === 'boolean') return raw
    const text = fromEnv(setting, env)
    return text === undefined ? false : parseBoolean(setting, text)
  }
  if (setting.kind === 'actions') {
    const fromEnv = env[envName(setting.flag)]
    const items = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? (raw as readonly string[]) : (fromEnv?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? [])
    return parseActions(setting, items)
  }
  if (setting.kind === 'paths') {
    // A list from the environment is separated as PATH is.
    const given: readonly string[] =
      typeof raw === 'string' ? [raw] : Array.isArray(raw) ? (raw as readonly string[]) : (fromEnv(setting, env)?.split(path.delimiter) ?? (setting.default as readonly string[] | undefined) ?? [])
    return Object.freeze(given.map((item) => parseValue(command, setting, item)))
  }
  const text = typeof raw === 'string' ? raw : fromEnv(setting, env)
  if (text !== undefined) return parseValue(command, setting, text)
  if (setting.flag === 'kubeconfig') {
    const standard = firstKubeconfig(env['KUBECONFIG'])
    if (standard !== undefined) return parseValue(command, setting, standard)
  }
  return setting.default
}

/**
 * The configuration of one command from its flags (as given on the command line, unparsed) and the environment;
 * validated once, frozen. Throws a GuardError (EG_CONFIG) whose message is a full sentence naming the flag.
 */
export function parseConfig<C extends CommandName>(command: C, flags: RawFlags, env: NodeJS.ProcessEnv): ConfigOf<C> {
  const out: Record<string, unknown> = {}
  for (const [name, setting] of settingsOf(command)) out[name] = value(command, setting, flags[name], env)
  if (command === 'serve' || command === 'audit') {
    out['inCluster'] = Object.freeze({ host: env['KUBERNETES_SERVICE_HOST'] || undefined, port: env['KUBERNETES_SERVICE_PORT'] || undefined })
  }
  if (command === 'serve') {
    if (flags.serviceNamespace === undefined && env[envName('service-namespace')] === undefined && env['POD_NAMESPACE']) {
      out['serviceNamespace'] = env['POD_NAMESPACE']
    }
    if ((out['tlsCertFile'] === undefined) !== (out['tlsKeyFile'] === undefined)) {
      throw guardError('EG_CONFIG', '--tls-cert-file and --tls-key-file must be given together (or neither, for a generated certificate).')
    }
    // --kubeconfig (or $KUBECONFIG) and --context are alternatives; only an explicit --kubeconfig conflicts.
    if (out['context'] !== undefined && (flags.kubeconfig !== undefined || env[envName('kubeconfig')] !== undefined)) {
      throw guardError('EG_CONFIG', '--kubeconfig and --context are alternatives: give one source of cluster context.')
    }
    if (out['port'] === out['probePort'] && out['port'] !== 0) {
      throw guardError('EG_CONFIG', `--port and --probe-port must differ (both are ${String(out['port'])}).`)
    }
  }
  return Object.freeze(out) as ConfigOf<C>
}
