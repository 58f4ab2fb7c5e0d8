/**
 * audit's results as wgpolicyk8s.io/v1alpha2 PolicyReports, the shape Policy Reporter, Kyverno and Kubewarden
 * read: one PolicyReport named endpoint-guard per namespace that has findings (a ClusterPolicyReport for objects
 * without a namespace), one result per finding. Pure: the caller gives the time of the audit, so the same
 * results always give the same reports. `audit --output policyreport` prints them (policyReportOutput below),
 * `audit --write-reports` applies them (src/cli/write-reports.ts).
 */
import { stringify } from 'yaml'
import type { KubeObject } from '../../kube/object.js'
import { cutEnd } from '../../policy/render.js'
import type { Output, ReportedFinding, Result } from './result.js'

export const policyReportGroupVersion = 'wgpolicyk8s.io/v1alpha2'
/** The name of every report endpoint-guard writes: one per namespace, replaced on each audit. */
export const policyReportName = 'endpoint-guard'
export const reportSource = 'endpoint-guard'
/** The label on every report endpoint-guard writes; what --write-reports lists to find the stale ones. */
export const managedByLabel = { key: 'app.kubernetes.io/managed-by', value: 'endpoint-guard' } as const
export const omittedAnnotation = 'endpoint-guard.io/omitted-results'

/**
 * An object's size is bounded (etcd refuses a request over 1.5 MiB): a namespace with more findings keeps the
 * first ones, counts the rest in the summary and names how many were left out in an annotation.
 */
export const maxResultsPerReport = 1000
const maxMessage = 1024

export type ReportResult = 'pass' | 'fail' | 'warn' | 'error' | 'skip'
export type ReportSummary = Record<ReportResult, number>

/** deny blocks (fail, high); warn and audit let the object through (warn; medium, low). */
const byAction = {
  deny: { result: 'fail', severity: 'high' },
  warn: { result: 'warn', severity: 'medium' },
  audit: { result: 'warn', severity: 'low' },
} as const satisfies Record<ReportedFinding['action'], { result: ReportResult; severity: string }>

const cut = (s: string) => cutEnd(s, maxMessage)

function resourceOf(r: Result): Record<string, string> {
  const out: Record<string, string> = {}
  if (r.apiVersion !== undefined) out['apiVersion'] = r.apiVersion
  if (r.kind !== undefined) out['kind'] = r.kind
  if (r.namespace !== undefined) out['namespace'] = r.namespace
  if (r.name !== undefined) out['name'] = r.name
  if (r.uid !== undefined) out['uid'] = r.uid
  return out
}

/** The report results of one audited object: one per finding, and an error result when a policy failed on it. */
export function reportResultsOf(r: Result, now: Date): KubeObject[] {
  const millis = now.getTime()
  const timestamp = { seconds: Math.floor(millis / 1000), nanos: (millis % 1000) * 1_000_000 }
  const resources = [resourceOf(r)]
  const out: KubeObject[] = r.findings.map((f) => {
    // An exempted finding is reported, as skipped, with the exception that exempts it (never dropped).
    const exempt = f.exception !== undefined && f.exception.expired !== true
    const { severity } = byAction[f.action]
    const result: ReportResult = exempt ? 'skip' : byAction[f.action].result
    const value = f.value === undefined ? '' : `${f.value}: `
    const properties: Record<string, string> = { action: f.action, path: f.path, type: f.type }
    if (f.value !== undefined) properties['value'] = cut(f.value)
    if (exempt && f.exception !== undefined) {
      properties['exception'] = f.exception.id
      properties['exceptionReason'] = cut(f.exception.reason)
      properties['exceptionExpires'] = f.exception.expires
    }
    return {
      source: reportSource,
      policy: f.policy,
      rule: f.policy,
      result,
      severity,
      scored: true,
      message: cut(`${f.path}: ${f.type}: ${value}${f.detail}`),
      properties,
      resources,
      timestamp,
    }
  })
  if (r.status === 'error') {
    out.push({ source: reportSource, policy: r.failedPolicy ?? reportSource, rule: r.failedPolicy ?? reportSource, result: 'error', scored: true, message: cut(r.error ?? 'unknown error'), resources, timestamp })
  }
  return out
}

interface Pending {
  results: KubeObject[]
  summary: ReportSummary
  omitted: number
}

/**
 * Collects audited objects and builds the reports at the end; holds at most maxResultsPerReport results per
 * namespace. Reports come sorted: the ClusterPolicyReport first, then the namespaces by name.
 */
export class PolicyReportCollector {
  private readonly byNamespace = new Map<string, Pending>()

  constructor(private readonly now: Date) {}

  add(r: Result): void {
    const results = reportResultsOf(r, this.now)
    if (results.length === 0) return
    const key = r.namespace ?? ''
    let pending = this.byNamespace.get(key)
    if (pending === undefined) {
      pending = { results: [], summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 }, omitted: 0 }
      this.byNamespace.set(key, pending)
    }
    for (const result of results) {
      pending.summary[result['result'] as ReportResult]++
      if (pending.results.length < maxResultsPerReport) pending.results.push(result)
      else pending.omitted++
    }
  }

  /** The namespaces that have a report ('' for the cluster-scoped one). */
  namespaces(): string[] {
    return [...this.byNamespace.keys()].sort()
  }

  reports(): KubeObject[] {
    return this.namespaces().map((namespace) => {
      const pending = this.byNamespace.get(namespace) as Pending
      const metadata: Record<string, unknown> = { name: policyReportName }
      if (namespace !== '') metadata['namespace'] = namespace
      metadata['labels'] = { [managedByLabel.key]: managedByLabel.value }
      if (pending.omitted > 0) metadata['annotations'] = { [omittedAnnotation]: String(pending.omitted) }
      return {
        apiVersion: policyReportGroupVersion,
        kind: namespace === '' ? 'ClusterPolicyReport' : 'PolicyReport',
        metadata,
        summary: pending.summary,
        results: pending.results,
      }
    })
  }
}

/**
 * `--output policyreport`: the reports as a YAML stream (`kubectl apply -f -` takes it), written at the end, as
 * they group the results by namespace. Nothing when the audit failed as a whole (the error is on stderr); a
 * comment when nothing was found.
 */
export function policyReportOutput(write: (line: string) => void, now: Date): Output {
  const collector = new PolicyReportCollector(now)
  return {
    result(r) {
      collector.add(r)
    },
    end(summary) {
      if (summary === undefined) return
      const reports = collector.reports()
      if (reports.length === 0) write('# no findings: no PolicyReport')
      for (const report of reports) write(`---\n${stringify(report, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd()}`)
    },
  }
}
