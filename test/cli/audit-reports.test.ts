// audit's PolicyReports: `-o policyreport` prints them, `--write-reports` applies them to the fake API with
// server-side apply and deletes its own stale ones, and a cluster without the PolicyReport CRD is a clear exit 2.
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { startAuditCluster } from './support/audit-cluster.js'
import { ensureBuilt, golden, runCli } from './support/cli.js'

t.before(ensureBuilt)
t.setTimeout(600_000)
const { api, kubeconfig } = await startAuditCluster(t)

type Report = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  summary: Record<string, number>
  results: Array<{ policy: string; rule: string; result: string; source: string; message: string; resources: Array<Record<string, string>>; timestamp: { seconds: number; nanos: number } }>
}
const reportsOf = (text: string): Report[] => parseAllDocuments(text).map((d) => d.toJS() as Report).filter((r) => r !== null)
/** The audit's time is in every result; the golden holds a fixed one. */
const withFixedTime = (text: string): string => text.replace(/seconds: \d+/g, 'seconds: 1767225600').replace(/nanos: \d+/g, 'nanos: 0')

t.test('audit -o policyreport: one PolicyReport per namespace with findings, in the shape Policy Reporter reads', async (t) => {
  const before = Date.now()
  const run = await runCli(['audit', '--kubeconfig', kubeconfig, '-o', 'policyreport'])
  t.equal(run.code, 1, 'violations exit 1, as for the other formats')
  t.equal(run.stderr, '')
  t.equal(withFixedTime(run.stdout), golden('audit.policyreport.yaml', withFixedTime(run.stdout)), 'stdout')
  const reports = reportsOf(run.stdout)
  t.ok(reports.length >= 2, 'several namespaces')
  const namespaces = reports.map((r) => r.metadata.namespace)
  t.same(namespaces, [...new Set(namespaces)], 'one report per namespace')
  for (const report of reports) {
    t.equal(report.apiVersion, 'wgpolicyk8s.io/v1alpha2')
    t.equal(report.kind, 'PolicyReport')
    t.equal(report.metadata.name, 'endpoint-guard')
    t.equal(report.metadata.labels?.['app.kubernetes.io/managed-by'], 'endpoint-guard')
    const counted: Record<string, number> = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 }
    for (const result of report.results) {
      counted[result.result] = (counted[result.result] ?? 0) + 1
      t.equal(result.source, 'endpoint-guard')
      t.ok(['fail', 'warn', 'skip', 'error'].includes(result.result), `${result.policy}: a known result`)
      t.equal(result.resources.length, 1)
      const resource = result.resources[0] ?? {}
      t.equal(resource['namespace'], report.metadata.namespace, 'the resource is in the report namespace')
      for (const key of ['apiVersion', 'kind', 'name', 'uid']) t.ok(resource[key], `resource ${key}`)
      t.ok(result.timestamp.seconds * 1000 >= before - 1000 && result.timestamp.nanos >= 0, 'stamped with the audit time')
    }
    t.same(report.summary, counted, `${report.metadata.namespace}: the summary counts the results`)
  }
  t.ok(reports.some((r) => r.results.some((x) => x.result === 'fail')), 'deny findings are failures')
  t.ok(reports.some((r) => r.results.some((x) => x.result === 'warn')), 'warnings and breakages are warnings')
})

t.test('audit --write-reports: server-side apply of each report, its own stale reports deleted, others kept', async (t) => {
  const stale = api.addPolicyReport({
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    metadata: { name: 'endpoint-guard', namespace: 'kube-public', labels: { 'app.kubernetes.io/managed-by': 'endpoint-guard' } },
    summary: { fail: 1 },
    results: [],
  })
  api.addPolicyReport({
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    metadata: { name: 'kyverno-polr', namespace: 'kube-public', labels: { 'app.kubernetes.io/managed-by': 'kyverno' } },
    results: [],
  })
  const printed = reportsOf((await runCli(['audit', '--kubeconfig', kubeconfig, '-o', 'policyreport'])).stdout)
  const from = api.applies.length
  const run = await runCli(['audit', '--kubeconfig', kubeconfig, '--write-reports'])
  t.equal(run.code, 0, 'the findings are in the reports: the run succeeded')
  const applies = api.applies.slice(from)
  t.equal(applies.length, printed.length, 'one apply per report')
  for (const apply of applies) {
    t.equal(apply.contentType, 'application/apply-patch+yaml', `${apply.path}: server-side apply`)
    t.equal(apply.query['fieldManager'], 'endpoint-guard')
    t.equal(apply.query['force'], 'true')
  }
  const stored = api.policyReports()
  const ours = stored.filter((r) => (r['metadata'] as { name: string }).name === 'endpoint-guard')
  t.same(
    ours.map((r) => (r['metadata'] as { namespace: string }).namespace).sort(),
    printed.map((r) => r.metadata.namespace).sort(),
    'a report for each namespace with findings, the stale one of the clean kube-public gone',
  )
  t.notOk(ours.some((r) => (r['metadata'] as { namespace: string }).namespace === (stale['metadata'] as { namespace: string }).namespace), 'stale report deleted')
  t.ok(stored.some((r) => (r['metadata'] as { name: string }).name === 'kyverno-polr'), "another tool's report is left alone")
  t.match(run.stderr, /applied PolicyReport \S+\/endpoint-guard \(\d+ fail, \d+ warn, \d+ error\)/)
  t.match(run.stderr, 'deleted PolicyReport kube-public/endpoint-guard: no findings any more')
  const again = await runCli(['audit', '--kubeconfig', kubeconfig, '--write-reports'])
  t.equal(again.code, 0, 'a second run replaces the reports in place')
  t.equal(api.policyReports().filter((r) => (r['metadata'] as { name: string }).name === 'endpoint-guard').length, ours.length)
})

t.test('audit --write-reports without the PolicyReport CRD: a clear error, exit 2, nothing listed', async (t) => {
  api.setPolicyReportCrd(false)
  t.teardown(() => api.setPolicyReportCrd(true))
  const from = api.requests.length
  const run = await runCli(['audit', '--kubeconfig', kubeconfig, '--write-reports'])
  t.equal(run.code, 2)
  t.match(run.stderr, /the PolicyReport CRD is not installed/)
  t.match(run.stderr, /leave out --write-reports/)
  t.notOk(api.requests.slice(from).some((r) => r.path === '/api/v1/services'), 'found out before the listing')
  const print = await runCli(['audit', '--kubeconfig', kubeconfig, '-o', 'policyreport'])
  t.equal(print.code, 1, 'printing needs no CRD')
})
