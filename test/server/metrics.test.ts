import { X509Certificate } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import t from 'tap'
import { contextCaches } from '../../src/cluster/caches.js'
import { parseConfig } from '../../src/config.js'
import { bundledPaths } from '../../src/paths.js'
import { boundCounter, createMetrics } from '../../src/server/metrics.js'
import { startServer } from '../../src/server/serve.js'
import { sample, scrape } from '../support/app.js'
import { FakeKubeApi } from '../support/fake-kube-api.js'
import { fixturesDir } from '../support/fixtures.js'
import { post, testCa, testLeaf } from '../support/https-client.js'
import { writeKubeconfig } from '../support/kubeconfig.js'
import { until } from '../support/wait.js'

const reviewText = (name: string) => readFileSync(path.join(fixturesDir, 'reviews', `${name}.review.json`), 'utf8')
const silent = pino({ level: 'silent' })

t.test('/metrics: Prometheus text on the probe port, moving as requests are answered', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  const kubeconfig = await writeKubeconfig(api, t)
  const ca = await testCa('metrics-ca')
  const serving = await testLeaf(ca, 'localhost', { days: 45 })
  const dir = t.testdir({ 'tls.crt': serving.cert, 'tls.key': serving.key })
  const config = parseConfig('serve', 
    { port: '0', probePort: '0', host: '127.0.0.1', tlsCertFile: path.join(dir, 'tls.crt'), tlsKeyFile: path.join(dir, 'tls.key'), kubeconfig },
    {},
  )
  const server = await startServer(config, silent)
  t.teardown(() => server.close())
  const send = (webhook: string, body: string) => post({ port: server.admissionPort, ca: ca.cert, path: `/${webhook}`, body })

  const res = await fetch(`http://127.0.0.1:${server.probePort}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const before = await res.text()
  for (const name of [
    'endpoint_guard_admission_requests_total',
    'endpoint_guard_admission_duration_seconds',
    'endpoint_guard_violations_total',
    'endpoint_guard_policies_loaded',
    'endpoint_guard_policy_reloads_total',
    'endpoint_guard_certificate_reloads_total',
    'endpoint_guard_certificate_expiry_timestamp_seconds',
    'endpoint_guard_cluster_cache_synced',
    'endpoint_guard_cluster_outages',
    'endpoint_guard_overload_rejections_total',
    'endpoint_guard_process_cpu_seconds_total',
  ]) {
    t.match(before, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exported`)
  }
  t.equal(sample(before, 'endpoint_guard_policies_loaded'), readdirSync(bundledPaths.policies).filter((f) => f.endsWith('.json')).length)
  t.equal(
    sample(before, 'endpoint_guard_certificate_expiry_timestamp_seconds'),
    Math.floor(new Date(new X509Certificate(serving.cert).validTo).getTime() / 1000),
  )

  // Cluster cache: synced once the watches have listed, and readiness with it.
  const synced = await until('the cluster caches to sync', async () => {
    const text = await scrape(server.probePort)
    return contextCaches.every((cache) => sample(text, 'endpoint_guard_cluster_cache_synced', { cache }) === 1) && text
  })
  t.equal(sample(synced, 'endpoint_guard_cluster_outages'), 0)
  t.equal((await fetch(`http://127.0.0.1:${server.probePort}/readyz`)).status, 200)

  // Requests of each decision.
  t.equal((await send('validate', reviewText('pepr-service-create'))).status, 200) // allowed
  t.equal((await send('validate', reviewText('gatekeeper-externalip-disallowed'))).status, 200) // denied
  t.equal((await send('validate', reviewText('gatekeeper-externalip-disallowed'))).status, 200) // denied again
  t.equal((await send('validate', reviewText('endpoints-by-user'))).status, 200) // allowed with a warning
  t.equal((await send('mutate', reviewText('example-slice-create'))).status, 200) // nothing to patch
  t.equal((await send('validate', '{"apiVersion": ')).status, 400) // rejected
  const strange = JSON.parse(reviewText('pepr-service-create')) as { request: { kind: { kind: string } } }
  strange.request.kind.kind = 'Something-Else-1234'
  t.equal((await send('validate', JSON.stringify(strange))).status, 200)

  const after = await scrape(server.probePort)
  const requests = (labels: Record<string, string>) => sample(after, 'endpoint_guard_admission_requests_total', labels)
  t.equal(requests({ webhook: 'validate', kind: 'Service', operation: 'CREATE', decision: 'allowed' }), 1)
  t.equal(requests({ webhook: 'validate', kind: 'Service', operation: 'CREATE', decision: 'denied' }), 2)
  t.equal(requests({ webhook: 'validate', kind: 'Endpoints', operation: 'CREATE', decision: 'warned' }), 1)
  t.equal(requests({ webhook: 'mutate', kind: 'EndpointSlice', operation: 'CREATE', decision: 'allowed' }), 1, 'it already has managed-by: no patch')
  t.equal(requests({ webhook: 'validate', kind: '', operation: '', decision: 'rejected' }), 1)
  t.equal(requests({ webhook: 'validate', kind: 'other', operation: 'CREATE', decision: 'allowed' }), 1, 'a kind outside the rules is "other"')
  t.notMatch(after, /Something-Else-1234/, 'client text never becomes a label')
  t.equal(sample(after, 'endpoint_guard_violations_total', { policy: 'service-external-ips', action: 'deny' }), 2)
  t.equal(sample(after, 'endpoint_guard_violations_total', { policy: 'endpoints-deprecated', action: 'warn' }), 1)
  t.equal(sample(after, 'endpoint_guard_admission_duration_seconds_count', { webhook: 'validate' }), 6)
  t.equal(sample(after, 'endpoint_guard_admission_duration_seconds_count', { webhook: 'mutate' }), 1)
  t.equal(sample(after, 'endpoint_guard_admission_duration_seconds_bucket', { webhook: 'validate', le: '+Inf' }), 6)
  t.ok(sample(after, 'endpoint_guard_admission_duration_seconds_sum', { webhook: 'validate' }) > 0)

  // The API server goes away: the caches report it (stale, serving the last known state).
  api.setDown(true)
  api.dropWatches()
  const down = await until(
    'the caches to notice the outage',
    async () => {
      const text = await scrape(server.probePort)
      return sample(text, 'endpoint_guard_cluster_outages') >= 1 && text
    },
    30_000,
  )
  t.ok(sample(down, 'endpoint_guard_cluster_cache_synced', { cache: 'namespaces' }) === 0 || sample(down, 'endpoint_guard_cluster_cache_synced', { cache: 'services' }) === 0)
  api.setDown(false)
  await until('the caches to sync again', async () => sample(await scrape(server.probePort), 'endpoint_guard_cluster_cache_synced', { cache: 'services' }) === 1, 30_000)
})

t.test('every cluster cache is exported from start-up, at 0, even without a cluster', async (t) => {
  const metrics = createMetrics()
  const text = await metrics.registry.metrics()
  t.same(contextCaches, ['namespaces', 'services', 'nodes', 'endpointslices'])
  for (const cache of contextCaches) t.equal(sample(text, 'endpoint_guard_cluster_cache_synced', { cache }), 0, cache)
})

t.test('a bound counter keeps one series per combination of label values, in whatever order the keys come', async (t) => {
  const metrics = createMetrics()
  const count = boundCounter(metrics.requests)
  count({ webhook: 'validate', kind: 'Service', operation: 'CREATE', decision: 'allowed' })
  count({ webhook: 'validate', kind: 'Service', operation: 'CREATE', decision: 'allowed' })
  count({ decision: 'denied', operation: 'CREATE', kind: 'Service', webhook: 'validate' })
  count({ webhook: 'mutate', kind: 'Service', operation: 'CREATE', decision: 'allowed' }, 5)
  count({ webhook: 'validate', kind: 'EndpointSlice', operation: 'CREATE', decision: 'allowed' })
  const values = (await metrics.requests.get()).values.map((v) => `${v.labels.webhook} ${v.labels.kind} ${v.labels.decision} ${v.value}`).sort()
  t.same(values, ['mutate Service allowed 5', 'validate EndpointSlice allowed 1', 'validate Service allowed 2', 'validate Service denied 1'])
})
