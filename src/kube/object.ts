/**
 * Reading plain Kubernetes JSON (objects as the API server sends them, or as manifests hold them): anything
 * malformed reads as absent rather than throwing. The one home for these, used by every layer.
 */

/** A Kubernetes object as plain JSON, exactly as the API server sends it (wire format, no model classes). */
export type KubeObject = Record<string, unknown>

export type Labels = Readonly<Record<string, string>>

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function metadataOf(obj: unknown): Record<string, unknown> {
  const metadata = isObject(obj) ? obj['metadata'] : undefined
  return isObject(metadata) ? metadata : {}
}

export function objectName(obj: unknown): string | undefined {
  const name = metadataOf(obj)['name']
  return typeof name === 'string' && name !== '' ? name : undefined
}

export function objectNamespace(obj: unknown): string | undefined {
  const ns = metadataOf(obj)['namespace']
  return typeof ns === 'string' && ns !== '' ? ns : undefined
}

export function resourceVersionOf(obj: unknown): string | undefined {
  const rv = metadataOf(obj)['resourceVersion']
  return typeof rv === 'string' && rv !== '' ? rv : undefined
}

/** `namespace/name`: how a namespaced object is named in caches, messages and reports. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`
}

const noLabels: Labels = Object.freeze({})

/**
 * Only string values: label values are strings on the wire, and neither a policy nor a selector may see
 * anything else (a number smuggled into a manifest must not match `"1"`).
 */
export function labelsOf(obj: unknown): Labels {
  const labels = metadataOf(obj)['labels']
  if (!isObject(labels)) return noLabels
  // On the admission path every value is a string: no copy then (the caller gets a read-only view of the object's
  // own labels). Only a malformed object pays for the filtered copy.
  let allStrings = true
  for (const key in labels) {
    if (typeof labels[key] !== 'string') {
      allStrings = false
      break
    }
  }
  if (allStrings) return labels as Labels
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value === 'string') out[key] = value
  }
  return Object.freeze(out)
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
