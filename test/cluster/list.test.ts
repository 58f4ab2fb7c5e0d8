import { once } from 'node:events'
import http from 'node:http'
import { KubeConfig } from '@kubernetes/client-node'
import t, { type Test } from 'tap'
import { KubeApiError, listAll } from '../../src/cluster/list.js'
import { FakeKubeApi, fixtureObjects } from '../support/fake-kube-api.js'
import { writeKubeconfig } from '../support/kubeconfig.js'

async function kubeConfigFor(api: { url: string; ca: string; token: string }, t: Test): Promise<KubeConfig> {
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromFile(await writeKubeconfig(api, t))
  return kubeConfig
}

const api = await FakeKubeApi.start()
t.teardown(() => api.close())

t.test('follows continue tokens and returns raw items with kind and apiVersion', async (t) => {
  const kubeConfig = await kubeConfigFor(api, t)
  const from = api.requests.length
  const list = await listAll(kubeConfig, '/api/v1/services', { limit: 2 })
  const expected = fixtureObjects().filter((obj) => obj['kind'] === 'Service')
  t.equal(list.items.length, expected.length)
  t.same(
    new Set(list.items.map((item) => JSON.stringify(item))),
    new Set(expected.map((item) => JSON.stringify(item))),
  )
  t.equal(list.resourceVersion, api.resourceVersion)
  const requests = api.requests.slice(from)
  t.equal(requests.length, Math.ceil(expected.length / 2), 'one request per page')
  t.equal(requests[0]?.query['continue'], undefined)
  t.ok(requests.slice(1).every((r) => r.query['continue'] !== undefined && r.query['limit'] === '2'))
})

t.test('a namespaced path, another API group and a label selector', async (t) => {
  const kubeConfig = await kubeConfigFor(api, t)
  const slices = await listAll(kubeConfig, '/apis/discovery.k8s.io/v1/namespaces/prod/endpointslices', {
    labelSelector: 'kubernetes.io/service-name=payments',
  })
  t.same(
    slices.items.map((item) => [item['kind'], item['apiVersion'], (item['metadata'] as { name: string }).name]),
    [['EndpointSlice', 'discovery.k8s.io/v1', 'payments-x7k2q']],
  )
})

t.test('an expired continue token restarts the list from the beginning', async (t) => {
  const kubeConfig = await kubeConfigFor(api, t)
  const from = api.requests.length
  api.expireNextContinueToken()
  const list = await listAll(kubeConfig, '/api/v1/pods', { limit: 1 })
  t.equal(list.items.length, fixtureObjects().filter((obj) => obj['kind'] === 'Pod').length)
  const firstPages = api.requests.slice(from).filter((r) => r.query['continue'] === undefined)
  t.equal(firstPages.length, 2, 'started over once')
})

t.test('errors carry the status code and the Status body', async (t) => {
  const wrongToken = await kubeConfigFor({ url: api.url, ca: api.ca, token: 'wrong' }, t)
  const err = await listAll(wrongToken, '/api/v1/namespaces').catch((e: unknown) => e)
  t.type(err, KubeApiError)
  t.match(err, { statusCode: 401, status: { kind: 'Status', reason: 'Unauthorized' } })

  const kubeConfig = await kubeConfigFor(api, t)
  await t.rejects(listAll(kubeConfig, '/api/v1/nothing'), { name: 'KubeApiError', statusCode: 404 })

  const closed = await FakeKubeApi.start({ seed: [] })
  const unreachable = await kubeConfigFor(closed, t)
  await closed.close()
  await t.rejects(listAll(unreachable, '/api/v1/namespaces'), { name: 'KubeApiError', statusCode: undefined })
})

t.test('a character split across two chunks of the body is decoded whole', async (t) => {
  const body = Buffer.from('{"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"a","annotations":{"note":"café ☕"}}}]}')
  const split = body.indexOf(Buffer.from('é')) + 1 // between the two bytes of "é"
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length })
    res.write(body.subarray(0, split))
    // A later turn, so the client reads the two halves as separate chunks.
    setTimeout(() => res.end(body.subarray(split)), 20)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const { port } = server.address() as { port: number }
  const kubeConfig = new KubeConfig()
  // client-node refuses a plain-HTTP server unless TLS verification is off (there is no TLS to verify).
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'plain', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'plain', cluster: 'plain', user: 'u' }],
    currentContext: 'plain',
  })
  const list = await listAll(kubeConfig, '/api/v1/services')
  t.same(list.items.map((item) => (item['metadata'] as { annotations: Record<string, string> }).annotations['note']), ['café ☕'])
})
