import { readFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import t from 'tap'
import { parseConfig } from '../../src/config.js'
import { startServer } from '../../src/server/serve.js'
import { FakeKubeApi } from '../support/fake-kube-api.js'
import { reviewAnswer } from '../support/fixtures.js'
import { post } from '../support/https-client.js'
import { writeKubeconfig } from '../support/kubeconfig.js'
import { until } from '../support/wait.js'


const sliceReview = (name: string, serviceName: string, namespace = 'prod') =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${name}`,
      kind: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
      resource: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
      namespace,
      operation: 'CREATE',
      userInfo: { username: 'mallory' },
      object: {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name, namespace, labels: { 'kubernetes.io/service-name': serviceName, 'endpointslice.kubernetes.io/managed-by': 'manual', purpose: 'test' } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ addresses: ['10.0.0.7'] }],
      },
    },
  })

// The webhook with --kubeconfig: not ready until the Namespace and Service caches have synced, then decisions use
// the live Services (and follow their changes through the watch), with no API request per admission request.
t.test('serve with a cluster: readiness waits for the caches; decisions follow the watched Services', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  api.setDown(true)
  const dir = t.testdir()
  const kubeconfig = await writeKubeconfig(api, dir)
  const config = parseConfig('serve', { port: '0', probePort: '0', host: '127.0.0.1', kubeconfig, generatedCaFile: path.join(dir, 'ca.pem') }, {})
  const server = await startServer(config, pino({ level: 'silent' }))
  t.teardown(() => server.close())
  const readyz = async () => (await fetch(`http://127.0.0.1:${server.probePort}/readyz`)).status

  t.equal(await readyz(), 503, 'not ready while the API is unreachable')
  api.setDown(false)
  await until('ready', async () => ((await readyz()) === 200 ? true : undefined))
  const ca = readFileSync(path.join(dir, 'ca.pem'), 'utf8')

  const before = api.requests.length
  const denied = reviewAnswer((await post({ port: server.admissionPort, ca, path: '/validate', body: sliceReview('inject', 'payments') })).body)
  t.equal(denied.response.allowed, false)
  t.match(denied.response.status?.message, 'this slice would add 10.0.0.7:8080 to Service prod/payments, which selects pods app=payments')
  const warned = reviewAnswer((await post({ port: server.admissionPort, ca, path: '/validate', body: sliceReview('ok', 'legacy-db') })).body)
  t.equal(warned.response.allowed, true, 'a slice for a selector-less Service is allowed')
  t.match(warned.response.warnings, [/no port named "http" \(its ports: postgres\)/], 'and its port mismatch is warned about')
  t.equal(api.requests.length, before, 'no API request per admission request')

  const payments = api.get('Service', 'prod', 'payments') as { spec: Record<string, unknown> }
  api.modify({ ...payments, spec: { ...payments.spec, selector: undefined } })
  await until('the watch delivers the selector removal', async () => {
    const r = reviewAnswer((await post({ port: server.admissionPort, ca, path: '/validate', body: sliceReview('inject2', 'payments') })).body)
    return r.response.allowed === true ? true : undefined
  })
  const metrics = await (await fetch(`http://127.0.0.1:${server.probePort}/metrics`)).text()
  t.match(metrics, /endpoint_guard_cluster_cache_synced\{cache="services"\} 1/)
})
