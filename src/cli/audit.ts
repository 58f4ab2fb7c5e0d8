/**
 * `endpoint-guard audit`: every live Service, EndpointSlice and Endpoints, listed through the API (paginated),
 * evaluated as an UPDATE that changes nothing. Ratcheting would let such an update through, so every deny
 * finding — all of them pre-existing by construction — is reported as a violation. Then the classic breakages,
 * which no admission request shows: a Service whose selector matches no Pod, an EndpointSlice no Service
 * uses, a Service whose endpoints are all not ready.
 */
// Only the type statically: client-node takes about a second to load, so kube-config.js is imported when used.
import type { KubeConfig } from '@kubernetes/client-node'
import { Option, type Command } from 'commander'
import { syntheticRequest } from '../admission/synthesize.js'
import type { KubeObject, UserInfo } from '../admission/types.js'
import { getJson, KubeApiError, listAll } from '../cluster/list.js'
import { isObject, labelsOf, objectName, objectNamespace, withTypeMeta } from '../kube-object.js'
import { staticContext } from '../cluster/static-context.js'
import { decide } from '../engine/decide.js'
import { selectorMatches } from '../engine/selector.js'
import { describeError } from '../errors.js'
import { loadPoliciesFor } from './load-policies.js'
import type { PolicySet } from '../policy/types.js'
import { count, createOutput, emptySummary, evaluated, exitCodeOf, formats, type Format, type ReportedFinding, type Result } from './output.js'
import type { Io } from './program.js'


export interface AuditOptions {
  kubeconfig?: string
  /** only this namespace; all namespaces when absent */
  namespace?: string
  policies?: string
  output: Format
  strict: boolean
  /** items per list page (`limit`), as kubectl's --chunk-size */
  chunkSize: number
}

const help = `
Needs read access (list) to services, endpoints, pods and namespaces (core) and endpointslices
(discovery.k8s.io). The cluster: --kubeconfig, else the first file in $KUBECONFIG, else the in-cluster
service account.

Each object is evaluated as an UPDATE that changes nothing, so violations that ratcheting lets stay are
reported. The writer of an object is not recorded in it: objects that carry the marks of the Kubernetes
controllers (an EndpointSlice whose managed-by label names a controller and whose controller owner is its
Service or Endpoints; the Endpoints of a Service with a selector; default/kubernetes) are evaluated as
written by those controllers, everything else as a user.

Breakages are reported as warnings: missing-endpoints (a Service whose selector matches no Pod),
orphan-endpointslice (a slice whose kubernetes.io/service-name names no Service), endpoints-not-ready (a
Service whose endpoints all have ready=false).

Output as for check: text, json or github.

Exit status:
  0  no violation (warnings are shown but pass, unless --strict)
  1  an object violates a deny policy (or, with --strict, has a warning or a breakage)
  2  usage error, no cluster, or the API could not be read`

export function registerAudit(program: Command, io: Io): void {
  program
    .command('audit')
    .description('report live Services, EndpointSlices and Endpoints that violate the policies, and broken Services')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: $KUBECONFIG, else in-cluster)')
    .option('-n, --namespace <name>', 'audit only this namespace (default: all namespaces)')
    .option('--policies <dir>', 'policy directory (default: the bundled policies)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(formats).default('text'))
    .option('--strict', 'warnings and breakages fail the audit too (exit 1)')
    .option('--chunk-size <n>', 'items per list request, paginated with limit/continue (default: 500)')
    .addHelpText('after', help)
    .action(
      async (opts: { kubeconfig?: string; namespace?: string; policies?: string; output: Format; strict?: boolean; chunkSize?: string }) => {
        const chunkSize = Number(opts.chunkSize ?? 500)
        if (!Number.isInteger(chunkSize) || chunkSize < 1) {
          io.stderr(`endpoint-guard audit: --chunk-size must be a positive integer, not ${JSON.stringify(opts.chunkSize)}`)
          io.setExitCode(2)
          return
        }
        const options: AuditOptions = { output: opts.output, strict: opts.strict === true, chunkSize }
        const kubeconfig = opts.kubeconfig ?? firstKubeconfig(io.env['KUBECONFIG'])
        if (kubeconfig !== undefined) options.kubeconfig = kubeconfig
        if (opts.namespace !== undefined) options.namespace = opts.namespace
        if (opts.policies !== undefined) options.policies = opts.policies
        io.setExitCode(await runAudit(options, io))
      },
    )
}

function firstKubeconfig(value: string | undefined): string | undefined {
  const first = value?.split(':').find((p) => p !== '')
  return first === undefined || first === '' ? undefined : first
}

interface Inventory {
  namespaces: KubeObject[]
  services: KubeObject[]
  slices: KubeObject[]
  endpoints: KubeObject[]
  /** undefined when Pods could not be listed: the missing-endpoints check is skipped */
  pods: KubeObject[] | undefined
}

/** Runs `audit` and returns the exit status. */
export async function runAudit(options: AuditOptions, io: Pick<Io, 'stdout' | 'stderr'>): Promise<number> {
  const fail = (message: string) => {
    io.stderr(`endpoint-guard audit: ${message}`)
    return 2
  }
  const policies = await loadPoliciesFor('audit', options.policies, io.stderr)
  if (policies === undefined) return 2
  let kubeConfig: KubeConfig | undefined
  try {
    const { loadKubeConfig } = await import('../cluster/kube-config.js')
    kubeConfig = loadKubeConfig(options.kubeconfig)
  } catch (err) {
    return fail(describeError(err))
  }
  if (kubeConfig === undefined) return fail('no cluster: pass --kubeconfig (or set KUBECONFIG), or run in a pod with a service account')

  let inventory: Inventory
  try {
    inventory = await listInventory(kubeConfig, options, (s) => io.stderr(`endpoint-guard audit: ${s}`))
  } catch (err) {
    return fail(describeError(err))
  }
  const output = createOutput(options.output, io.stdout, { verb: 'audited', noun: 'object' })
  const summary = emptySummary(false)
  for (const result of auditResults(inventory, policies)) {
    count(summary, result)
    output.result(result)
  }
  output.end(summary)
  return exitCodeOf(summary, options.strict)
}

async function listInventory(kubeConfig: KubeConfig, options: AuditOptions, warn: (s: string) => void): Promise<Inventory> {
  const ns = options.namespace
  const collection = (prefix: string, resource: string) =>
    ns === undefined ? `${prefix}/${resource}` : `${prefix}/namespaces/${encodeURIComponent(ns)}/${resource}`
  const list = async (what: string, path: string) => {
    try {
      return (await listAll(kubeConfig, path, { limit: options.chunkSize })).items
    } catch (err) {
      throw new Error(`cannot list ${what}: ${describeError(err)}`, { cause: err })
    }
  }
  const [namespaces, services, slices, endpoints, pods] = await Promise.all([
    listNamespaces(kubeConfig, options, warn),
    list('Services', collection('/api/v1', 'services')),
    list('EndpointSlices', collection('/apis/discovery.k8s.io/v1', 'endpointslices')),
    list('Endpoints', collection('/api/v1', 'endpoints')),
    list('Pods', collection('/api/v1', 'pods')).catch((err: unknown) => {
      warn(`${describeError(err)}; the missing-endpoints check is skipped`)
      return undefined
    }),
  ])
  return { namespaces, services, slices, endpoints, pods }
}

/**
 * The namespaces' labels (namespace selectors match on them). With --namespace only that one is read, and a
 * user allowed no more than their namespace (403) gets a warning rather than no audit at all.
 */
async function listNamespaces(kubeConfig: KubeConfig, options: AuditOptions, warn: (s: string) => void): Promise<KubeObject[]> {
  if (options.namespace === undefined) {
    try {
      return (await listAll(kubeConfig, '/api/v1/namespaces', { limit: options.chunkSize })).items
    } catch (err) {
      throw new Error(`cannot list Namespaces: ${describeError(err)}`, { cause: err })
    }
  }
  try {
    return [withTypeMeta(await getJson(kubeConfig, `/api/v1/namespaces/${encodeURIComponent(options.namespace)}`), 'v1', 'Namespace')]
  } catch (err) {
    if (err instanceof KubeApiError && (err.statusCode === 403 || err.statusCode === 404)) {
      warn(`cannot read namespace ${options.namespace} (${describeError(err)}); policies that select namespaces by label see none`)
      return []
    }
    throw new Error(`cannot read namespace ${options.namespace}: ${describeError(err)}`, { cause: err })
  }
}

const controllerUsers = {
  endpointSlice: 'system:serviceaccount:kube-system:endpointslice-controller',
  mirroring: 'system:serviceaccount:kube-system:endpointslicemirroring-controller',
  controllerManager: 'system:kube-controller-manager',
  apiServer: 'system:apiserver',
} as const
/** who audit says wrote an object that does not look written by the Kubernetes controllers */
const auditUser: UserInfo = { username: 'endpoint-guard-audit' }

const serviceNameLabel = 'kubernetes.io/service-name'
const managedByLabel = 'endpointslice.kubernetes.io/managed-by'

function key(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`
}

/** One result per listed object, in list order: Services, then EndpointSlices, then Endpoints. Pure. */
export function auditResults(inventory: Inventory, policies: PolicySet): Result[] {
  const context = staticContext([...inventory.namespaces, ...inventory.services])
  const services = new Map(inventory.services.map((s) => [key(objectNamespace(s), objectName(s)), s]))
  const breakages = breakagesOf(inventory, services)
  const results: Result[] = []
  for (const object of [...inventory.services, ...inventory.slices, ...inventory.endpoints]) {
    const kind = typeof object['kind'] === 'string' ? object['kind'] : ''
    const namespace = objectNamespace(object)
    const name = objectName(object)
    const request = syntheticRequest(object, { operation: 'UPDATE', oldObject: object, userInfo: presumedWriter(object, services) })
    const extra = breakages.get(`${kind} ${key(namespace, name)}`) ?? []
    const result: Result = { kind, status: 'valid', findings: [] }
    if (namespace !== undefined) result.namespace = namespace
    if (name !== undefined) result.name = name
    results.push({ ...result, ...evaluated(decide(request, policies, context, 'validate'), extra) })
  }
  return results
}

/**
 * Objects do not record who wrote them, and the controller-only policies depend on it. Objects with the
 * marks the controllers leave are taken as theirs; a spoofed managed-by label without the owner reference
 * the controller sets is still reported.
 */
export function presumedWriter(object: KubeObject, services: ReadonlyMap<string, KubeObject>): UserInfo {
  const labels = labelsOf(object)
  const namespace = objectNamespace(object)
  const name = objectName(object)
  if (object['kind'] === 'EndpointSlice') {
    const serviceName = labels[serviceNameLabel]
    const owners = Array.isArray((object['metadata'] as { ownerReferences?: unknown } | undefined)?.ownerReferences)
      ? ((object['metadata'] as { ownerReferences: unknown[] }).ownerReferences.filter(isObject))
      : []
    const owner = owners.find((o) => o['controller'] === true && o['name'] === serviceName)
    if (labels[managedByLabel] === 'endpointslice-controller.k8s.io' && owner?.['kind'] === 'Service') {
      return { username: controllerUsers.endpointSlice }
    }
    if (labels[managedByLabel] === 'endpointslicemirroring-controller.k8s.io' && owner?.['kind'] === 'Endpoints') {
      return { username: controllerUsers.mirroring }
    }
    return auditUser
  }
  // The API server itself maintains the default/kubernetes Service and its Endpoints.
  if (namespace === 'default' && name === 'kubernetes' && (object['kind'] === 'Service' || object['kind'] === 'Endpoints')) {
    return { username: controllerUsers.apiServer }
  }
  if (object['kind'] === 'Endpoints') {
    // The endpoints controller maintains the Endpoints of selector Services.
    if (selectorOf(services.get(key(namespace, name))) !== undefined) return { username: controllerUsers.controllerManager }
  }
  return auditUser
}

function selectorOf(service: KubeObject | undefined): Record<string, string> | undefined {
  const spec = service?.['spec']
  if (!isObject(spec) || spec['type'] === 'ExternalName') return undefined
  const selector = spec['selector']
  if (!isObject(selector) || Object.keys(selector).length === 0) return undefined
  return Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, String(v)]))
}

function breakage(policy: string, path: string, type: string, value: string | undefined, detail: string): ReportedFinding {
  const message = value === undefined ? `${policy}: ${path}: ${type}: ${detail}` : `${policy}: ${path}: ${type}: ${value}: ${detail}`
  const finding: ReportedFinding = { policy, action: 'warn', path, type, detail, message }
  if (value !== undefined) finding.value = value
  return finding
}

/** The breakage findings, keyed by `<Kind> <namespace>/<name>` of the object they are reported on. */
function breakagesOf(inventory: Inventory, services: ReadonlyMap<string, KubeObject>): Map<string, ReportedFinding[]> {
  const out = new Map<string, ReportedFinding[]>()
  const add = (kind: string, object: KubeObject, finding: ReportedFinding) => {
    const k = `${kind} ${key(objectNamespace(object), objectName(object))}`
    out.set(k, [...(out.get(k) ?? []), finding])
  }

  // missing-endpoints: the endpoints controller only picks running (not finished) Pods in the namespace.
  if (inventory.pods !== undefined) {
    const podLabels = new Map<string, Array<Readonly<Record<string, string>>>>()
    for (const pod of inventory.pods) {
      const phase = isObject(pod['status']) ? pod['status']['phase'] : undefined
      if (phase === 'Succeeded' || phase === 'Failed') continue
      const ns = objectNamespace(pod) ?? ''
      podLabels.set(ns, [...(podLabels.get(ns) ?? []), labelsOf(pod)])
    }
    for (const service of inventory.services) {
      const selector = selectorOf(service)
      if (selector === undefined) continue
      const ns = objectNamespace(service) ?? ''
      if ((podLabels.get(ns) ?? []).some((labels) => selectorMatches({ matchLabels: selector }, labels))) continue
      const shown = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')
      add('Service', service, breakage('missing-endpoints', 'spec.selector', 'Not found', JSON.stringify(shown),
        `no Pod in namespace ${ns} matches the selector, so the Service has no endpoints`))
    }
  }

  // orphan-endpointslice, and the slices of each Service for endpoints-not-ready.
  const slicesOf = new Map<string, KubeObject[]>()
  for (const slice of inventory.slices) {
    const ns = objectNamespace(slice)
    const serviceName = labelsOf(slice)[serviceNameLabel]
    if (serviceName === undefined || serviceName === '') {
      add('EndpointSlice', slice, breakage('orphan-endpointslice', `metadata.labels[${serviceNameLabel}]`, 'Required value', undefined,
        'no Service uses this slice: it has no service-name label'))
      continue
    }
    if (!services.has(key(ns, serviceName))) {
      add('EndpointSlice', slice, breakage('orphan-endpointslice', `metadata.labels[${serviceNameLabel}]`, 'Not found', JSON.stringify(serviceName),
        `no Service of that name in namespace ${ns ?? ''}: no Service uses this slice`))
      continue
    }
    const k = key(ns, serviceName)
    slicesOf.set(k, [...(slicesOf.get(k) ?? []), slice])
  }

  // endpoints-not-ready: at least one endpoint, and every one explicitly not ready (unset means ready).
  for (const service of inventory.services) {
    const slices = slicesOf.get(key(objectNamespace(service), objectName(service))) ?? []
    const endpoints = slices.flatMap((s) => (Array.isArray(s['endpoints']) ? s['endpoints'].filter(isObject) : []))
    if (endpoints.length === 0) continue
    if (!endpoints.every((e) => isObject(e['conditions']) && e['conditions']['ready'] === false)) continue
    const names = slices.map((s) => objectName(s) ?? '').join(', ')
    const all = endpoints.length === 1 ? 'its only endpoint is' : `all ${endpoints.length} of its endpoints are`
    add('Service', service, breakage('endpoints-not-ready', '(object)', 'Invalid value', undefined,
      `${all} not ready (EndpointSlices: ${names}), so the Service receives no traffic`))
  }
  return out
}
