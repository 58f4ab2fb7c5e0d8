import { readFile } from 'node:fs/promises'
import { describeError, guardError } from '../errors.js'
import type { KubeObject } from '../kube/object.js'
import { manifestDocuments, type ManifestDocument } from '../manifest/documents.js'
import type { ClusterContext } from '../policy/context.js'
import { staticContext } from './static-context.js'

/** Reads Namespace, Service, Node and EndpointSlice manifests (YAML or JSON, multi-document, `kind: List`) for `--context FILE`. */
export async function loadContextFile(path: string): Promise<ClusterContext> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw guardError('EG_CONTEXT_READ', path, describeError(err))
  }
  return staticContext(parseManifests(text, path))
}

/**
 * The objects of a manifest text, read as `check` reads them (multi-document YAML or JSON, Lists unwrapped);
 * the first problem throws, naming `source` and the line: a broken context file stops start-up.
 */
function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = []
  for (const doc of manifestDocuments(text, source)) {
    if (doc.type === 'object') objects.push(doc.object)
    else if (doc.type === 'error') throw problem(doc, source)
  }
  return objects
}

function problem(doc: Extract<ManifestDocument, { type: 'error' }>, source: string) {
  switch (doc.problem) {
    case 'parse':
      return guardError('EG_CONTEXT_PARSE', source, doc.line, doc.column ?? 1, doc.reason)
    case 'not-an-object':
      return guardError('EG_CONTEXT_LOAD', source, `the document at line ${doc.line} is not an object`)
    case 'load':
      return guardError('EG_CONTEXT_LOAD', source, doc.reason)
  }
}
