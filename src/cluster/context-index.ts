import { objectKey, type Labels } from '../kube/object.js'
import type { ClusterContext, NodeRecord, ServiceRecord, SliceRecord } from '../policy/context.js'
import { addressKey, networkKey, parseCidr, parseIp } from '../policy/ip.js'
import type { NamespaceRecord } from './records.js'

const noSlices: readonly SliceRecord[] = Object.freeze([])

/**
 * The cluster context's records with the lookups the policies make (by namespace/name, by address, by pod CIDR),
 * kept in step with puts and removes. The manifests of `--context` and the watch-backed caches both fill one, so
 * both answer the same way. Every lookup is a map access: safe on the admission path in a cluster of any size.
 */
export class ContextIndex implements ClusterContext {
  private readonly namespaces = new Map<string, Labels>()
  private readonly services = new Map<string, ServiceRecord>()
  private readonly servicesByIP = new Map<string, ServiceRecord>()
  private readonly nodes = new Map<string, NodeRecord>()
  private readonly nodesByAddress = new Map<string, NodeRecord>()
  /** prefix length → network key → node: an address is looked up once per prefix length in use */
  private readonly nodesByCIDR = new Map<number, Map<string, NodeRecord>>()
  private readonly slices = new Map<string, SliceRecord>()
  /** the slices that claim each Service: an array, as most have one (a Map each was a third of a large context) */
  private readonly slicesByService = new Map<string, SliceRecord[]>()

  get size(): { namespaces: number; services: number; nodes: number; slices: number } {
    return { namespaces: this.namespaces.size, services: this.services.size, nodes: this.nodes.size, slices: this.slices.size }
  }

  namespaceLabels(name: string): Labels | undefined {
    return this.namespaces.get(name)
  }

  service(namespace: string, name: string): ServiceRecord | undefined {
    return this.services.get(objectKey(namespace, name))
  }

  serviceByClusterIP(address: string): ServiceRecord | undefined {
    const key = addressKey(address)
    return key === undefined ? undefined : this.servicesByIP.get(key)
  }

  nodeByAddress(address: string): NodeRecord | undefined {
    const key = addressKey(address)
    return key === undefined ? undefined : this.nodesByAddress.get(key)
  }

  nodeByPodCIDR(address: string): NodeRecord | undefined {
    const ip = parseIp(address)
    if (!ip.ok || this.nodesByCIDR.size === 0) return undefined
    const effective = ip.effective
    for (const [length, networks] of this.nodesByCIDR) {
      const node = networks.get(networkKey(effective, length))
      if (node !== undefined) return node
    }
    return undefined
  }

  slicesFor(namespace: string, serviceName: string): readonly SliceRecord[] {
    const found = this.slicesByService.get(objectKey(namespace, serviceName))
    return found === undefined ? noSlices : [...found]
  }

  putNamespace(name: string, labels: Labels): void {
    this.namespaces.set(name, labels)
  }

  removeNamespace(name: string): void {
    this.namespaces.delete(name)
  }

  /** Makes the namespaces exactly these (a relist): those not among them are removed. */
  replaceNamespaces(records: Iterable<NamespaceRecord>): void {
    replaceAll(this.namespaces, records, (r) => r.name, (r) => this.putNamespace(r.name, r.labels), (name) => this.removeNamespace(name))
  }

  replaceServices(records: Iterable<ServiceRecord>): void {
    const remove = (key: string) => this.removeByKey(this.services, key, (r) => this.removeService(r.namespace, r.name))
    replaceAll(this.services, records, (r) => objectKey(r.namespace, r.name), (r) => this.putService(r), remove)
  }

  replaceNodes(records: Iterable<NodeRecord>): void {
    replaceAll(this.nodes, records, (r) => r.name, (r) => this.putNode(r), (name) => this.removeNode(name))
  }

  replaceSlices(records: Iterable<SliceRecord>): void {
    const remove = (key: string) => this.removeByKey(this.slices, key, (r) => this.removeSlice(r.namespace, r.name))
    replaceAll(this.slices, records, (r) => objectKey(r.namespace, r.name), (r) => this.putSlice(r), remove)
  }

  private removeByKey<R>(map: ReadonlyMap<string, R>, key: string, remove: (record: R) => void): void {
    const record = map.get(key)
    if (record !== undefined) remove(record)
  }

  putService(record: ServiceRecord): void {
    this.removeService(record.namespace, record.name)
    this.services.set(objectKey(record.namespace, record.name), record)
    for (const key of addressKeys(record.clusterIPs)) this.servicesByIP.set(key, record)
  }

  removeService(namespace: string, name: string): void {
    const old = this.services.get(objectKey(namespace, name))
    if (old === undefined) return
    this.services.delete(objectKey(namespace, name))
    for (const key of addressKeys(old.clusterIPs)) if (this.servicesByIP.get(key) === old) this.servicesByIP.delete(key)
  }

  putNode(record: NodeRecord): void {
    this.removeNode(record.name)
    this.nodes.set(record.name, record)
    for (const key of addressKeys(record.addresses)) this.nodesByAddress.set(key, record)
    for (const [length, network] of cidrKeys(record.podCIDRs)) {
      let networks = this.nodesByCIDR.get(length)
      if (networks === undefined) this.nodesByCIDR.set(length, (networks = new Map<string, NodeRecord>()))
      networks.set(network, record)
    }
  }

  removeNode(name: string): void {
    const old = this.nodes.get(name)
    if (old === undefined) return
    this.nodes.delete(name)
    for (const key of addressKeys(old.addresses)) if (this.nodesByAddress.get(key) === old) this.nodesByAddress.delete(key)
    for (const [length, network] of cidrKeys(old.podCIDRs)) {
      const networks = this.nodesByCIDR.get(length)
      if (networks?.get(network) === old) networks.delete(network)
      if (networks?.size === 0) this.nodesByCIDR.delete(length)
    }
  }

  putSlice(record: SliceRecord): void {
    this.removeSlice(record.namespace, record.name)
    this.slices.set(objectKey(record.namespace, record.name), record)
    if (record.serviceName === undefined) return
    const service = objectKey(record.namespace, record.serviceName)
    const claims = this.slicesByService.get(service)
    if (claims === undefined) this.slicesByService.set(service, [record])
    else claims.push(record)
  }

  removeSlice(namespace: string, name: string): void {
    const old = this.slices.get(objectKey(namespace, name))
    if (old === undefined) return
    this.slices.delete(objectKey(namespace, name))
    if (old.serviceName === undefined) return
    const service = objectKey(namespace, old.serviceName)
    const claims = this.slicesByService.get(service) ?? []
    const at = claims.findIndex((r) => r.name === name)
    if (at !== -1) claims.splice(at, 1)
    if (claims.length === 0) this.slicesByService.delete(service)
  }
}

/** Puts every record, then removes the keys of `current` that were not among them; the lookups stay in step. */
function replaceAll<R>(current: ReadonlyMap<string, unknown>, records: Iterable<R>, keyOf: (r: R) => string, put: (r: R) => void, remove: (key: string) => void): void {
  const seen = new Set<string>()
  for (const record of records) {
    seen.add(keyOf(record))
    put(record)
  }
  for (const key of [...current.keys()]) if (!seen.has(key)) remove(key)
}

function addressKeys(addresses: readonly string[]): string[] {
  return addresses.flatMap((a) => addressKey(a) ?? [])
}

/** [prefix length, network key] of each parsable CIDR; a malformed one (a Node can carry anything) is skipped. */
function cidrKeys(cidrs: readonly string[]): Array<[number, string]> {
  return cidrs.flatMap((text): Array<[number, string]> => {
    try {
      const { address, prefixLength } = parseCidr(text)
      return [[prefixLength, networkKey(address, prefixLength)]]
    } catch {
      return []
    }
  })
}
