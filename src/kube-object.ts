import type { KubeObject } from './admission/types.js'

/**
 * Reading plain Kubernetes JSON (objects as the API server sends them, or as manifests hold them): anything
 * malformed reads as absent rather than throwing. One home for these, used by the engine, the cluster caches and
 * the CLI alike.
 */
export function objectName(obj: KubeObject): string | undefined {
  const name = metadataOf(obj)['name']
  return typeof name === 'string' && name !== '' ? name : undefined
}

export function objectNamespace(obj: KubeObject): string | undefined {
  const ns = metadataOf(obj)['namespace']
  return typeof ns === 'string' && ns !== '' ? ns : undefined
}

export function resourceVersionOf(obj: unknown): string | undefined {
  if (!isObject(obj)) return undefined
  const rv = metadataOf(obj)['resourceVersion']
  return typeof rv === 'string' && rv !== '' ? rv : undefined
}

/** Only string values: label values are strings on the wire, and a policy must not see anything else. */
export function labelsOf(obj: KubeObject): Readonly<Record<string, string>> {
  const labels = metadataOf(obj)['labels']
  const out: Record<string, string> = {}
  if (isObject(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value === 'string') out[key] = value
    }
  }
  return Object.freeze(out)
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The object with `metadata.namespace` set to `namespace` when it has none (absent or empty), as the API server
 * and kubectl place it; the object itself when it has one. Never modifies the object.
 */
export function withNamespace(object: KubeObject, namespace: string): KubeObject {
  if (namespace === '' || objectNamespace(object) !== undefined) return object
  return { ...object, metadata: { ...metadataOf(object), namespace } }
}

/**
 * Cached objects are shared by every request that reads them; freezing turns an accidental mutation by a
 * policy into an immediate TypeError instead of a silently corrupted cache.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/**
 * Items of a list response carry no kind/apiVersion (the list does), while watch events do. Filling them in
 * makes an object look the same whichever way it arrived.
 */
export function withTypeMeta(obj: KubeObject, apiVersion: string, kind: string): KubeObject {
  if (obj['kind'] !== undefined && obj['apiVersion'] !== undefined) return obj
  return { apiVersion, kind, ...obj }
}

function metadataOf(obj: Record<string, unknown>): Record<string, unknown> {
  const metadata = obj['metadata']
  return isObject(metadata) ? metadata : {}
}
