import { readFile } from 'node:fs/promises'
import { listItems, manifestDocuments, type ManifestDocument } from '../manifest/read.js'
import type { ClusterContext, KubeObject } from './context.js'
import { deepFreeze, isObject, labelsOf, objectName, objectNamespace } from '../kube-object.js'

/**
 * A context built from manifests instead of a cluster: Namespaces give namespace labels, Services give
 * Services. Other kinds are ignored so a whole deployment directory can be passed in as it is.
 */
export function staticContext(objects: readonly KubeObject[]): ClusterContext {
  const namespaces = new Map<string, Readonly<Record<string, string>>>()
  const services = new Map<string, KubeObject>()
  for (const obj of flattenLists(objects)) {
    const name = objectName(obj)
    if (name === undefined) continue
    if (obj['kind'] === 'Namespace') {
      namespaces.set(name, labelsOf(obj))
    } else if (obj['kind'] === 'Service') {
      // kubectl puts a Service without a namespace into the default namespace; so do we.
      services.set(serviceKey(objectNamespace(obj) ?? 'default', name), deepFreeze(structuredClone(obj)))
    }
  }
  return {
    namespaceLabels: (name) => namespaces.get(name),
    service: (namespace, name) => services.get(serviceKey(namespace, name)),
  }
}

/** Reads Namespace and Service manifests (YAML or JSON, multi-document, `kind: List`) for `--namespaces FILE`. */
export async function loadContextFile(path: string): Promise<ClusterContext> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new Error(`Cannot read ${path}: ${(err as Error).message}`, { cause: err })
  }
  return staticContext(parseManifests(text, path))
}

/**
 * The objects of a manifest text, read as `check` reads them (multi-document YAML or JSON, Lists unwrapped);
 * the first problem throws, naming `source` and the line: a broken `--namespaces` file stops start-up.
 */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = []
  for (const doc of manifestDocuments(text, source)) {
    if (doc.type === 'object') objects.push(doc.object)
    else if (doc.type === 'error') throw new Error(problemText(doc, source))
  }
  return objects
}

function problemText(doc: Extract<ManifestDocument, { type: 'error' }>, source: string): string {
  switch (doc.problem) {
    case 'parse':
      return `Cannot parse ${source} at line ${doc.line}, column ${doc.column ?? 1}: ${doc.reason}`
    case 'not-an-object':
      return `Cannot load ${source}: the document at line ${doc.line} is not an object`
    case 'load':
      return `Cannot load ${source}: ${doc.reason}`
  }
}

/** Objects given directly (suite contexts, API lists) may still hold Lists. */
function* flattenLists(objects: Iterable<unknown>): Generator<KubeObject> {
  for (const obj of objects) {
    if (!isObject(obj)) continue
    const items = listItems(obj)
    if (items === undefined) yield obj
    else yield* flattenLists(items)
  }
}

function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`
}
