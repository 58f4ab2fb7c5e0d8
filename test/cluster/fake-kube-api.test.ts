// The fake kube-apiserver must be good enough for @kubernetes/client-node's own clients, which the `audit`
// command uses; these tests hold it to that.
import { CoreV1Api, DiscoveryV1Api, KubeConfig, Watch } from '@kubernetes/client-node'
import t from 'tap'
import { FakeKubeApi, parseLabelSelector } from '../support/fake-kube-api.js'
import { writeKubeconfig } from '../support/kubeconfig.js'
import { until } from '../support/wait.js'

const api = await FakeKubeApi.start()
t.teardown(() => api.close())
const kubeConfig = new KubeConfig()
kubeConfig.loadFromFile(await writeKubeconfig(api, t))

t.test('client-node typed lists and reads', async (t) => {
  const core = kubeConfig.makeApiClient(CoreV1Api)
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api)

  const namespaces = await core.listNamespace()
  t.same(
    namespaces.items.map((ns) => ns.metadata?.name),
    ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'prod', 'staging'],
  )
  t.equal(namespaces.items.find((ns) => ns.metadata?.name === 'prod')?.metadata?.labels?.['environment'], 'production')

  const services = await core.listServiceForAllNamespaces({ limit: 2 })
  t.equal(services.items.length, 2)
  t.ok(services.metadata?._continue, 'a continue token for the next page')
  const rest = await core.listServiceForAllNamespaces({ limit: 10, _continue: services.metadata?._continue ?? '' })
  t.equal(services.items.length + rest.items.length, 5)

  const slices = await discovery.listNamespacedEndpointSlice({
    namespace: 'prod',
    labelSelector: 'kubernetes.io/service-name=payments',
  })
  t.same(slices.items.map((s) => s.endpoints.map((e) => [e.addresses[0], e.conditions?.ready])), [
    [
      ['10.42.0.15', true],
      ['10.42.0.16', false],
    ],
  ])

  const endpoints = await core.listEndpointsForAllNamespaces()
  t.equal(endpoints.items.length, 4)
  const pods = await core.listNamespacedPod({ namespace: 'prod', labelSelector: 'app=payments' })
  t.equal(pods.items.length, 2)

  const kubernetes = await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' })
  t.equal(kubernetes.spec?.clusterIP, '10.43.0.1')
  await t.rejects(core.readNamespacedService({ name: 'nope', namespace: 'default' }), { code: 404 })
})

t.test('client-node Watch: replay from a resourceVersion, live events, 410 for a compacted one', async (t) => {
  const from = api.resourceVersion
  api.add({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'replayed', namespace: 'prod' }, spec: {} })
  const events: string[] = []
  let ended: unknown = 'open'
  const watch = new Watch(kubeConfig)
  const controller = await watch.watch(
    '/api/v1/namespaces/prod/services',
    { resourceVersion: from },
    (type, obj: { metadata?: { name?: string } }) => events.push(`${type} ${obj.metadata?.name}`),
    (err: unknown) => (ended = err),
  )
  await until('the replayed event', () => events.includes('ADDED replayed'))
  api.add({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'elsewhere', namespace: 'staging' }, spec: {} })
  api.remove('Service', 'prod', 'replayed')
  await until('the live event', () => events.includes('DELETED replayed'))
  t.same(events, ['ADDED replayed', 'DELETED replayed'], 'only the watched namespace')
  controller.abort()
  await until('the watch to end', () => ended !== 'open')

  api.compact()
  const gone: unknown[] = []
  await watch.watch('/api/v1/services', { resourceVersion: from }, (type, obj) => gone.push([type, obj]), () => {})
  await until('the ERROR event', () => gone.length > 0)
  t.match(gone[0], ['ERROR', { kind: 'Status', code: 410, reason: 'Expired' }])
})

t.test('the request log, 401 without the token, 503 while down', async (t) => {
  const core = kubeConfig.makeApiClient(CoreV1Api)
  const from = api.requests.length
  await core.listNamespacedService({ namespace: 'prod' })
  t.match(api.requests.slice(from), [
    { method: 'GET', path: '/api/v1/namespaces/prod/services', authorization: `Bearer ${api.token}`, watch: false },
  ])

  const stranger = new KubeConfig()
  stranger.loadFromFile(await writeKubeconfig({ url: api.url, ca: api.ca, token: 'stranger' }, t))
  await t.rejects(stranger.makeApiClient(CoreV1Api).listNamespace(), { code: 401 })

  api.setDown(true)
  await t.rejects(core.listNamespace(), { code: 503 })
  api.setDown(false)
  await core.listNamespace()
})

t.test('label selectors as the API server reads them: equality, existence and sets', async (t) => {
  const labels = { tier: 'db', 'endpointslice.kubernetes.io/managed-by': 'manual' }
  const cases: Array<[string, boolean]> = [
    ['tier=db', true],
    ['tier==db', true],
    ['tier!=db', false],
    ['tier!=web', true],
    ['missing!=x', true],
    ['tier', true],
    ['!tier', false],
    ['tier in (db,web)', true],
    ['tier in (web)', false],
    ['missing in (x)', false],
    ['tier notin (web, cache)', true],
    ['tier notin (db)', false],
    ['missing notin (x)', true],
    ['endpointslice.kubernetes.io/managed-by notin (endpointslice-controller.k8s.io,endpointslicemirroring-controller.k8s.io)', true],
    ['tier in (db,web),endpointslice.kubernetes.io/managed-by=manual', true],
    ['tier in (db,web),!endpointslice.kubernetes.io/managed-by', false],
    ['', true],
  ]
  for (const [selector, selects] of cases) t.equal(parseLabelSelector(selector)(labels), selects, JSON.stringify(selector))
  t.throws(() => parseLabelSelector('tier in ()'), /values set can't be empty/)
  t.throws(() => parseLabelSelector('tier ~ db'), /unable to parse/)
})

t.test('Nodes, and slices by a set-based selector: listed in pages, watched', async (t) => {
  const core = kubeConfig.makeApiClient(CoreV1Api)
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api)
  const nodes = await core.listNode()
  t.same(nodes.items.map((n) => [n.metadata?.name, n.spec?.podCIDRs]), [['k3s-server', ['10.42.0.0/24']]])

  const handManaged = 'endpointslice.kubernetes.io/managed-by notin (endpointslice-controller.k8s.io,endpointslicemirroring-controller.k8s.io)'
  const first = await discovery.listEndpointSliceForAllNamespaces({ labelSelector: handManaged, limit: 1 })
  t.equal(first.items.length, 1)
  const rest = await discovery.listEndpointSliceForAllNamespaces({ labelSelector: handManaged, _continue: first.metadata?._continue ?? '' })
  t.same(
    [...first.items, ...rest.items].map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`),
    ['default/kubernetes', 'prod/legacy-db-manual', 'staging/orphan'],
    'the controllers\' slices are left out, across pages',
  )
  await t.rejects(discovery.listEndpointSliceForAllNamespaces({ labelSelector: 'a in (' }), { code: 400 })

  const events: string[] = []
  const controller = await new Watch(kubeConfig).watch(
    '/apis/discovery.k8s.io/v1/endpointslices',
    { labelSelector: handManaged, resourceVersion: api.resourceVersion },
    (type, obj: { metadata?: { name?: string } }) => events.push(`${type} ${obj.metadata?.name}`),
    () => {},
  )
  const slice = (managedBy: string) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'moving', namespace: 'prod', labels: { 'endpointslice.kubernetes.io/managed-by': managedBy } },
    addressType: 'IPv4',
    endpoints: [],
  })
  api.add(slice('endpointslice-controller.k8s.io'))
  api.modify(slice('manual'))
  api.modify(slice('manual'))
  api.modify(slice('endpointslicemirroring-controller.k8s.io'))
  api.remove('EndpointSlice', 'prod', 'moving')
  api.add(slice('manual'))
  await until('the last event', () => events.length >= 4)
  controller.abort()
  t.same(events, ['ADDED moving', 'MODIFIED moving', 'DELETED moving', 'ADDED moving'], 'in and out of the selection by label changes')
  api.remove('EndpointSlice', 'prod', 'moving')
})
