/**
 * Auditing live objects: each listed Service, EndpointSlice and Endpoints evaluated as an UPDATE that changes
 * nothing, plus the classic breakages no admission request shows. Pure: the caller lists the objects and builds
 * the cluster context from them.
 */
import type { UserInfo } from '../kube/admission.js'
import { controllerManagedBy, kubernetesUsers, wellKnownLabels } from '../kube/identities.js'
import { isObject, labelsOf, metadataOf, objectKey, objectName, objectNamespace, type KubeObject } from '../kube/object.js'
import type { ClusterContext } from '../policy/context.js'
import type { Finding, FindingType, PolicySet } from '../policy/types.js'
import type { Failure } from './evaluate.js'
import type { Judging } from './judging.js'
import { denies } from './outcome.js'
import { selectorMatches } from './selector.js'
import { syntheticRequest } from './synthesize.js'
import { validate, type Validation } from './validate.js'

export interface Inventory {
  namespaces: readonly KubeObject[]
  services: readonly KubeObject[]
  slices: readonly KubeObject[]
  endpoints: readonly KubeObject[]
  /** undefined when Pods could not be listed: the missing-endpoints check is skipped */
  pods: readonly KubeObject[] | undefined
}

export interface AuditedObject {
  object: KubeObject
  kind: string
  namespace: string | undefined
  name: string | undefined
  /**
   * The validation, with every deny finding counted as a violation: on an update that changes nothing,
   * ratcheting would let each of them stay, and an audit is there to show them.
   */
  validation: Validation | Failure
  /** breakage findings (action warn) reported on this object */
  breakages: Finding[]
}

/** Who audit says wrote an object that does not look written by the Kubernetes controllers. */
export const auditUser: UserInfo = Object.freeze({ username: 'endpoint-guard-audit' })

/** One entry per listed object, in list order: Services, then EndpointSlices, then Endpoints. */
export function auditInventory(inventory: Inventory, policies: PolicySet, context: ClusterContext, judging: Judging): AuditedObject[] {
  const services = new Map(inventory.services.map((s) => [objectKey(objectNamespace(s) ?? '', objectName(s) ?? ''), s]))
  const breakages = breakagesOf(inventory, services)
  return [...inventory.services, ...inventory.slices, ...inventory.endpoints].map((object) => {
    const kind = typeof object['kind'] === 'string' ? object['kind'] : ''
    const namespace = objectNamespace(object)
    const name = objectName(object)
    const request = syntheticRequest(object, { operation: 'UPDATE', oldObject: object, userInfo: presumedWriter(object, services) })
    const validation = validate(request, policies, context, judging)
    return {
      object,
      kind,
      namespace,
      name,
      validation: validation.ok ? asViolations(validation) : validation,
      breakages: breakages.get(`${kind} ${objectKey(namespace ?? '', name ?? '')}`) ?? [],
    }
  })
}

function asViolations(validation: Validation): Validation {
  const findings = validation.findings.map((f) => (f.preexisting ? { ...f, preexisting: false } : f))
  return { ...validation, findings, outcome: findings.some(denies) ? 'denied' : validation.outcome }
}

/**
 * Objects do not record who wrote them, and the controller-only policies depend on it. Objects with the marks the
 * controllers leave are taken as theirs: an EndpointSlice whose managed-by label names a controller *and* whose
 * controller owner is its Service (or Endpoints); the Endpoints of a Service with a selector; default/kubernetes (its
 * Service, Endpoints and EndpointSlice, the API server's).
 * A spoofed managed-by label without the owner reference the controller sets is still reported.
 */
export function presumedWriter(object: KubeObject, services: ReadonlyMap<string, KubeObject>): UserInfo {
  const labels = labelsOf(object)
  const namespace = objectNamespace(object) ?? ''
  const name = objectName(object) ?? ''
  if (object['kind'] === 'EndpointSlice') {
    const serviceName = labels[wellKnownLabels.serviceName]
    // The API server writes the slice of its own Service (default/kubernetes) itself, named after it.
    if (namespace === 'default' && name === 'kubernetes' && serviceName === 'kubernetes') return { username: kubernetesUsers.apiServer }
    const references = metadataOf(object)['ownerReferences']
    const owner = (Array.isArray(references) ? references.filter(isObject) : []).find((o) => o['controller'] === true && o['name'] === serviceName)
    const managedBy = labels[wellKnownLabels.sliceManagedBy]
    if (managedBy === controllerManagedBy.endpointSlice && owner?.['kind'] === 'Service') return { username: kubernetesUsers.endpointSliceController }
    if (managedBy === controllerManagedBy.mirroring && owner?.['kind'] === 'Endpoints') return { username: kubernetesUsers.mirroringController }
    return auditUser
  }
  // The API server itself maintains the default/kubernetes Service and its Endpoints.
  if (namespace === 'default' && name === 'kubernetes' && (object['kind'] === 'Service' || object['kind'] === 'Endpoints')) {
    return { username: kubernetesUsers.apiServer }
  }
  // The endpoints controller maintains the Endpoints of selector Services.
  if (object['kind'] === 'Endpoints' && selectorOf(services.get(objectKey(namespace, name))) !== undefined) {
    return { username: kubernetesUsers.controllerManager }
  }
  return auditUser
}

function selectorOf(service: KubeObject | undefined): Record<string, string> | undefined {
  const spec = service?.['spec']
  if (!isObject(spec) || spec['type'] === 'ExternalName') return undefined
  const selector = spec['selector']
  if (!isObject(selector) || Object.keys(selector).length === 0) return undefined
  return Object.fromEntries(Object.entries(selector).map(([k, v]) => [k, String(v)]))
}

function breakage(policy: string, path: string, type: FindingType, value: string | undefined, detail: string): Finding {
  const finding: Finding = { policy, action: 'warn', path, type, detail, preexisting: false }
  if (value !== undefined) finding.value = value
  return finding
}

const serviceNamePath = `metadata.labels[${wellKnownLabels.serviceName}]`

/** The breakage findings, keyed by `<Kind> <namespace>/<name>` of the object they are reported on. */
export function breakagesOf(inventory: Inventory, services: ReadonlyMap<string, KubeObject>): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>()
  const add = (kind: string, object: KubeObject, finding: Finding) => {
    const k = `${kind} ${objectKey(objectNamespace(object) ?? '', objectName(object) ?? '')}`
    const list = out.get(k)
    if (list === undefined) out.set(k, [finding])
    else list.push(finding)
  }

  // missing-endpoints: the endpoints controller only picks running (not finished) Pods in the namespace.
  if (inventory.pods !== undefined) {
    const podLabels = new Map<string, Array<Readonly<Record<string, string>>>>()
    for (const pod of inventory.pods) {
      const phase = isObject(pod['status']) ? pod['status']['phase'] : undefined
      if (phase === 'Succeeded' || phase === 'Failed') continue
      const ns = objectNamespace(pod) ?? ''
      const list = podLabels.get(ns)
      if (list === undefined) podLabels.set(ns, [labelsOf(pod)])
      else list.push(labelsOf(pod))
    }
    for (const service of inventory.services) {
      const selector = selectorOf(service)
      if (selector === undefined) continue
      const ns = objectNamespace(service) ?? ''
      if ((podLabels.get(ns) ?? []).some((labels) => selectorMatches({ matchLabels: selector }, labels))) continue
      const shown = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')
      add('Service', service, breakage('missing-endpoints', 'spec.selector', 'Not found', JSON.stringify(shown),
        `no Pod in namespace ${ns} matches the selector, so the Service has no endpoints`))
    }
  }

  // orphan-endpointslice, and the slices of each Service for endpoints-not-ready.
  const slicesOf = new Map<string, KubeObject[]>()
  for (const slice of inventory.slices) {
    const ns = objectNamespace(slice) ?? ''
    const serviceName = labelsOf(slice)[wellKnownLabels.serviceName]
    if (serviceName === undefined || serviceName === '') {
      add('EndpointSlice', slice, breakage('orphan-endpointslice', serviceNamePath, 'Required value', undefined,
        'no Service uses this slice: it has no service-name label'))
      continue
    }
    const k = objectKey(ns, serviceName)
    if (!services.has(k)) {
      add('EndpointSlice', slice, breakage('orphan-endpointslice', serviceNamePath, 'Not found', JSON.stringify(serviceName),
        `no Service of that name in namespace ${ns}: no Service uses this slice`))
      continue
    }
    const list = slicesOf.get(k)
    if (list === undefined) slicesOf.set(k, [slice])
    else list.push(slice)
  }

  // endpoints-not-ready: at least one endpoint, and every one explicitly not ready (unset means ready).
  for (const service of inventory.services) {
    const slices = slicesOf.get(objectKey(objectNamespace(service) ?? '', objectName(service) ?? '')) ?? []
    const endpoints = slices.flatMap((s) => (Array.isArray(s['endpoints']) ? s['endpoints'].filter(isObject) : []))
    if (endpoints.length === 0) continue
    if (!endpoints.every((e) => isObject(e['conditions']) && e['conditions']['ready'] === false)) continue
    const names = slices.map((s) => objectName(s) ?? '').join(', ')
    const all = endpoints.length === 1 ? 'its only endpoint is' : `all ${endpoints.length} of its endpoints are`
    add('Service', service, breakage('endpoints-not-ready', '(object)', 'Invalid value', undefined,
      `${all} not ready (EndpointSlices: ${names}), so the Service receives no traffic`))
  }
  return out
}
