import t from 'tap'
import { staticContext } from '../../src/cluster/static-context.js'
import { auditInventory, auditUser, breakagesOf, presumedWriter, type Inventory } from '../../src/engine/audit.js'
import { judgingAt } from '../../src/engine/judging.js'
import { kubernetesUsers } from '../../src/kube/identities.js'
import { objectKey, type KubeObject } from '../../src/kube/object.js'
import { policySet } from '../../src/policy/policy-set.js'
import type { PolicyExceptionDocument } from '../../src/policy/types.js'
import { loadPolicies } from '../../src/policy-files/read.js'

const service = (name: string, selector?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'prod' },
  spec: { ports: [{ name: 'http', port: 80 }], ...(selector === undefined ? {} : { selector }) },
})

const slice = (name: string, labels: Record<string, string>, owner?: { kind: string; name: string }, ready?: boolean): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'prod', labels, ...(owner === undefined ? {} : { ownerReferences: [{ ...owner, controller: true, apiVersion: 'v1', uid: 'u' }] }) },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.1.0.5'], ...(ready === undefined ? {} : { conditions: { ready } }) }],
})

const servicesByKey = (list: KubeObject[]) => new Map(list.map((s) => [objectKey('prod', String((s['metadata'] as { name: string }).name)), s]))

t.test('who audit says wrote an object', async (t) => {
  const services = servicesByKey([service('web', { app: 'web' }), service('manual')])
  const controllerSlice = slice('web-abc', { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' }, { kind: 'Service', name: 'web' })
  t.same(presumedWriter(controllerSlice, services), { username: kubernetesUsers.endpointSliceController }, 'label and owner reference: the controller')
  const spoofed = slice('web-evil', { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' })
  t.equal(presumedWriter(spoofed, services), auditUser, 'the label without the owner reference: a user')
  const mirrored = slice('m', { 'kubernetes.io/service-name': 'manual', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' }, { kind: 'Endpoints', name: 'manual' })
  t.same(presumedWriter(mirrored, services), { username: kubernetesUsers.mirroringController })
  const endpoints = (name: string, namespace = 'prod'): KubeObject => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace } })
  t.same(presumedWriter(endpoints('web'), services), { username: kubernetesUsers.controllerManager }, 'Endpoints of a selector Service')
  t.equal(presumedWriter(endpoints('manual'), services), auditUser, 'Endpoints of a selector-less Service are hand-written')
  t.same(presumedWriter(endpoints('kubernetes', 'default'), services), { username: kubernetesUsers.apiServer })
  const apiSlice: KubeObject = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } } }
  t.same(presumedWriter(apiSlice, services), { username: kubernetesUsers.apiServer }, "the API server's slice of default/kubernetes")
  const planted: KubeObject = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes-evil', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } } }
  t.equal(presumedWriter(planted, services), auditUser, 'another slice for it is a user\'s')
})

t.test('the classic breakages, each on the object it concerns', async (t) => {
  const inventory: Inventory = {
    namespaces: [],
    services: [service('web', { app: 'web' }), service('down', { app: 'down' }), service('manual')],
    slices: [
      slice('orphan', {}),
      slice('ghost', { 'kubernetes.io/service-name': 'nope' }),
      slice('down-1', { 'kubernetes.io/service-name': 'down' }, undefined, false),
    ],
    endpoints: [],
    pods: [
      { kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod', labels: { app: 'web' } }, status: { phase: 'Running' } },
      { kind: 'Pod', metadata: { name: 'down-1', namespace: 'prod', labels: { app: 'down' } }, status: { phase: 'Succeeded' } },
    ],
  }
  const found = breakagesOf(inventory, servicesByKey(inventory.services as KubeObject[]))
  const ids = (key: string) => (found.get(key) ?? []).map((f) => f.policy)
  t.same(ids('Service prod/web'), [], 'a selector with a running Pod')
  t.same(ids('Service prod/down'), ['missing-endpoints', 'endpoints-not-ready'], 'a finished Pod does not count; every endpoint not ready')
  t.same(ids('Service prod/manual'), [], 'no selector: nothing to miss')
  t.same(ids('EndpointSlice prod/orphan'), ['orphan-endpointslice'])
  t.same(ids('EndpointSlice prod/ghost'), ['orphan-endpointslice'])
  t.equal(found.get('EndpointSlice prod/ghost')?.[0]?.type, 'Not found')
  const noPods = breakagesOf({ ...inventory, pods: undefined }, servicesByKey(inventory.services as KubeObject[]))
  t.same((noPods.get('Service prod/down') ?? []).map((f) => f.policy), ['endpoints-not-ready'], 'without Pods the missing-endpoints check is skipped')
})

t.test('every deny finding of a live object counts, although each is unchanged by the no-op update', async (t) => {
  const policies = await loadPolicies()
  const bad = service('bad')
  ;(bad['spec'] as Record<string, unknown>)['externalIPs'] = ['203.0.113.10']
  const inventory: Inventory = { namespaces: [], services: [bad], slices: [], endpoints: [], pods: [] }
  const [audited] = auditInventory(inventory, policies, staticContext([bad]), judgingAt(0))
  t.ok(audited?.validation.ok)
  if (audited?.validation.ok !== true) return
  t.equal(audited.validation.outcome, 'denied')
  const external = audited.validation.findings.find((f) => f.policy === 'service-external-ips')
  t.equal(external?.preexisting, false, 'reported as a violation, not as ratcheted')
})

t.test('an exception exempts a live object too: reported with the exception, not a violation', async (t) => {
  const bundled = await loadPolicies()
  const bad = service('bad')
  ;(bad['spec'] as Record<string, unknown>)['externalIPs'] = ['203.0.113.10']
  const document: PolicyExceptionDocument = {
    kind: 'PolicyException',
    id: 'bad-external-ip',
    policies: ['service-external-ips'],
    match: { names: ['bad'] },
    reason: 'NET-1234',
    expires: '2030-01-01',
  }
  const policies = policySet(bundled.policies, 'test', [], [{ id: document.id, file: 'e.json', document, expiresAt: Date.parse('2030-01-02T00:00:00Z') }])
  const inventory: Inventory = { namespaces: [], services: [bad], slices: [], endpoints: [], pods: [] }
  const [audited] = auditInventory(inventory, policies, staticContext([bad]), judgingAt(Date.parse('2029-12-31T00:00:00Z')))
  if (audited?.validation.ok !== true) {
    t.fail('evaluated')
    return
  }
  t.not(audited.validation.outcome, 'denied')
  t.equal(audited.validation.findings.find((f) => f.policy === 'service-external-ips')?.exception?.id, 'bad-external-ip')
  const [later] = auditInventory(inventory, policies, staticContext([bad]), judgingAt(Date.parse('2030-01-02T00:00:00Z')))
  t.equal(later?.validation.ok === true && later.validation.outcome, 'denied', 'expired: a violation again')
})
