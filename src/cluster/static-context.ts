import { controllerManagedBy, wellKnownLabels } from '../kube/identities.js'
import { isObject, labelsOf, type KubeObject } from '../kube/object.js'
import { listItems } from '../manifest/documents.js'
import { ContextIndex } from './context-index.js'
import { namespaceRecord, nodeRecord, serviceRecord, sliceRecord } from './records.js'

/** The managed-by values of the slices the Kubernetes controllers write: the context holds only the others. */
export const controllerSliceValues: readonly string[] = Object.values(controllerManagedBy)

/** Whether a slice is written by hand (or by a third party), not by the Kubernetes controllers. */
export function isHandManagedSlice(obj: KubeObject): boolean {
  const managedBy = labelsOf(obj)[wellKnownLabels.sliceManagedBy]
  return managedBy === undefined || !controllerSliceValues.includes(managedBy)
}

/**
 * A context built from objects instead of a cluster: Namespaces give namespace labels, Services, Nodes and
 * hand-managed EndpointSlices give theirs. Other kinds are ignored so a whole deployment directory can be passed
 * in as it is. Objects without a namespace are in `defaultNamespace`, as kubectl places them. Pure.
 */
export function staticContext(objects: readonly KubeObject[], defaultNamespace = 'default'): ContextIndex {
  const index = new ContextIndex()
  for (const obj of flattenLists(objects)) addObject(index, obj, defaultNamespace)
  return index
}

/** Puts one object of a kind the context keeps into the index; other kinds are ignored. */
export function addObject(index: ContextIndex, obj: KubeObject, defaultNamespace = 'default'): void {
  // Each record is undefined for an object without a name.
  switch (obj['kind']) {
    case 'Namespace': {
      const record = namespaceRecord(obj)
      if (record !== undefined) index.putNamespace(record.name, record.labels)
      break
    }
    case 'Service': {
      const record = serviceRecord(obj, defaultNamespace)
      if (record !== undefined) index.putService(record)
      break
    }
    case 'Node': {
      const record = nodeRecord(obj)
      if (record !== undefined) index.putNode(record)
      break
    }
    case 'EndpointSlice': {
      const record = isHandManagedSlice(obj) ? sliceRecord(obj, defaultNamespace) : undefined
      if (record !== undefined) index.putSlice(record)
      break
    }
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

