/**
 * `audit --write-reports`: applies the PolicyReports built from the audit (src/cli/output/policy-report.ts) with
 * server-side apply, then deletes the ones endpoint-guard wrote earlier for namespaces that are now clean. Applying
 * first means a failure half-way leaves the previous reports, never none.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { getJson, KubeApiError, listAll, requestJson } from '../cluster/list.js'
import { describeError, guardError } from '../errors.js'
import { isObject, objectKey, objectName, objectNamespace, type KubeObject } from '../kube/object.js'
import { managedByLabel, policyReportGroupVersion, policyReportName } from './output/policy-report.js'

const groupPath = `/apis/${policyReportGroupVersion}`
const fieldManager = 'endpoint-guard'

export interface WriteScope {
  /** --namespace: only that namespace's reports are written and cleaned up, and no ClusterPolicyReport */
  namespace: string | undefined
  chunkSize: number
}

export interface Written {
  applied: number
  deleted: number
}

const collectionOf = (kind: string, namespace: string | undefined) =>
  kind === 'ClusterPolicyReport'
    ? `${groupPath}/clusterpolicyreports`
    : namespace === undefined
      ? `${groupPath}/policyreports`
      : `${groupPath}/namespaces/${encodeURIComponent(namespace)}/policyreports`

const shown = (kind: string, namespace: string | undefined, name: string) => `${kind} ${namespace === undefined ? name : objectKey(namespace, name)}`

/**
 * Whether the API serves PolicyReports: the group/version's resource list must name them. A 404 (or a list
 * without them) is the CRD not installed; anything else is an API that cannot be read.
 */
export async function checkPolicyReportCrd(kubeConfig: KubeConfig): Promise<void> {
  const missing = guardError('EG_NO_POLICYREPORT_CRD', `policyreports.${policyReportGroupVersion.replace('/', ' ')}`)
  let list: KubeObject
  try {
    list = await getJson(kubeConfig, groupPath)
  } catch (err) {
    if (err instanceof KubeApiError && err.statusCode === 404) throw missing
    throw guardError('EG_REPORT_WRITE', 'discover', groupPath, describeError(err))
  }
  const resources = Array.isArray(list['resources']) ? list['resources'].filter(isObject) : []
  if (!resources.some((r) => r['name'] === 'policyreports')) throw missing
}

/** Applies `reports` and deletes the stale ones in scope; `log` says each write. */
export async function writePolicyReports(kubeConfig: KubeConfig, reports: readonly KubeObject[], scope: WriteScope, log: (line: string) => void): Promise<Written> {
  const kept = new Set<string>()
  for (const report of reports) {
    const kind = String(report['kind'])
    const namespace = objectNamespace(report)
    const name = objectName(report) ?? policyReportName
    const query = new URLSearchParams({ fieldManager, force: 'true' })
    const path = `${collectionOf(kind, namespace)}/${encodeURIComponent(name)}?${query.toString()}`
    try {
      await requestJson(kubeConfig, 'PATCH', path, { body: report, contentType: 'application/apply-patch+yaml' })
    } catch (err) {
      throw guardError('EG_REPORT_WRITE', 'apply', shown(kind, namespace, name), describeError(err))
    }
    kept.add(shown(kind, namespace, name))
    const summary = isObject(report['summary']) ? report['summary'] : {}
    const counts = ['fail', 'warn', 'error'].map((k) => `${typeof summary[k] === 'number' ? summary[k] : 0} ${k}`).join(', ')
    log(`applied ${shown(kind, namespace, name)} (${counts})`)
  }

  let deleted = 0
  const kinds = scope.namespace === undefined ? ['PolicyReport', 'ClusterPolicyReport'] : ['PolicyReport']
  for (const kind of kinds) {
    const collection = collectionOf(kind, scope.namespace)
    let existing: KubeObject[]
    try {
      existing = (await listAll(kubeConfig, collection, { limit: scope.chunkSize, labelSelector: `${managedByLabel.key}=${managedByLabel.value}` })).items
    } catch (err) {
      throw guardError('EG_REPORT_WRITE', 'list', `${kind}s`, describeError(err))
    }
    for (const report of existing) {
      const namespace = objectNamespace(report)
      const name = objectName(report) ?? ''
      // Only the reports this command writes: the label alone could be on another tool's objects.
      if (name !== policyReportName || kept.has(shown(kind, namespace, name))) continue
      try {
        await requestJson(kubeConfig, 'DELETE', `${collectionOf(kind, namespace)}/${encodeURIComponent(name)}`)
      } catch (err) {
        // Gone already (another audit run, a namespace being deleted) is what we wanted.
        if (err instanceof KubeApiError && err.statusCode === 404) continue
        throw guardError('EG_REPORT_WRITE', 'delete', shown(kind, namespace, name), describeError(err))
      }
      deleted++
      log(`deleted ${shown(kind, namespace, name)}: no findings any more`)
    }
  }
  return { applied: reports.length, deleted }
}
