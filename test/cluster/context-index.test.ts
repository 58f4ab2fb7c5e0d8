import t from 'tap'
import { staticContext } from '../../src/cluster/static-context.js'

const node = (name: string, addresses: Array<[string, string]>, podCIDRs: string[]) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: { podCIDRs },
  status: { addresses: addresses.map(([type, address]) => ({ type, address })) },
})

t.test('nodes by address and by pod CIDR, whatever the spelling of the address', async (t) => {
  const context = staticContext([
    node('a', [['InternalIP', '10.0.0.11'], ['Hostname', 'a'], ['ExternalIP', '2001:db8::11']], ['10.244.1.0/24', 'fd00:10:244:1::/64']),
    node('b', [['InternalIP', '10.0.0.12']], ['10.244.2.0/24']),
  ])
  t.equal(context.nodeByAddress('10.0.0.11')?.name, 'a')
  t.equal(context.nodeByAddress('::ffff:10.0.0.12')?.name, 'b', 'an IPv4-mapped spelling is the same address')
  t.equal(context.nodeByAddress('2001:0db8:0:0::11')?.name, 'a', 'a non-canonical IPv6 spelling is the same address')
  t.equal(context.nodeByAddress('a'), undefined, 'Hostname addresses are not IPs')
  t.equal(context.nodeByPodCIDR('10.244.1.77')?.name, 'a')
  t.equal(context.nodeByPodCIDR('10.244.2.1')?.name, 'b')
  t.equal(context.nodeByPodCIDR('10.244.3.1'), undefined)
  t.equal(context.nodeByPodCIDR('fd00:10:244:1::9')?.name, 'a')
  t.equal(context.nodeByPodCIDR('not an ip'), undefined)
})

t.test('services by ClusterIP, hand-managed slices by the Service they claim', async (t) => {
  const context = staticContext([
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'prod' }, spec: { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'fd00::20'] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'headless', namespace: 'prod' }, spec: { clusterIP: 'None' } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'planted', namespace: 'prod', labels: { 'kubernetes.io/service-name': 'billing', 'endpointslice.kubernetes.io/managed-by': 'manual' } },
      endpoints: [{ addresses: ['192.0.2.7'] }],
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'controller', namespace: 'prod', labels: { 'kubernetes.io/service-name': 'billing', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      endpoints: [{ addresses: ['10.244.1.5'] }],
    },
  ])
  t.equal(context.serviceByClusterIP('10.96.0.20')?.name, 'db')
  t.equal(context.serviceByClusterIP('fd00:0::20')?.name, 'db')
  t.equal(context.serviceByClusterIP('None'), undefined)
  t.same(context.service('prod', 'headless')?.clusterIPs, [], '"None" is no address')
  t.same(context.slicesFor('prod', 'billing').map((s) => s.name), ['planted'], 'the controllers\' slices are not kept')
  t.same(context.slicesFor('prod', 'billing')[0]?.addresses, ['192.0.2.7'])
  t.same(context.slicesFor('staging', 'billing'), [])
})

t.test('a put replaces the record and its address keys; a remove takes them away', async (t) => {
  const context = staticContext([node('a', [['InternalIP', '10.0.0.11']], ['10.244.1.0/24'])])
  context.putNode({ name: 'a', addresses: ['10.0.0.99'], podCIDRs: ['10.244.9.0/24'] })
  t.equal(context.nodeByAddress('10.0.0.11'), undefined, 'the old address is gone')
  t.equal(context.nodeByPodCIDR('10.244.1.1'), undefined, 'the old pod CIDR is gone')
  t.equal(context.nodeByAddress('10.0.0.99')?.name, 'a')
  context.removeNode('a')
  t.equal(context.nodeByPodCIDR('10.244.9.1'), undefined)
  t.same(context.size, { namespaces: 0, services: 0, nodes: 0, slices: 0 })
})
