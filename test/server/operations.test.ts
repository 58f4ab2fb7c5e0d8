// What an operator sees of a running server: every counter and gauge from start-up, monitor mode and exceptions
// in the answers and metrics, exceptions reloaded with the policies, the /mutate log line naming what patched.
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { parseConfig } from '../../src/config.js'
import type { AdmissionReviewResponse } from '../../src/kube/admission.js'
import { startServer } from '../../src/server/serve.js'
import { capturingLogger, sample, scrape, testApp } from '../support/app.js'
import { fixturesDir } from '../support/fixtures.js'

const externalIpReview = readFileSync(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json'), 'utf8')
const sliceReview = readFileSync(path.join(fixturesDir, 'reviews', 'production-slice-no-purpose.review.json'), 'utf8')
const injectionReview = readFileSync(path.join(fixturesDir, 'reviews', 'slice-metadata-injection.review.json'), 'utf8')
const exceptionFile = readFileSync(path.join(fixturesDir, 'exceptions', 'policies', 'edge-proxy-external-ip.json'), 'utf8')
const json = { 'content-type': 'application/json' }

/** Whether Prometheus text has the series `name{labels}` at all (sample() reads an absent series as 0). */
function hasSeries(text: string, name: string, labels: Record<string, string> = {}): boolean {
  const wanted = Object.entries(labels)
  return text.split('\n').some((line) => {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) return false
    return wanted.every(([k, v]) => line.includes(`${k}="${v}"`))
  })
}

function serveConfig(dir: string, flags: Record<string, string | string[]>) {
  return parseConfig('serve', { port: '0', probePort: '0', host: '127.0.0.1', generatedCaFile: path.join(dir, 'ca.pem'), ...flags }, {})
}

t.test('monitor mode with an exception: metrics from start-up, answers, reload', async (t) => {
  const dir = t.testdir({ exceptions: { 'edge-proxy-external-ip.json': exceptionFile } })
  const { logger, lines } = capturingLogger()
  const config = serveConfig(dir, { policies: ['bundled', path.join(dir, 'exceptions')], enforcement: 'warn', policyAction: ['endpoints-deprecated=audit'] })
  const server = await startServer(config, logger)
  t.teardown(() => server.close())

  const start = await scrape(server.probePort)
  for (const result of ['success', 'failure']) {
    t.ok(hasSeries(start, 'endpoint_guard_policy_reloads_total', { result }), `policy reloads (${result}) at start-up`)
    t.ok(hasSeries(start, 'endpoint_guard_certificate_reloads_total', { result }), `certificate reloads (${result}) at start-up`)
    t.equal(sample(start, 'endpoint_guard_policy_reloads_total', { result }), 0)
  }
  t.equal(sample(start, 'endpoint_guard_enforcement', { mode: 'warn' }), 1, 'the mode in force')
  t.ok(hasSeries(start, 'endpoint_guard_enforcement', { mode: 'deny' }) && sample(start, 'endpoint_guard_enforcement', { mode: 'deny' }) === 0)
  t.ok(hasSeries(start, 'endpoint_guard_violations_total', { policy: 'service-external-ips', action: 'deny' }), 'violations of each policy from start-up')
  t.ok(hasSeries(start, 'endpoint_guard_violations_total', { policy: 'endpoints-deprecated', action: 'audit' }), 'under the action --policy-action gives')
  t.ok(hasSeries(start, 'endpoint_guard_exceptions_applied_total', { exception: 'edge-proxy-external-ip', policy: 'service-external-ips' }), 'each exception from start-up')
  t.equal(sample(start, 'endpoint_guard_exceptions_loaded'), 1)
  for (const name of ['endpoint_guard_cluster_outages', 'endpoint_guard_admission_in_flight', 'endpoint_guard_overload_rejections_total', 'endpoint_guard_admission_requests_total']) {
    t.match(start, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exported`)
  }
  t.ok(hasSeries(start, 'endpoint_guard_cluster_outages') && hasSeries(start, 'endpoint_guard_overload_rejections_total'), 'unlabelled ones with a value')
  const startLine = lines().find((l) => typeof l['enforcement'] === 'string')
  t.equal(startLine?.['enforcement'], 'warn', 'the mode is logged at start-up')
  t.match(String(startLine?.['msg']), /monitor mode/)
  t.same(startLine?.['policyActions'], { 'endpoints-deprecated': 'audit' })

  // The exception applies (counted); the slice's deny is answered allowed in monitor mode.
  const exempted = await server.admission.inject({ method: 'POST', url: '/validate', headers: json, payload: externalIpReview })
  const exemptedAnswer = exempted.json<AdmissionReviewResponse>().response
  t.equal(exemptedAnswer.allowed, true)
  t.match(exemptedAnswer.warnings?.[0], /\(exempted by exception edge-proxy-external-ip: edge proxy migration, NET-1234\)$/)
  const monitored = await server.admission.inject({ method: 'POST', url: '/validate', headers: json, payload: injectionReview })
  const monitoredAnswer = monitored.json<AdmissionReviewResponse>().response
  t.equal(monitoredAnswer.allowed, true, 'monitor mode: allowed')
  t.match(monitoredAnswer.warnings?.[0], /\(would have been denied; enforcement is warn\)$/)
  t.match(monitoredAnswer.auditAnnotations?.['endpointslice-addresses'], /^would have been denied: /)
  const after = await scrape(server.probePort)
  t.equal(sample(after, 'endpoint_guard_exceptions_applied_total', { exception: 'edge-proxy-external-ip', policy: 'service-external-ips' }), 1)
  t.equal(sample(after, 'endpoint_guard_admission_requests_total', { webhook: 'validate', kind: 'EndpointSlice', operation: 'CREATE', decision: 'warned' }), 1)

  // A reload reads the exceptions with the policies.
  await writeFile(path.join(dir, 'exceptions', 'payments.json'), readFileSync(path.join(fixturesDir, 'exceptions', 'policies', 'payments-slice-purpose.json')))
  t.equal(await server.policies.reload(), 'updated')
  t.same(server.policies.current().exceptions.map((e) => e.id), ['edge-proxy-external-ip', 'payments-slice-purpose'])
  const reloaded = await scrape(server.probePort)
  t.equal(sample(reloaded, 'endpoint_guard_exceptions_loaded'), 2)
  t.ok(hasSeries(reloaded, 'endpoint_guard_exceptions_applied_total', { exception: 'payments-slice-purpose', policy: 'endpointslice-production-purpose' }))
  const reloadLine = lines().find((l) => String(l['msg']).startsWith('policies reloaded'))
  t.same((reloadLine?.['exceptions'] as Array<{ id: string }> | undefined)?.map((e) => e.id), ['edge-proxy-external-ip', 'payments-slice-purpose'], 'the reload log lists them')
})

t.test('--policy-action naming a policy that is not loaded stops start-up', async (t) => {
  const dir = t.testdir()
  await t.rejects(startServer(serveConfig(dir, { policyAction: ['service-external-ip=warn'] }), capturingLogger().logger), {
    code: 'EG_CONFIG',
    message: /--policy-action names policy "service-external-ip", which is not loaded \(did you mean "service-external-ips"\?\)/,
  })
  await t.rejects(startServer(serveConfig(dir, { policyAction: ['endpointslice-default-managed-by=warn'] }), capturingLogger().logger), { code: 'EG_CONFIG', message: /a mutate policy/ })
})

t.test('the log line of a /mutate answer names the policies that patched', async (t) => {
  const { loadPolicies } = await import('../../src/policy-files/read.js')
  const { logger, lines } = capturingLogger()
  const app = testApp(await loadPolicies(), { logger })
  const review = JSON.parse(sliceReview) as { request: { object: { metadata: { labels: Record<string, string> } } } }
  delete review.request.object.metadata.labels['endpointslice.kubernetes.io/managed-by']
  const res = await app.inject({ method: 'POST', url: '/mutate', headers: json, payload: JSON.stringify(review) })
  t.equal(res.json<AdmissionReviewResponse>().response.patchType, 'JSONPatch')
  const line = lines().find((l) => l['msg'] === 'admission')
  t.equal(line?.['decision'], 'patched')
  t.same(line?.['policies'], ['endpointslice-default-managed-by'])
})
