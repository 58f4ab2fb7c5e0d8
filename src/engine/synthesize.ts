import type { AdmissionRequest, GroupVersionResource, Operation, UserInfo } from '../kube/admission.js'
import { clusterScopedKinds, resources } from '../kube/kinds.js'
import { objectName, objectNamespace, type KubeObject } from '../kube/object.js'

export interface SyntheticRequestOptions {
  operation?: Operation
  oldObject?: KubeObject
  namespace?: string
  userInfo?: UserInfo
  subResource?: string
  uid?: string
}

/** The user offline commands send requests as, unless told otherwise. */
export const offlineUser: UserInfo = Object.freeze({ username: 'endpoint-guard-offline' })

function gvr(object: KubeObject): GroupVersionResource & { kind: string } {
  const kind = typeof object['kind'] === 'string' ? object['kind'] : ''
  const known = (resources as Record<string, GroupVersionResource | undefined>)[kind]
  if (known !== undefined) return { kind, ...known }
  const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : 'v1'
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion]
  return { kind, group: group ?? '', version: version ?? 'v1', resource: `${kind.toLowerCase()}s` }
}

/**
 * The AdmissionRequest the API server would send for an object written offline (`check`, `test`, `audit`):
 * CREATE unless told otherwise, in the object's namespace (else the given one, else "default"). A Namespace's
 * request carries its own name as the namespace, as the API server sends it.
 */
export function syntheticRequest(object: KubeObject, options: SyntheticRequestOptions = {}): AdmissionRequest {
  const { kind, group, version, resource } = gvr(object)
  const namespace = clusterScopedKinds.has(kind) ? (objectName(object) ?? '') : (objectNamespace(object) ?? options.namespace ?? 'default')
  const operation = options.operation ?? (options.oldObject === undefined ? 'CREATE' : 'UPDATE')
  const request: AdmissionRequest = {
    uid: options.uid ?? '00000000-0000-0000-0000-000000000000',
    kind: { group, version, kind },
    resource: { group, version, resource },
    namespace,
    operation,
    userInfo: options.userInfo ?? offlineUser,
    object: operation === 'DELETE' ? null : object,
  }
  const name = objectName(object)
  if (name !== undefined) request.name = name
  if (options.subResource !== undefined && options.subResource !== '') request.subResource = options.subResource
  if (options.oldObject !== undefined) request.oldObject = options.oldObject
  if (operation === 'DELETE') request.oldObject = options.oldObject ?? object
  return request
}
