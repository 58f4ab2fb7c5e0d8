/**
 * `endpoint-guard audit`: lists every live Service, EndpointSlice and Endpoints (paginated) and prints what the
 * core's audit (src/engine/audit.ts) finds in them. This file is the wiring: flags, listing, printing.
 */
// Only the type statically: client-node takes about a second to load, so kube-config.js is imported when used.
import type { KubeConfig } from '@kubernetes/client-node'
import type { Command } from 'commander'
import { getJson, KubeApiError, listAll } from '../cluster/list.js'
import { staticContext } from '../cluster/static-context.js'
import { parseConfig, type ConfigOf } from '../config.js'
import { auditInventory, type Inventory } from '../engine/audit.js'
import { judgingAt } from '../engine/judging.js'
import { describeError, guardError, isGuardError } from '../errors.js'
import { metadataOf, withTypeMeta, type KubeObject } from '../kube/object.js'
import type { Io } from './io.js'
import { loadPoliciesFor } from './load-policies.js'
import { rawFlags, withSettings } from './options.js'
import { createOutput } from './output/create.js'
import { PolicyReportCollector } from './output/policy-report.js'
import { count, emptySummary, evaluated, exitCodeOf, type Result } from './output/result.js'
import { checkPolicyReportCrd, writePolicyReports } from './write-reports.js'

type AuditConfig = ConfigOf<'audit'>

const help = `
Needs read access (list) to services, endpoints, pods and namespaces (core) and endpointslices
(discovery.k8s.io). The cluster: --kubeconfig, else the first file in $KUBECONFIG, else the in-cluster
service account.

Each object is evaluated as an UPDATE that changes nothing, so violations that ratcheting lets stay are
reported. The writer of an object is not recorded in it: objects that carry the marks of the Kubernetes
controllers (an EndpointSlice whose managed-by label names a controller and whose controller owner is its
Service or Endpoints; the Endpoints of a Service with a selector; default/kubernetes) are evaluated as
written by those controllers, everything else as a user.

PolicyException files in the --policies directories exempt the findings they cover, shown as exempted.

Breakages are reported as warnings: missing-endpoints (a Service whose selector matches no Pod),
orphan-endpointslice (a slice whose kubernetes.io/service-name names no Service), endpoints-not-ready (a
Service whose endpoints all have ready=false).

Output as for check: text, json or github; policyreport prints wgpolicyk8s.io/v1alpha2 PolicyReports (YAML,
one per namespace with findings). A failure that stops the audit (policies that do not load, no cluster, an
API that cannot be read) is also a JSON error object (json) or an ::error annotation (github).

--write-reports applies the same PolicyReports to the cluster (server-side apply, field manager
endpoint-guard, label app.kubernetes.io/managed-by=endpoint-guard) and deletes the ones it wrote earlier for
namespaces that are now clean. It needs get on the wgpolicyk8s.io/v1alpha2 group and get, list, create, patch
and delete on policyreports (and clusterpolicyreports without --namespace).

Exit status:
  0  no violation (warnings are shown but pass, unless --strict); with --write-reports: the reports are written
  1  an object violates a deny policy (or, with --strict, has a warning or a breakage)
  2  usage error, no cluster, the API could not be read, or (--write-reports) the PolicyReport CRD is not
     installed or a report could not be written`

export function registerAudit(program: Command, io: Io, version: string): void {
  withSettings(
    program
      .command('audit')
      .description('report live Services, EndpointSlices and Endpoints that violate the policies, and broken Services'),
    'audit',
  )
    .addHelpText('after', help)
    .action(async (opts: Record<string, unknown>) => {
      io.setExitCode(await runAudit(parseConfig('audit', rawFlags('audit', opts), io.env), io, process.cwd(), version))
    })
}

/** Runs `audit` and returns the exit status. */
export async function runAudit(config: AuditConfig, io: Pick<Io, 'stdout' | 'stderr'>, cwd: string, version: string): Promise<number> {
  const loaded = await loadPoliciesFor('audit', config.policies, io.stderr, cwd)
  const now = new Date()
  const output = createOutput(config.output, io.stdout, { verb: 'audited', noun: 'object', version, policies: loaded.ok ? loaded.policies : undefined, cwd, now })
  if (!loaded.ok) {
    output.end(undefined, loaded.error)
    return 2
  }
  const policies = loaded.policies
  const fail = (err: unknown) => {
    io.stderr(`endpoint-guard audit: ${describeError(err)}`)
    output.end(undefined, { code: isGuardError(err) ? err.code : 'EG_LIST', message: describeError(err) })
    return 2
  }
  let kubeConfig: KubeConfig | undefined
  try {
    const { loadKubeConfig } = await import('../cluster/kube-config.js')
    kubeConfig = loadKubeConfig(config)
  } catch (err) {
    return fail(err)
  }
  if (kubeConfig === undefined) return fail(guardError('EG_NO_CLUSTER'))

  const log = (s: string) => io.stderr(`endpoint-guard audit: ${s}`)
  let inventory: Inventory
  try {
    // Before the listing: an audit whose reports cannot be written is a failed run, found out early.
    if (config.writeReports) await checkPolicyReportCrd(kubeConfig)
    inventory = await listInventory(kubeConfig, config, log)
  } catch (err) {
    return fail(err)
  }
  const summary = emptySummary(false)
  const context = staticContext([...inventory.namespaces, ...inventory.services])
  const reports = config.writeReports ? new PolicyReportCollector(now) : undefined
  for (const audited of auditInventory(inventory, policies, context, judgingAt(now.getTime()))) {
    const result: Result = { kind: audited.kind, status: 'valid', findings: [] }
    if (audited.namespace !== undefined) result.namespace = audited.namespace
    if (audited.name !== undefined) result.name = audited.name
    const apiVersion = audited.object['apiVersion']
    if (typeof apiVersion === 'string') result.apiVersion = apiVersion
    const uid = metadataOf(audited.object)['uid']
    if (typeof uid === 'string') result.uid = uid
    const evaluatedResult: Result = { ...result, ...evaluated(audited.validation, audited.breakages) }
    count(summary, evaluatedResult)
    output.result(evaluatedResult)
    reports?.add(evaluatedResult)
  }
  if (reports !== undefined) {
    try {
      await writePolicyReports(kubeConfig, reports.reports(), { namespace: config.namespace, chunkSize: config.chunkSize }, log)
    } catch (err) {
      return fail(err)
    }
    // The findings are in the reports; a scheduled run that failed on each of them would be retried and alert.
    output.end(summary)
    return 0
  }
  output.end(summary)
  return exitCodeOf(summary, config.strict)
}

async function listInventory(kubeConfig: KubeConfig, config: AuditConfig, warn: (s: string) => void): Promise<Inventory> {
  const ns = config.namespace
  const collection = (prefix: string, resource: string) =>
    ns === undefined ? `${prefix}/${resource}` : `${prefix}/namespaces/${encodeURIComponent(ns)}/${resource}`
  const list = async (what: string, path: string) => {
    try {
      return (await listAll(kubeConfig, path, { limit: config.chunkSize })).items
    } catch (err) {
      throw guardError('EG_LIST', what, describeError(err))
    }
  }
  const [namespaces, services, slices, endpoints, pods] = await Promise.all([
    listNamespaces(kubeConfig, config, warn),
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
async function listNamespaces(kubeConfig: KubeConfig, config: AuditConfig, warn: (s: string) => void): Promise<KubeObject[]> {
  if (config.namespace === undefined) {
    try {
      return (await listAll(kubeConfig, '/api/v1/namespaces', { limit: config.chunkSize })).items
    } catch (err) {
      throw guardError('EG_LIST', 'Namespaces', describeError(err))
    }
  }
  try {
    return [withTypeMeta(await getJson(kubeConfig, `/api/v1/namespaces/${encodeURIComponent(config.namespace)}`), 'v1', 'Namespace')]
  } catch (err) {
    if (err instanceof KubeApiError && (err.statusCode === 403 || err.statusCode === 404)) {
      warn(`cannot read namespace ${config.namespace} (${describeError(err)}); policies that select namespaces by label see none`)
      return []
    }
    throw guardError('EG_GET_NAMESPACE', config.namespace, describeError(err))
  }
}
