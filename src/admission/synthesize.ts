import type { AdmissionRequest, KubeObject, Operation, UserInfo } from './types.js'

const resources: Record<string, { group: string; version: string; resource: string }> = {
  Service: { group: '', version: 'v1', resource: 'services' },
  Endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  EndpointSlice: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
  Namespace: { group: '', version: 'v1', resource: 'namespaces' },
}

export interface SyntheticRequestOptions {
  operation?: Operation
  oldObject?: KubeObject
  namespace?: string
  userInfo?: UserInfo
  subResource?: string
  uid?: string
}

function gvr(object: KubeObject) {
  const kind = typeof object.kind === 'string' ? object.kind : ''
  const known = resources[kind]
  if (known !== undefined) return { kind, ...known }
  const [group, version] = typeof object.apiVersion === 'string' && object.apiVersion.includes('/')
    ? object.apiVersion.split('/', 2)
    : ['', typeof object.apiVersion === 'string' ? object.apiVersion : 'v1']
  return { kind, group: group ?? '', version: version ?? 'v1', resource: `${kind.toLowerCase()}s` }
}

/**
 * The AdmissionRequest the API server would send for an object written offline (`check`, policy tests):
 * CREATE unless told otherwise, in the object's namespace (else the given one, else "default").
 */
export function syntheticRequest(object: KubeObject, options: SyntheticRequestOptions = {}): AdmissionRequest {
  const { kind, group, version, resource } = gvr(object)
  const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown }
  const namespace = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : (options.namespace ?? 'default')
  const operation = options.operation ?? (options.oldObject === undefined ? 'CREATE' : 'UPDATE')
  const request: AdmissionRequest = {
    uid: options.uid ?? '00000000-0000-0000-0000-000000000000',
    kind: { group, version, kind },
    resource: { group, version, resource },
    namespace,
    operation,
    userInfo: options.userInfo ?? { username: 'endpoint-guard-offline' },
    object: operation === 'DELETE' ? null : object,
  }
  if (typeof metadata.name === 'string') request.name = metadata.name
  if (options.subResource !== undefined && options.subResource !== '') request.subResource = options.subResource
  if (options.oldObject !== undefined) request.oldObject = options.oldObject
  if (operation === 'DELETE') request.oldObject = options.oldObject ?? object
  return request
}
