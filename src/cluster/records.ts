/**
 * Wire objects → the records the cluster context keeps (src/policy/context.ts): only what the policies and their
 * messages read, so the caches of a large cluster stay small, and a cached record never aliases a whole object.
 */
import { wellKnownLabels } from '../kube/identities.js'
import { isObject, labelsOf, objectName, objectNamespace, type KubeObject, type Labels } from '../kube/object.js'
import type { NodeRecord, ServicePortRecord, ServiceRecord, SliceRecord } from '../policy/context.js'

/** A Namespace as the context keeps it: its name and a copy of its labels (namespace selectors match on them). */
export interface NamespaceRecord {
  readonly name: string
  readonly labels: Labels
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])

/**
 * Values that thousands of records share (namespace names, `ClusterIP`, `TCP`, `http`, `["IPv4"]`, a chart's port
 * list): one copy each instead of one per record, which halves a Service record. Bounded: when full the pool is
 * dropped and refilled (records keep their references), so hostile variety costs no more than no pool at all.
 */
const poolLimit = 16_384
const pool = new Map<string, unknown>()

function shared<T>(key: string, make: () => T): T {
  const found = pool.get(key) as T | undefined
  if (found !== undefined) return found
  const made = make()
  if (pool.size >= poolLimit) pool.clear()
  pool.set(key, made)
  return made
}

const sharedString = (value: string): string => shared(`s\u0000${value}`, () => value)
const sharedStrings = (values: string[]): readonly string[] =>
  shared(`a\u0000${values.join('\u0000')}`, () => Object.freeze(values.map(sharedString)))
const objects = (value: unknown): Array<Record<string, unknown>> => (Array.isArray(value) ? value.filter(isObject) : [])
const specOf = (obj: KubeObject): Record<string, unknown> => (isObject(obj['spec']) ? obj['spec'] : {})

export function namespaceRecord(obj: KubeObject): NamespaceRecord | undefined {
  const name = objectName(obj)
  if (name === undefined) return undefined
  return Object.freeze({ name, labels: Object.freeze({ ...labelsOf(obj) }) })
}

export function serviceRecord(obj: KubeObject, defaultNamespace = 'default'): ServiceRecord | undefined {
  const name = objectName(obj)
  if (name === undefined) return undefined
  const spec = specOf(obj)
  const selector = isObject(spec['selector'])
    ? Object.fromEntries(Object.entries(spec['selector']).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {}
  const ports: ServicePortRecord[] = objects(spec['ports']).map((p) => ({
    name: typeof p['name'] === 'string' ? p['name'] : '',
    port: typeof p['port'] === 'number' ? p['port'] : undefined,
    protocol: typeof p['protocol'] === 'string' ? p['protocol'] : 'TCP',
  }))
  const portsKey = `p\u0000${ports.map((p) => `${p.name}\u0000${String(p.port)}\u0000${p.protocol}`).join('\u0001')}`
  const clusterIPs = strings(spec['clusterIPs'])
  if (clusterIPs.length === 0 && typeof spec['clusterIP'] === 'string') clusterIPs.push(spec['clusterIP'])
  return Object.freeze({
    namespace: sharedString(objectNamespace(obj) ?? defaultNamespace),
    name,
    type: sharedString(typeof spec['type'] === 'string' ? spec['type'] : 'ClusterIP'),
    selector: Object.keys(selector).length === 0 ? undefined : Object.freeze(selector),
    ports: shared(portsKey, () => Object.freeze(ports.map((p) => Object.freeze({ ...p, name: sharedString(p.name), protocol: sharedString(p.protocol) })))),
    ipFamilies: sharedStrings(strings(spec['ipFamilies'])),
    clusterIPs: Object.freeze(clusterIPs.filter((ip) => ip !== '' && ip !== 'None')),
  })
}

const nodeAddressTypes = new Set(['InternalIP', 'ExternalIP'])

export function nodeRecord(obj: KubeObject): NodeRecord | undefined {
  const name = objectName(obj)
  if (name === undefined) return undefined
  const spec = specOf(obj)
  const status = isObject(obj['status']) ? obj['status'] : {}
  const addresses = objects(status['addresses'])
    .filter((a) => typeof a['type'] === 'string' && nodeAddressTypes.has(a['type']))
    .flatMap((a) => strings([a['address']]))
  const podCIDRs = strings(spec['podCIDRs'])
  if (podCIDRs.length === 0 && typeof spec['podCIDR'] === 'string') podCIDRs.push(spec['podCIDR'])
  return Object.freeze({ name, addresses: Object.freeze(addresses), podCIDRs: Object.freeze(podCIDRs) })
}

export function sliceRecord(obj: KubeObject, defaultNamespace = 'default'): SliceRecord | undefined {
  const name = objectName(obj)
  if (name === undefined) return undefined
  const labels = labelsOf(obj)
  const addresses = objects(obj['endpoints']).flatMap((e) => strings(e['addresses']))
  const managedBy = labels[wellKnownLabels.sliceManagedBy]
  return Object.freeze({
    namespace: sharedString(objectNamespace(obj) ?? defaultNamespace),
    name,
    serviceName: labels[wellKnownLabels.serviceName],
    managedBy: managedBy === undefined ? undefined : sharedString(managedBy),
    addresses: Object.freeze(addresses),
  })
}
