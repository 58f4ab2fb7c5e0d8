import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { contextCaches } from '../../src/cluster/caches.js'
import { loadKubeConfig, startLiveContext, type LiveContextState } from '../../src/cluster/live-context.js'
import { nodeRecord, serviceRecord, sliceRecord } from '../../src/cluster/records.js'
import type { KubeObject } from '../../src/kube/object.js'
import { FakeKubeApi, fixtureObjects } from '../support/fake-kube-api.js'
import { writeKubeconfig } from '../support/kubeconfig.js'
import { until } from '../support/wait.js'

const fromFile = (kubeconfig: string) => ({ kubeconfig, inCluster: { host: undefined, port: undefined } })

/** A pino destination that keeps every line as a parsed object, so tests assert on log records. */
function captureLogs(): { lines: Array<Record<string, unknown>>; write(line: string): void } {
  const lines: Array<Record<string, unknown>> = []
  return { lines, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }
}


/** Fast retries keep the outage tests short; the default schedule is covered by backoff.test.ts. */
const fastBackoff = { initialMs: 50, maxMs: 400 }

async function setup(t: Test, beforeStart?: (api: FakeKubeApi) => void) {
  const api = await FakeKubeApi.start()
  beforeStart?.(api)
  const kubeConfig = loadKubeConfig(fromFile(await writeKubeconfig(api, t)))
  if (kubeConfig === undefined) throw new Error('no kubeconfig')
  const logs = captureLogs()
  const states: LiveContextState[] = []
  const context = startLiveContext({
    kubeConfig,
    logger: pino({ level: 'debug' }, logs),
    onStateChange: (state) => states.push(state),
    backoff: fastBackoff,
  })
  t.teardown(async () => {
    await context.stop()
    await api.close()
  })
  const listRequests = (resource: string): number =>
    api.requests.filter((r) => !r.watch && r.path === `/api/v1/${resource}`).length
  const warnings = (): Array<Record<string, unknown>> => logs.lines.filter((line) => line['level'] === 40)
  const allSynced = (): boolean => {
    const state = context.state()
    return contextCaches.every((cache) => state[cache] === 'synced')
  }
  return { api, context, logs, states, listRequests, warnings, allSynced }
}

function fixture(kind: string, namespace: string | undefined, name: string): KubeObject {
  const found = fixtureObjects().find((obj) => {
    const metadata = obj['metadata'] as Record<string, unknown>
    return obj['kind'] === kind && metadata['name'] === name && metadata['namespace'] === namespace
  })
  if (found === undefined) throw new Error(`no fixture ${kind} ${namespace}/${name}`)
  return found
}


function newService(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  }
}

t.test('syncs from the API server and answers in wire format', async (t) => {
  const { context, states } = await setup(t)
  t.equal(context.synced, false, 'nothing is known before the lists complete')
  t.same(context.state(), { namespaces: 'syncing', services: 'syncing', nodes: 'syncing', endpointslices: 'syncing', outages: 0 })
  await context.waitForSync()
  t.equal(context.synced, true)
  t.same(context.state(), { namespaces: 'synced', services: 'synced', nodes: 'synced', endpointslices: 'synced', outages: 0 })
  t.same(states.at(-1), context.state(), 'onStateChange saw the final state')

  t.same(context.namespaceLabels('prod'), {
    'kubernetes.io/metadata.name': 'prod',
    environment: 'production',
    team: 'payments',
  })
  t.equal(context.namespaceLabels('nope'), undefined)
  t.equal(context.service('prod', 'nope'), undefined)
  t.equal(context.service('staging', 'payments'), undefined)

  const payments = context.service('prod', 'payments')
  t.same(payments, serviceRecord(fixture('Service', 'prod', 'payments')), 'the record of what the API server sent')
  t.same(payments?.selector, { app: 'payments' })
  t.same(payments?.ports.map((p) => p.name), ['http', 'metrics'])
  t.same(context.service('default', 'kubernetes'), serviceRecord(fixture('Service', 'default', 'kubernetes')))
  t.equal(context.service('default', 'external-db')?.type, 'ExternalName')
})

t.test('synced only once every list completed', async (t) => {
  const { api, context, listRequests, warnings } = await setup(t, (api) =>
    api.setDown(true, { resources: ['services'] }),
  )
  let resolved = false
  const waiting = context.waitForSync().then(() => {
    resolved = true
  })
  await until('namespaces synced', () => context.state().namespaces === 'synced')
  await until('services retried', () => listRequests('services') >= 3)
  t.equal(context.synced, false)
  t.equal(context.state().services, 'syncing', 'never synced, so not stale either')
  t.equal(resolved, false, 'waitForSync still waits')
  t.ok(context.namespaceLabels('prod'), 'what is synced already answers')
  t.equal(warnings().length, 1, 'one warning, not one per retry')
  t.match(warnings()[0], { msg: /cannot reach the Kubernetes API/, resource: '/api/v1/services' })

  api.setDown(false)
  await waiting
  t.equal(context.synced, true)
  t.ok(context.service('prod', 'payments'))
})

t.test('a collection that can be listed but not watched never counts as synced', async (t) => {
  const { api, context, warnings } = await setup(t, (api) => api.setDown(true, { watchesOnly: true }))
  await until('watch retries', () => api.requests.filter((r) => r.watch).length >= 6)
  t.equal(context.synced, false, 'a cache that cannot follow changes would go stale unnoticed')
  t.same(context.state(), { namespaces: 'syncing', services: 'syncing', nodes: 'syncing', endpointslices: 'syncing', outages: 1 })
  t.ok(context.service('prod', 'payments'), 'the listed data is served meanwhile')
  t.equal(warnings().length, 1)
  api.setDown(false)
  await context.waitForSync()
  t.same(context.state(), { namespaces: 'synced', services: 'synced', nodes: 'synced', endpointslices: 'synced', outages: 1 })
})

t.test('lookups never make a request', async (t) => {
  const { api, context } = await setup(t)
  await context.waitForSync()
  const before = api.requests.length
  for (let i = 0; i < 1000; i++) {
    context.service('prod', 'payments')
    context.service('prod', `missing-${i}`)
    context.namespaceLabels('prod')
    context.namespaceLabels(`missing-${i}`)
  }
  t.equal(api.requests.length, before)
})

t.test('sees ADDED, MODIFIED and DELETED through the watch', async (t) => {
  const { api, context, listRequests } = await setup(t)
  await context.waitForSync()
  const lists = { namespaces: listRequests('namespaces'), services: listRequests('services') }

  const added = api.add(newService('staging', 'web'))
  await until('the new Service', () => context.service('staging', 'web'))
  t.same(context.service('staging', 'web'), serviceRecord(added))

  const modified = api.modify({ ...added, spec: { type: 'ExternalName', externalName: 'web.example.com' } })
  await until('the modified Service', () => context.service('staging', 'web')?.type === 'ExternalName')
  t.same(context.service('staging', 'web'), serviceRecord(modified))

  api.remove('Service', 'prod', 'payments')
  await until('the deleted Service to go', () => context.service('prod', 'payments') === undefined)

  const staging = api.get('Namespace', undefined, 'staging')
  api.modify({ ...staging, metadata: { ...(staging?.['metadata'] as object), labels: { environment: 'production' } } })
  await until('new namespace labels', () => context.namespaceLabels('staging')?.['environment'] === 'production')
  api.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b', labels: { team: 'b' } } })
  await until('the new namespace', () => context.namespaceLabels('team-b'))
  api.remove('Namespace', undefined, 'team-b')
  await until('the namespace to go', () => context.namespaceLabels('team-b') === undefined)

  t.same(
    { namespaces: listRequests('namespaces'), services: listRequests('services') },
    lists,
    'changes arrive by watch, not by relisting',
  )
  t.equal(context.state().outages, 0)
})

function newNode(name: string, internalIP: string, podCIDR: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name },
      managedFields: [{ manager: 'kubelet', operation: 'Update', fieldsV1: { 'f:status': { 'f:images': {} } } }],
    },
    spec: { podCIDR, podCIDRs: [podCIDR] },
    status: {
      addresses: [
        { type: 'InternalIP', address: internalIP },
        { type: 'Hostname', address: name },
      ],
      images: [{ names: ['registry.example/big:1'], sizeBytes: 123456789 }],
    },
  }
}

function newSlice(namespace: string, name: string, service: string, managedBy: string, address: string): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace,
      labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': managedBy },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":"annotation"}' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: [{ name: 'db', port: 5432, protocol: 'TCP' }],
  }
}

t.test('Nodes: addresses and pod CIDRs from the list, then ADDED, MODIFIED and DELETED', async (t) => {
  const { api, context, listRequests } = await setup(t)
  await context.waitForSync()
  t.same(context.nodeByAddress('10.0.2.15'), nodeRecord(fixture('Node', undefined, 'k3s-server')))
  t.equal(context.nodeByPodCIDR('10.42.0.77')?.name, 'k3s-server')
  const lists = listRequests('nodes')

  const added = api.add(newNode('worker-1', '10.0.3.21', '10.42.1.0/24'))
  await until('the new Node', () => context.nodeByAddress('10.0.3.21'))
  t.same(context.nodeByAddress('::ffff:10.0.3.21'), nodeRecord(added), 'looked up by value, whatever the spelling')
  t.equal(context.nodeByPodCIDR('10.42.1.9')?.name, 'worker-1')

  api.modify({ ...added, spec: { podCIDRs: ['10.42.7.0/24'] }, status: { addresses: [{ type: 'InternalIP', address: '10.0.3.99' }] } })
  await until('the modified Node', () => context.nodeByAddress('10.0.3.99'))
  t.equal(context.nodeByAddress('10.0.3.21'), undefined, 'its old address is forgotten')
  t.equal(context.nodeByPodCIDR('10.42.1.9'), undefined, 'and its old pod CIDR')
  t.equal(context.nodeByPodCIDR('10.42.7.1')?.name, 'worker-1')

  api.remove('Node', undefined, 'worker-1')
  await until('the deleted Node to go', () => context.nodeByAddress('10.0.3.99') === undefined)
  t.equal(context.nodeByPodCIDR('10.42.7.1'), undefined)
  t.equal(listRequests('nodes'), lists, 'by watch, not by relisting')
  t.equal(context.sizes().nodes, 1)
})

t.test('EndpointSlices: only the hand-managed ones, selected by the API server on list and watch', async (t) => {
  const { api, context } = await setup(t)
  await context.waitForSync()
  const slicePath = '/apis/discovery.k8s.io/v1/endpointslices'
  const requests = api.requests.filter((r) => r.path === slicePath)
  t.ok(requests.some((r) => r.watch) && requests.some((r) => !r.watch))
  for (const request of requests) {
    t.equal(
      request.query['labelSelector'],
      'endpointslice.kubernetes.io/managed-by notin (endpointslice-controller.k8s.io,endpointslicemirroring-controller.k8s.io)',
      `${request.watch ? 'watch' : 'list'} asks only for hand-managed slices`,
    )
  }
  t.same(context.slicesFor('prod', 'legacy-db'), [sliceRecord(fixture('EndpointSlice', 'prod', 'legacy-db-manual'))])
  t.same(context.slicesFor('prod', 'payments'), [], 'the controller-managed slice of payments is not kept')
  t.same(context.slicesFor('kube-system', 'kube-dns'), [])

  const planted = api.add(newSlice('prod', 'billing-planted', 'billing', 'mallory', '10.0.9.1'))
  await until('the planted slice', () => context.slicesFor('prod', 'billing').length === 1)
  t.same(context.slicesFor('prod', 'billing'), [sliceRecord(planted)])

  api.add(newSlice('prod', 'billing-abc12', 'billing', 'endpointslice-controller.k8s.io', '10.42.0.50'))
  api.modify({ ...planted, endpoints: [{ addresses: ['10.0.9.2'] }] })
  await until('the modified slice', () => context.slicesFor('prod', 'billing')[0]?.addresses[0] === '10.0.9.2')
  t.equal(context.slicesFor('prod', 'billing').length, 1, 'a controller slice added meanwhile never arrived')

  // A label change that takes the slice out of the selection reaches the watch as DELETED, as from the API server.
  const relabelled = api.get('EndpointSlice', 'prod', 'billing-planted') as KubeObject
  const metadata = relabelled['metadata'] as Record<string, unknown>
  api.modify({ ...relabelled, metadata: { ...metadata, labels: { ...(metadata['labels'] as object), 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } } })
  await until('the slice relabelled as the controller\'s to go', () => context.slicesFor('prod', 'billing').length === 0)
  // And one whose label moves it into the selection arrives as ADDED.
  const adopted = api.get('EndpointSlice', 'prod', 'billing-abc12') as KubeObject
  const adoptedMeta = adopted['metadata'] as Record<string, unknown>
  api.modify({ ...adopted, metadata: { ...adoptedMeta, labels: { 'kubernetes.io/service-name': 'billing', 'endpointslice.kubernetes.io/managed-by': 'helm' } } })
  await until('the slice relabelled by hand to arrive', () => context.slicesFor('prod', 'billing')[0]?.name === 'billing-abc12')

  api.remove('EndpointSlice', 'prod', 'billing-abc12')
  await until('the deleted slice to go', () => context.slicesFor('prod', 'billing').length === 0)
})

t.test('a relist replaces the records: what was deleted while disconnected is gone from every lookup', async (t) => {
  const { api, context, listRequests, allSynced } = await setup(t)
  await context.waitForSync()
  api.add(newNode('worker-2', '10.0.3.22', '10.42.2.0/24'))
  api.add(newSlice('staging', 'planted', 'later', 'manual', '10.0.9.3'))
  await until('the new Node and slice', () => context.nodeByAddress('10.0.3.22') && context.slicesFor('staging', 'later').length === 1)

  const lists = listRequests('nodes')
  api.setDown(true)
  api.dropWatches()
  await until('stale', () => context.state().nodes === 'stale')
  api.remove('Node', undefined, 'worker-2')
  api.remove('EndpointSlice', 'staging', 'planted')
  api.remove('Service', 'prod', 'legacy-db')
  api.add(newNode('worker-3', '10.0.3.23', '10.42.3.0/24'))
  t.ok(context.nodeByAddress('10.0.3.22'), 'the last known state is served meanwhile')
  api.setDown(false)
  await until('synced again', allSynced)
  await until('relisted', () => listRequests('nodes') > lists && context.nodeByAddress('10.0.3.23') !== undefined)
  t.equal(context.nodeByAddress('10.0.3.22'), undefined, 'the deleted Node is gone')
  t.equal(context.nodeByPodCIDR('10.42.2.5'), undefined, 'from the pod CIDR lookup too')
  t.same(context.slicesFor('staging', 'later'), [], 'the deleted slice is gone')
  t.equal(context.service('prod', 'legacy-db'), undefined)
  t.equal(context.serviceByClusterIP('10.43.88.20'), undefined, 'and its ClusterIP')
  t.equal(context.serviceByClusterIP('10.43.121.7')?.name, 'payments')
  t.same(context.sizes(), { namespaces: 6, services: 4, nodes: 2, endpointslices: 3 })
})

/** Every value reachable from `value`, with its path. */
function* walk(value: unknown, path = '$'): Generator<[string, unknown]> {
  yield [path, value]
  if (typeof value !== 'object' || value === null) return
  for (const [key, child] of Object.entries(value)) yield* walk(child, `${path}.${key}`)
}

t.test('only trimmed records are kept: no managedFields, annotations, status or spec of a whole object', async (t) => {
  const { api, context } = await setup(t)
  await context.waitForSync()
  const service = fixture('Service', 'prod', 'payments')
  const metadata = service['metadata'] as Record<string, unknown>
  api.modify({
    ...service,
    metadata: {
      ...metadata,
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(service) },
      managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }],
    },
  })
  api.add(newNode('worker-4', '10.0.3.24', '10.42.4.0/24'))
  api.add(newSlice('prod', 'kept', 'kept', 'manual', '10.0.9.4'))
  await until('the changes', () => context.nodeByAddress('10.0.3.24') && context.slicesFor('prod', 'kept').length === 1 && context.service('prod', 'payments'))

  const records = {
    service: context.service('prod', 'payments'),
    byIP: context.serviceByClusterIP('10.43.121.7'),
    node: context.nodeByAddress('10.0.3.24'),
    listedNode: context.nodeByAddress('10.0.2.15'),
    slice: context.slicesFor('prod', 'kept')[0],
  }
  t.same(Object.keys(records.service ?? {}).sort(), ['clusterIPs', 'ipFamilies', 'name', 'namespace', 'ports', 'selector', 'type'])
  t.same(Object.keys(records.node ?? {}).sort(), ['addresses', 'name', 'podCIDRs'])
  t.same(Object.keys(records.slice ?? {}).sort(), ['addresses', 'managedBy', 'name', 'namespace', 'serviceName'])
  t.equal(records.byIP, records.service, 'one record per Service, shared by its lookups')
  const forbidden = /(^|\.)(metadata|managedFields|annotations|status|spec|images|endpoints|kind|apiVersion)$/
  for (const [path] of walk(records)) t.notMatch(path, forbidden, `${path} is not kept`)
  t.ok(Object.isFrozen(records.node) && Object.isFrozen(records.node?.addresses), 'records are frozen')
  t.same(context.namespaceLabels('prod'), { 'kubernetes.io/metadata.name': 'prod', environment: 'production', team: 'payments' })
})

t.test('an outage: serves the last state, counts and logs it once, relists on recovery', async (t) => {
  const { api, context, listRequests, warnings, logs, allSynced } = await setup(t)
  await context.waitForSync()

  api.setDown(true)
  api.dropWatches()
  await until('every cache stale', () => {
    const state = context.state()
    return contextCaches.every((cache) => state[cache] === 'stale')
  })
  t.equal(context.state().outages, 1)
  t.equal(context.synced, true, 'still synced: it has data')

  // Changes made while the watches are down; the caches must catch up by relisting.
  api.remove('Service', 'prod', 'payments')
  api.add(newService('prod', 'checkout'))
  const retriesBefore = listRequests('services')
  await until('several retries', () => listRequests('services') >= retriesBefore + 3)
  t.ok(context.service('prod', 'payments'), 'the last known state is still served')
  t.equal(context.service('prod', 'checkout'), undefined)
  t.same(context.namespaceLabels('prod')?.['environment'], 'production')
  t.equal(warnings().length, 1, 'one warning for the outage, not one per retry or per cache')
  t.match(warnings()[0], { msg: /lost contact with the Kubernetes API/, outages: 1 })

  api.setDown(false)
  await until('both caches synced again', allSynced)
  t.equal(context.service('prod', 'payments'), undefined, 'deleted during the outage, gone after the relist')
  t.ok(context.service('prod', 'checkout'), 'created during the outage, there after the relist')
  t.equal(context.state().outages, 1)
  t.ok(logs.lines.some((line) => line['level'] === 30 && /reconnected/.test(String(line['msg']))))

  // And the watch works again afterwards.
  api.add(newService('prod', 'after'))
  await until('a Service added after recovery', () => context.service('prod', 'after'))

  // A second outage counts again, this time with connections reset instead of 503s.
  api.setDown(true, { mode: 'reset' })
  api.dropWatches()
  await until('second outage', () => context.state().outages === 2)
  api.setDown(false)
  await until('synced after the second outage', allSynced)
  t.equal(warnings().length, 2)
})

t.test('a 410 Gone watch event forces a relist, which is not an outage', async (t) => {
  const { api, context, listRequests, logs, allSynced } = await setup(t)
  await context.waitForSync()
  const before = listRequests('services')

  api.goneOnNextWatch('services')
  api.endWatches() // a clean end, as at timeoutSeconds: the client rewatches from its resourceVersion
  await until('a relist of services', () => listRequests('services') > before)
  await until('synced', allSynced)
  t.ok(logs.lines.some((line) => /410 Gone/.test(String(line['msg']))))

  // Compaction: the resourceVersion the client holds is gone from the watch history, and a deletion made
  // meanwhile can only be learnt from the relist.
  const lists = listRequests('services')
  api.endWatches()
  api.remove('Service', 'prod', 'payments')
  api.compact()
  await until('the deletion', () => context.service('prod', 'payments') === undefined)
  t.ok(listRequests('services') > lists, 'learnt by relisting')
  await until('synced', allSynced)

  api.add(newService('prod', 'after-410'))
  await until('watching again', () => context.service('prod', 'after-410'))
  t.equal(context.state().outages, 0)
})

t.test('a clean end of a watch resumes from the last resourceVersion without relisting', async (t) => {
  const { api, context, listRequests } = await setup(t)
  await context.waitForSync()
  api.add(newService('prod', 'one'))
  await until('one', () => context.service('prod', 'one'))
  const lists = listRequests('services')
  api.endWatches()
  api.add(newService('prod', 'two')) // replayed from the watch history on the next watch
  await until('two', () => context.service('prod', 'two'))
  api.bookmark()
  api.add(newService('prod', 'three'))
  await until('three', () => context.service('prod', 'three'))
  t.equal(listRequests('services'), lists)
  const watches = api.requests.filter((r) => r.watch && r.path === '/api/v1/services')
  t.equal(watches.at(-1)?.query['allowWatchBookmarks'], 'true')
  t.not(watches.at(-1)?.query['resourceVersion'], watches[0]?.query['resourceVersion'], 'resumed further on')
})

t.test('sends the bearer token from the kubeconfig on every request', async (t) => {
  const { api, context } = await setup(t)
  await context.waitForSync()
  await until('the four watches open', () => api.openWatchCount === 4)
  t.ok(api.requests.some((r) => r.watch) && api.requests.some((r) => !r.watch))
  for (const request of api.requests) t.equal(request.authorization, `Bearer ${api.token}`, request.path)
})

t.test('a rejected token: keeps retrying, waitForSync honours its signal', async (t) => {
  const api = await FakeKubeApi.start()
  const kubeConfig = loadKubeConfig(fromFile(await writeKubeconfig({ ...api, url: api.url, ca: api.ca, token: 'wrong' }, t)))
  if (kubeConfig === undefined) throw new Error('no kubeconfig')
  const logs = captureLogs()
  const context = startLiveContext({ kubeConfig, logger: pino({ level: 'info' }, logs), backoff: fastBackoff })
  t.teardown(async () => {
    await context.stop()
    await api.close()
  })
  const controller = new AbortController()
  const waiting = context.waitForSync(controller.signal)
  await until('retries', () => api.requests.length >= 6)
  controller.abort(new Error('gave up'))
  await t.rejects(waiting, { message: 'gave up' })
  t.equal(context.synced, false)
  const warnings = logs.lines.filter((line) => line['level'] === 40)
  t.equal(warnings.length, 1)
  t.match(warnings[0], { err: { statusCode: 401 } })
})

t.test('stop() ends watches and retries and rejects pending waits', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  const kubeConfig = loadKubeConfig(fromFile(await writeKubeconfig(api, t)))
  if (kubeConfig === undefined) throw new Error('no kubeconfig')

  const synced = startLiveContext({ kubeConfig, logger: pino({ level: 'silent' }), backoff: fastBackoff })
  await synced.waitForSync()
  await until('the four watches open', () => api.openWatchCount === 4)
  await synced.stop()
  await until('the watches closed', () => api.openWatchCount === 0)
  t.ok(synced.service('prod', 'payments'), 'a stopped context still answers from memory')
  await synced.stop()

  api.setDown(true)
  const failing = startLiveContext({ kubeConfig, logger: pino({ level: 'silent' }), backoff: fastBackoff })
  const waiting = failing.waitForSync()
  await until('retrying', () => api.requests.filter((r) => r.query['limit'] !== undefined).length >= 6)
  await failing.stop()
  await t.rejects(waiting, /stopped before it synced/)
  await t.rejects(failing.waitForSync(), /stopped before it synced/)
  // The fake runs in this process: a request written just before stop() is only seen by it a moment later.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const requests = api.requests.length
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.equal(api.requests.length, requests, 'no retries after stop()')
})

/**
 * Run in a child process: if stop() left a socket or a timer behind, the child would never exit on its own.
 * It is written out at run time because every file under test/cluster/ is run as a test.
 */
const childScript = (liveContext: string, pinoUrl: string): string => `
import { pino } from ${JSON.stringify(pinoUrl)}
import { loadKubeConfig, startLiveContext } from ${JSON.stringify(liveContext)}
const context = startLiveContext({ kubeConfig: loadKubeConfig({ kubeconfig: process.argv[2], inCluster: {} }), logger: pino({ level: 'silent' }) })
await context.waitForSync()
process.stdout.write('synced ' + (context.service('prod', 'payments') === undefined ? 'without' : 'with') + ' payments\\n')
await context.stop()
process.stdout.write('stopped\\n')
`

t.test('a process that stopped its context exits on its own', async (t) => {
  const api = await FakeKubeApi.start()
  t.teardown(() => api.close())
  const kubeconfig = await writeKubeconfig(api, t)
  const child = join(dirname(kubeconfig), 'child.mjs')
  const liveContext = pathToFileURL(join(import.meta.dirname, '../../src/cluster/live-context.ts')).href
  // The script lives in a temporary directory, outside this package's node_modules, so it gets full URLs.
  const pinoUrl = pathToFileURL(createRequire(import.meta.url).resolve('pino')).href
  await writeFile(child, childScript(liveContext, pinoUrl))
  // Only the TypeScript loader: tap's coverage and mocking hooks have no business in the child.
  const execArgv = process.execArgv.filter((arg) => arg.includes('typescript') || arg === '--enable-source-maps')
  const proc = spawn(process.execPath, [...execArgv, child, kubeconfig], {
    cwd: join(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  // Generous: the child pays for TypeScript compilation and client-node's import before it does anything.
  const timer = setTimeout(() => proc.kill('SIGKILL'), 90_000)
  const code = await exit
  clearTimeout(timer)
  t.equal(code, 0, stderr)
  t.equal(stdout, 'synced with payments\nstopped\n')
})

t.test('loadKubeConfig', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'endpoint-guard-sa-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const noCluster = { kubeconfig: undefined, inCluster: { host: undefined, port: undefined }, serviceAccountPrefix: dir }
  t.equal(loadKubeConfig(noCluster), undefined, 'no path and no service account: no cluster')

  const api = { url: 'https://127.0.0.1:6443', ca: 'not a real CA', token: 'token-from-file' }
  const loaded = loadKubeConfig(fromFile(await writeKubeconfig(api, t)))
  t.equal(loaded?.getCurrentCluster()?.server, api.url)
  t.equal(loaded?.getCurrentUser()?.token, 'token-from-file')

  t.throws(() => loadKubeConfig(fromFile(join(dir, 'missing.yaml'))), { message: /Cannot load kubeconfig .*missing\.yaml/ })

  const serviceAccount = join(dir, 'var/run/secrets/kubernetes.io/serviceaccount')
  await mkdir(serviceAccount, { recursive: true })
  await writeFile(join(serviceAccount, 'token'), 'sa-token')
  await writeFile(join(serviceAccount, 'ca.crt'), 'ca')
  t.throws(() => loadKubeConfig(noCluster), /KUBERNETES_SERVICE_HOST/, 'a token without the API address is an error')
  // client-node reads the address itself from the environment the pod is given; the configuration only checks it.
  const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] }
  t.teardown(() => {
    if (saved.host === undefined) delete process.env['KUBERNETES_SERVICE_HOST']
    else process.env['KUBERNETES_SERVICE_HOST'] = saved.host
    if (saved.port === undefined) delete process.env['KUBERNETES_SERVICE_PORT']
    else process.env['KUBERNETES_SERVICE_PORT'] = saved.port
  })
  process.env['KUBERNETES_SERVICE_HOST'] = '10.43.0.1'
  process.env['KUBERNETES_SERVICE_PORT'] = '443'
  const inCluster = loadKubeConfig({ ...noCluster, inCluster: { host: '10.43.0.1', port: '443' } })
  t.equal(inCluster?.getCurrentCluster()?.server, 'https://10.43.0.1:443')
})
