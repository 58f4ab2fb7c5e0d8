import { readFile } from 'node:fs/promises'
import { parseAllDocuments } from 'yaml'
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

/** Exported for the CLI, which reads manifests the same way. `source` only names the input in errors. */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = []
  for (const doc of parseAllDocuments(text)) {
    const [error] = doc.errors
    if (error !== undefined) {
      const at = error.linePos?.[0]
      const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`
      // The first line of yaml's message is the reason; the rest is a code excerpt that does not fit a log line.
      const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
      throw new Error(`Cannot parse ${source}${where}: ${reason}`, { cause: error })
    }
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) continue // an empty document, e.g. a trailing `---`
    const items = Array.isArray(value) ? value : [value]
    for (const item of items) {
      if (!isObject(item)) {
        const line = doc.range[0] === 0 ? 1 : lineOf(text, doc.range[0])
        throw new Error(`Cannot load ${source}: the document at line ${line} is not an object`)
      }
      objects.push(item)
    }
  }
  return objects
}

function* flattenLists(objects: Iterable<unknown>): Generator<KubeObject> {
  for (const obj of objects) {
    if (!isObject(obj)) continue
    // `kind: List` (kubectl) and typed lists such as `NamespaceList` (a saved API response) both nest items.
    if (typeof obj['kind'] === 'string' && obj['kind'].endsWith('List') && Array.isArray(obj['items'])) {
      yield* flattenListItems(obj)
    } else {
      yield obj
    }
  }
}

function* flattenListItems(list: KubeObject): Generator<KubeObject> {
  const items = list['items'] as unknown[]
  // Items of a typed list carry no kind of their own; the list's kind names it.
  const itemKind = list['kind'] === 'List' ? undefined : (list['kind'] as string).slice(0, -'List'.length)
  for (const item of flattenLists(items)) {
    yield itemKind !== undefined && item['kind'] === undefined ? { kind: itemKind, ...item } : item
  }
}

function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`
}

function lineOf(text: string, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++
  return line
}
