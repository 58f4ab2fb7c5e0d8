import { deepFreeze, isObject, labelsOf, objectKey, objectName, objectNamespace, type KubeObject, type Labels } from '../kube/object.js'
import { listItems } from '../manifest/documents.js'
import type { ClusterContext } from '../policy/context.js'

/**
 * A context built from objects instead of a cluster: Namespaces give namespace labels, Services give Services.
 * Other kinds are ignored so a whole deployment directory can be passed in as it is. Pure: the caller reads.
 */
export function staticContext(objects: readonly KubeObject[]): ClusterContext {
  const namespaces = new Map<string, Labels>()
  const services = new Map<string, KubeObject>()
  for (const obj of flattenLists(objects)) {
    const name = objectName(obj)
    if (name === undefined) continue
    if (obj['kind'] === 'Namespace') {
      namespaces.set(name, labelsOf(obj))
    } else if (obj['kind'] === 'Service') {
      // kubectl puts a Service without a namespace into the default namespace; so do we.
      services.set(objectKey(objectNamespace(obj) ?? 'default', name), deepFreeze(structuredClone(obj)))
    }
  }
  return {
    namespaceLabels: (name) => namespaces.get(name),
    service: (namespace, name) => services.get(objectKey(namespace, name)),
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
