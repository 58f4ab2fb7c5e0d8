/**
 * Manifest texts → documents: split YAML streams (keeping line numbers for errors and findings), unwrap
 * `kind: List`. Pure: the caller reads the text; nothing here evaluates policies.
 */
import { Composer, isMap, isPair, isScalar, isSeq, LineCounter, Parser, type Document, type Node } from 'yaml'
import { describeError } from '../errors.js'
import { isObject, type KubeObject } from '../kube/object.js'

interface DocumentBase {
  file: string
  /** 1-based index of the YAML document in its file */
  document: number
  /** index in the `items` of a List (nested Lists: the innermost), when the object came from one */
  item?: number
  /** 1-based line where the document (or List item) starts */
  line: number
}

export type ManifestDocument =
  | (DocumentBase & {
      type: 'object'
      object: KubeObject
      /** the line of a field path as rendered in findings (`spec.ports[1].name`), or the nearest line above it */
      lineOf: (fieldPath: string) => number
    })
  | (DocumentBase & { type: 'empty' })
  | (DocumentBase & {
      type: 'error'
      /** the whole problem in one line, as `check` prints it */
      message: string
      /** what went wrong, for callers that word it their own way (the `--context` file stops start-up) */
      problem: 'parse' | 'load' | 'not-an-object'
      reason: string
      column?: number
    })

/**
 * The documents of one YAML (or JSON) text, one at a time: the parser never holds more than the document it is
 * on. A document that cannot be parsed is an error entry with its line; the documents after it are still read.
 * `kind: List` and typed lists (`ServiceList`, a saved API response) yield their items. With `onlyKinds`, other
 * documents are passed over without being converted (a first pass that only wants a few kinds).
 */
export function* manifestDocuments(text: string, file: string, onlyKinds?: ReadonlySet<string>): Generator<ManifestDocument> {
  const lines = new LineCounter()
  const parser = new Parser(lines.addNewLine)
  // kubectl reads manifests as YAML 1.1 does, with `<<` merge keys applied; so must we, or a merged field goes unchecked.
  const composer = new Composer({ merge: true })
  const lineAt = (offset: number) => lines.linePos(offset).line
  let index = 0
  for (const doc of composer.compose(parser.parse(text), true)) {
    index++
    const start = doc.contents?.range[0] ?? doc.range[0]
    const base: DocumentBase = { file, document: index, line: lineAt(start) }
    const [error] = doc.errors
    if (error !== undefined) {
      const at = lines.linePos(error.pos[0])
      // The first line of yaml's message is the reason; the rest is a code excerpt that does not fit one line.
      const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
      yield { ...base, line: at.line, type: 'error', problem: 'parse', reason, column: at.col, message: `cannot parse: ${reason} (line ${at.line}, column ${at.col})` }
      continue
    }
    if (onlyKinds !== undefined && !mayBeOfKinds(doc, onlyKinds)) continue
    let value: unknown
    try {
      value = doc.toJS() // yaml's default maxAliasCount (100) stops alias bombs
    } catch (err) {
      const reason = describeError(err)
      yield { ...base, type: 'error', problem: 'load', reason, message: `cannot load: ${reason}` }
      continue
    }
    if (value === null || value === undefined) {
      yield { ...base, type: 'empty' }
      continue
    }
    yield* objectsOf(value, doc, [], base, lineAt)
  }
}

/** false only when the document is a mapping whose `kind` is a plain string that is neither wanted nor a list */
function mayBeOfKinds(doc: Document, kinds: ReadonlySet<string>): boolean {
  if (!isMap(doc.contents)) return true
  const kind = doc.contents.get('kind')
  return typeof kind !== 'string' || kinds.has(kind) || kind.endsWith('List')
}

/**
 * The items of `kind: List` (kubectl) or of a typed list such as `ServiceList` (a saved API response), or
 * undefined for any other object. Items of a typed list carry no kind of their own; the list's kind names it.
 */
export function listItems(value: KubeObject): unknown[] | undefined {
  const kind = value['kind']
  const items = value['items']
  if (typeof kind !== 'string' || !kind.endsWith('List') || !Array.isArray(items)) return undefined
  if (kind === 'List') return items as unknown[]
  const itemKind = kind.slice(0, -'List'.length)
  return items.map((raw: unknown) => (isObject(raw) && raw['kind'] === undefined ? { kind: itemKind, ...raw } : raw))
}

function* objectsOf(
  value: unknown,
  doc: Document,
  at: Array<string | number>,
  base: DocumentBase,
  lineAt: (offset: number) => number,
): Generator<ManifestDocument> {
  if (!isObject(value)) {
    const reason = `the document is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a mapping`
    yield { ...base, type: 'error', problem: 'not-an-object', reason, message: `not a Kubernetes object: ${reason}` }
    return
  }
  const items = listItems(value)
  if (items !== undefined) {
    for (const [i, item] of items.entries()) {
      const itemPath = [...at, 'items', i]
      const line = lineAt(deepestNode(doc, itemPath, true)?.range?.[0] ?? 0)
      yield* objectsOf(item, doc, itemPath, { ...base, item: i, line }, lineAt)
    }
    return
  }
  yield {
    ...base,
    type: 'object',
    object: value,
    lineOf: (fieldPath) => lineAt(deepestNode(doc, [...at, ...fieldPathSegments(fieldPath)])?.range?.[0] ?? 0) || base.line,
  }
}

/**
 * `spec.ports[1].name` → ['spec', 'ports', 1, 'name']; `metadata.labels[kubernetes.io/service-name]` keeps the
 * bracketed key whole. The inverse of render.ts's fieldPath, for finding the line of a finding.
 */
export function fieldPathSegments(fieldPath: string): Array<string | number> {
  if (fieldPath === '(object)') return []
  const out: Array<string | number> = []
  const re = /([^.[\]]+)|\[([^\]]*)\]/g
  for (const m of fieldPath.matchAll(re)) {
    if (m[1] !== undefined) out.push(m[1])
    else if (m[2] !== undefined) out.push(/^\d+$/.test(m[2]) ? Number(m[2]) : m[2])
  }
  return out
}

/**
 * Where the field at `segments` is written: the key of a mapping entry (`name:`), the item of a sequence. When
 * the path does not exist (a required field that is missing), the deepest entry on the way there, unless `exact`.
 */
function deepestNode(doc: Document, segments: ReadonlyArray<string | number>, exact = false): Node | undefined {
  let node: unknown = doc.contents
  let anchor: unknown = doc.contents
  for (const segment of segments) {
    let next: unknown
    let nextAnchor: unknown
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment))
      next = pair?.value ?? undefined
      nextAnchor = pair?.key
    } else if (isSeq(node) && typeof segment === 'number') {
      next = nextAnchor = node.items[segment]
    }
    if (nextAnchor === undefined || nextAnchor === null) return exact ? undefined : (anchor as Node | undefined)
    anchor = nextAnchor
    node = next
  }
  return (anchor ?? undefined) as Node | undefined
}

/**
 * A cheap test that a text may contain a Namespace, Service, Node or EndpointSlice (or a list of them), so the
 * first pass of `check`, which only collects those, can skip parsing texts that cannot.
 */
export function mayContainContextKinds(text: string): boolean {
  return /\bkind['"]?\s*:\s*['"]?(?:Service|Namespace|Node|EndpointSlice)(?:List)?\b/.test(text)
}
