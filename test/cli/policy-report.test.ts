// The pure conversion of audit results to PolicyReports: results by action, exempted findings as skipped (with
// their exception), policy failures as errors, the summary, and the bound on one report's size.
import t from 'tap'
import { maxResultsPerReport, omittedAnnotation, PolicyReportCollector, reportResultsOf } from '../../src/cli/output/policy-report.js'
import type { ReportedFinding, Result } from '../../src/cli/output/result.js'

const now = new Date('2026-12-01T10:00:00.250Z')
const finding = (over: Partial<ReportedFinding> = {}): ReportedFinding => ({
  policy: 'service-external-ips',
  action: 'deny',
  path: 'spec.externalIPs[0]',
  type: 'Invalid value',
  value: '"203.0.113.10"',
  detail: 'must be inside the allowed CIDRs (none)',
  message: '',
  ...over,
})
const result = (findings: ReportedFinding[], over: Partial<Result> = {}): Result => ({
  kind: 'Service', namespace: 'edge', name: 'proxy', apiVersion: 'v1', uid: 'u-1', status: 'invalid', findings, ...over,
})

t.test('one result per finding: deny fails, warn and audit warn, exempted is skipped with its exception', async (t) => {
  const exception = { id: 'edge-proxy', reason: 'migration NET-1', expires: '2027-01-01T00:00:00Z' }
  const out = reportResultsOf(
    result([finding(), finding({ action: 'warn' }), finding({ action: 'audit' }), finding({ exception }), finding({ exception: { ...exception, expired: true } })]),
    now,
  )
  t.same(out.map((r) => r['result']), ['fail', 'warn', 'warn', 'skip', 'fail'], 'an expired exception exempts nothing')
  t.same(out[3]?.['properties'], { action: 'deny', path: 'spec.externalIPs[0]', type: 'Invalid value', value: '"203.0.113.10"', exception: 'edge-proxy', exceptionReason: 'migration NET-1', exceptionExpires: '2027-01-01T00:00:00Z' })
  t.same(out[0]?.['resources'], [{ apiVersion: 'v1', kind: 'Service', namespace: 'edge', name: 'proxy', uid: 'u-1' }])
  t.same(out[0]?.['timestamp'], { seconds: Math.floor(now.getTime() / 1000), nanos: 250_000_000 })
  t.equal(out[0]?.['message'], 'spec.externalIPs[0]: Invalid value: "203.0.113.10": must be inside the allowed CIDRs (none)')
  const failed = reportResultsOf(result([], { status: 'error', error: 'policy x failed', failedPolicy: 'x' }), now)
  t.same(failed.map((r) => [r['policy'], r['result']]), [['x', 'error']], 'a policy that failed on the object is an error result')
})

t.test('reports by namespace, a summary that counts, and at most maxResultsPerReport results each', async (t) => {
  const collector = new PolicyReportCollector(now)
  collector.add(result([finding(), finding({ action: 'warn' })]))
  collector.add(result([finding()], { namespace: 'billing' }))
  collector.add(result([], { status: 'valid' }))
  const { namespace: _, ...clusterScoped } = result([finding()], { kind: 'Namespace', name: 'edge' })
  collector.add(clusterScoped)
  const reports = collector.reports()
  t.same(reports.map((r) => [r['kind'], (r['metadata'] as { namespace?: string }).namespace]), [['ClusterPolicyReport', undefined], ['PolicyReport', 'billing'], ['PolicyReport', 'edge']])
  t.same(reports[2]?.['summary'], { pass: 0, fail: 1, warn: 1, error: 0, skip: 0 })
  const big = new PolicyReportCollector(now)
  big.add(result(Array.from({ length: maxResultsPerReport + 7 }, () => finding())))
  const [only] = big.reports()
  t.equal((only?.['results'] as unknown[]).length, maxResultsPerReport)
  t.equal((only?.['summary'] as Record<string, number>)['fail'], maxResultsPerReport + 7, 'the summary counts them all')
  t.same((only?.['metadata'] as { annotations?: Record<string, string> }).annotations, { [omittedAnnotation]: '7' })
})
