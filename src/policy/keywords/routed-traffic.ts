import { wellKnownLabels } from '../../kube/identities.js'
import { isObject, labelsOf, objectName } from '../../kube/object.js'

/*
 * What an EndpointSlice or an Endpoints object does to traffic: which Service it feeds and which addresses and
 * ports it routes to. The keywords about endpoints (service, reservedServices) word their findings with it.
 */

type Obj = Record<string, unknown>
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

/** The Service an EndpointSlice (kubernetes.io/service-name) or an Endpoints object (same name) feeds. */
export function serviceNameOf(object: Obj): string | undefined {
  if (object.kind === 'Endpoints') return objectName(object)
  const name = labelsOf(object)[wellKnownLabels.serviceName]
  return typeof name === 'string' && name !== '' ? name : undefined
}

/** The addresses and ports an EndpointSlice (endpoints[].addresses) or Endpoints (subsets[]) routes to. */
export function routedTraffic(object: Obj): Array<{ addresses: string[]; ports: number[] }> {
  const portsOf = (list: unknown) => asArray(list).flatMap((p) => (isObject(p) && typeof p.port === 'number' ? [p.port] : []))
  const strings = (list: unknown[]) => list.filter((a): a is string => typeof a === 'string')
  if (object.kind === 'Endpoints') {
    return asArray(object.subsets).filter(isObject).map((subset) => ({
      addresses: strings([...asArray(subset.addresses), ...asArray(subset.notReadyAddresses)].map((a) => (isObject(a) ? a.ip : undefined))),
      ports: portsOf(subset.ports),
    }))
  }
  return [{ addresses: strings(asArray(object.endpoints).flatMap((e) => (isObject(e) ? asArray(e.addresses) : []))), ports: portsOf(object.ports) }]
}

/**
 * What a finding about routed traffic stands for, for ratcheting: every address and every port, so that a new
 * address or port is new wherever it lands (the message shows only a few).
 */
export function trafficValues(traffic: ReadonlyArray<{ addresses: string[]; ports: number[] }>): string[] {
  return traffic.flatMap((t) => [...t.addresses, ...t.ports.map((p) => `port ${p}`)])
}

/** "10.0.0.7:8080, 10.0.0.8:8080 and 3 more": what traffic the object would route, in a few words. */
export function trafficSummary(traffic: ReadonlyArray<{ addresses: string[]; ports: number[] }>): string {
  // An IPv6 address takes brackets before a port, as in a URL: [2001:db8::10]:9000.
  const host = (a: string) => (a.includes(':') ? `[${a}]` : a)
  const pairs = traffic.flatMap((t) => t.addresses.map((a) => ({ a, ports: t.ports })))
  const shown = pairs.slice(0, 3).flatMap(({ a, ports }) => (ports.length === 0 ? [a] : ports.slice(0, 2).map((p) => `${host(a)}:${p}`)))
  const more = pairs.length > 3 ? ` and ${pairs.length - 3} more addresses` : ''
  return shown.length === 0 ? 'no endpoints yet' : `${shown.join(', ')}${more}`
}
