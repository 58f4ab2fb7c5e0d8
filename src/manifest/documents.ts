/**
 * Manifest texts → documents: split YAML streams (keeping line numbers for errors and findings), unwrap
 * `kind: List`. Pure: the caller reads the text; nothing here evaluates policies.
 */
import { Composer, isMap, isPair, isScalar, isSeq, LineCounter, Parser, type Document, type Node } from 'yaml'
import { describeError } from '../errors.js'
import { isObject, type KubeObject } from '../kube/object.js'
import { plainDocuments } from './plain-yaml.js'

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
  for (const { document } of sourcedDocuments(text, file, onlyKinds)) yield document
}

/** A document with where its YAML document is written: `start`, the offset of the line it starts on. */
interface SourcedDocument {
  document: ManifestDocument
  start: number
  /** the offset of the YAML document's contents (its node, or the document itself when empty) */
  contentStart: number
  /** the line of `start` */
  startLine: number
}

function composeAll(text: string, lines: LineCounter): Generator<Document.Parsed> {
  // kubectl reads manifests as YAML 1.1 does, with `<<` merge keys applied; so must we, or a merged field goes unchecked.
  return new Composer({ merge: true }).compose(new Parser(lines.addNewLine).parse(text), true)
}

function* sourcedDocuments(text: string, file: string, onlyKinds?: ReadonlySet<string>): Generator<SourcedDocument> {
  const lines = new LineCounter()
  const lineAt = (offset: number) => lines.linePos(offset).line
  const lineOfNode = (node: Node | undefined) => lineAt(node?.range?.[0] ?? 0)
  let index = 0
  for (const doc of composeAll(text, lines)) {
    index++
    const contentStart = doc.contents?.range[0] ?? doc.range[0]
    const start = text.lastIndexOf('\n', doc.range[0] - 1) + 1
    const sourced = (document: ManifestDocument): SourcedDocument => ({ document, start, contentStart, startLine: lineAt(start) })
    const base: DocumentBase = { file, document: index, line: lineAt(contentStart) }
    const [error] = doc.errors
    if (error !== undefined) {
      const at = lines.linePos(error.pos[0])
      // The first line of yaml's message is the reason; the rest is a code excerpt that does not fit one line.
      const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
      yield sourced({ ...base, line: at.line, type: 'error', problem: 'parse', reason, column: at.col, message: `cannot parse: ${reason} (line ${at.line}, column ${at.col})` })
      continue
    }
    if (onlyKinds !== undefined && !mayBeOfKinds(doc, onlyKinds)) continue
    let value: unknown
    try {
      value = doc.toJS() // yaml's default maxAliasCount (100) stops alias bombs
    } catch (err) {
      const reason = describeError(err)
      yield sourced({ ...base, type: 'error', problem: 'load', reason, message: `cannot load: ${reason}` })
      continue
    }
    for (const document of documentsOf(value, base, nodeLines(doc, lineOfNode))) yield sourced(document)
  }
}

/** Thrown where a plain reading would need yaml's nodes: the text is read with yaml instead. */
class NeedsNodes extends Error {}

/** A plain reading has values and positions, no nodes: enough for the stored form, except for a List's items. */
const withoutNodes: DocumentLines = {
  item: () => {
    throw new NeedsNodes('the line of a List item')
  },
  // Stored objects get their field lines from yaml when asked (linesOfStored); this one is never called.
  fields: () => () => {
    throw new NeedsNodes('the line of a field')
  },
}

/** The documents of a text read by plainDocuments, or undefined when it declines the text. */
function plainSourcedDocuments(text: string, file: string): SourcedDocument[] | undefined {
  const plain = plainDocuments(text)
  if (plain === undefined) return undefined
  const out: SourcedDocument[] = []
  // Asked for offsets that grow (start, contentStart, the next start...), each line break is counted once.
  let line = 1
  let counted = 0
  const lineAt = (offset: number) => {
    // Except once: in a text that starts with a line break, a first document's start is 1 and its contents 0 (as sourcedDocuments has it).
    if (offset < counted) [line, counted] = [1, 0]
    for (let i = text.indexOf('\n', counted); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++
    counted = offset
    return line
  }
  try {
    for (const [i, { value, start, contentStart }] of plain.entries()) {
      const startLine = lineAt(start)
      const base: DocumentBase = { file, document: i + 1, line: lineAt(contentStart) }
      for (const document of documentsOf(value, base, withoutNodes)) out.push({ document, start, contentStart, startLine })
    }
  } catch (err) {
    if (err instanceof NeedsNodes) return undefined
    throw err
  }
  return out
}

type ObjectDocument = Extract<ManifestDocument, { type: 'object' }>

/** A document between `check`'s passes: plain data, and for an object where its YAML document is written. */
/** Without `file`: every document of a text has the same, given again on restoring. */
type Unfiled<T> = T extends unknown ? Omit<T, 'file'> : never
type StoredDocument = Unfiled<Exclude<ManifestDocument, ObjectDocument>> | StoredObject
type StoredObject = Omit<ObjectDocument, 'file' | 'lineOf'> & { source: { start: number; end: number; contentStart: number; startLine: number } }

/**
 * The documents of a text as one JSON text, for a second pass that must not parse the YAML again
 * (restoreDocuments), or undefined when that would not give what parsing it again gives: a %directive (it
 * carries over to the documents after it, so one document cannot be parsed alone), or an object that JSON does
 * not carry as it is (an alias reached twice, a non-finite number or -0, YAML 1.1's timestamps and binaries).
 */
export function storeDocuments(text: string, file: string): string | undefined {
  return storedDocuments(text, file).json
}

/**
 * storeDocuments, and how it read the text: `plain` when plainDocuments could read it (js-yaml, about ten times
 * faster than yaml's composer), else with yaml; `reader: 'yaml'` always with yaml (what the tests compare with).
 */
export function storedDocuments(text: string, file: string, reader: 'plain' | 'yaml' = 'plain'): { json: string | undefined; read: 'plain' | 'yaml' } {
  if (/^%/m.test(text)) return { json: undefined, read: 'yaml' }
  const plain = reader === 'plain' ? plainSourcedDocuments(text, file) : undefined
  return plain === undefined ? { json: storedJson([...sourcedDocuments(text, file)], text), read: 'yaml' } : { json: storedJson(plain, text), read: 'plain' }
}

function storedJson(sourced: readonly SourcedDocument[], text: string): string | undefined {
  const stored: StoredDocument[] = []
  // A YAML document ends where the next one starts; the items of a List share theirs.
  let end = text.length
  let endsBefore = Number.POSITIVE_INFINITY
  for (let i = sourced.length - 1; i >= 0; i--) {
    const { document, start, contentStart, startLine } = sourced[i] as SourcedDocument
    if (document.document < endsBefore) {
      if (i + 1 < sourced.length) end = (sourced[i + 1] as SourcedDocument).start
      endsBefore = document.document
    }
    if (document.type !== 'object') {
      const { file: _, ...data } = document
      stored.push(data)
      continue
    }
    try {
      if (!isJsonTree(document.object, new Set())) return undefined
    } catch {
      return undefined // nested too deep to walk
    }
    const { file: _, lineOf: __, ...data } = document
    stored.push({ ...data, source: { start, end, contentStart, startLine } })
  }
  try {
    return JSON.stringify(stored.reverse())
  } catch {
    return undefined
  }
}

/**
 * The documents storeDocuments kept, as manifestDocuments yields them from the same `text`. A finding's line
 * parses the object's YAML document again, alone: only the documents with findings are parsed twice.
 */
export function* restoreDocuments(json: string, text: string, file: string): Generator<ManifestDocument> {
  for (const entry of JSON.parse(json) as StoredDocument[]) {
    if (entry.type !== 'object') {
      yield { file, ...entry }
      continue
    }
    const { source: _, ...data } = entry
    let lineOf: ((fieldPath: string) => number) | undefined
    yield { file, ...data, lineOf: (fieldPath) => (lineOf ??= linesOfStored(entry, text, file))(fieldPath) }
  }
}

/** The lines of a stored object's fields, from its YAML document parsed alone, else from the whole text. */
function linesOfStored(entry: StoredObject, text: string, file: string): (fieldPath: string) => number {
  const { start, end, contentStart, startLine } = entry.source
  if (entry.item === undefined) {
    const lines = new LineCounter()
    const [doc] = composeAll(text.slice(start, end), lines)
    // Parsed alone it must be the same document: no error, its contents where they were.
    if (doc !== undefined && doc.errors.length === 0 && (doc.contents?.range[0] ?? doc.range[0]) + start === contentStart) {
      // A node that is not there is line 1, as manifestDocuments has it.
      return nodeLines(doc, (node) => {
        const offset = node?.range?.[0]
        return offset === undefined ? 1 : startLine + lines.linePos(offset).line - 1
      }).fields([], entry.line)
    }
  }
  for (const { document } of sourcedDocuments(text, file)) {
    if (document.type === 'object' && document.document === entry.document && document.item === entry.item) return document.lineOf
  }
  return () => entry.line
}

/** Whether JSON carries `value` as it is: plain objects and arrays, none reached twice, of strings, finite numbers (not -0), booleans and null. */
function isJsonTree(value: unknown, seen: Set<object>): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value !== 'object' || seen.has(value)) return false
  seen.add(value)
  if (Array.isArray(value)) return value.every((v) => isJsonTree(v, seen))
  return Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every((v) => isJsonTree(v, seen))
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

/** The lines of a document's objects from its nodes; a field that is not there is on the line of its object. */
function nodeLines(doc: Document, lineOfNode: (node: Node | undefined) => number): DocumentLines {
  return {
    item: (at) => lineOfNode(deepestNode(doc, at, true)),
    fields: (at, line) => (fieldPath) => lineOfNode(deepestNode(doc, [...at, ...fieldPathSegments(fieldPath)])) || line,
  }
}

/** Where the objects of a YAML document are written. */
interface DocumentLines {
  /** the line of the List item at `at` */
  item(at: ReadonlyArray<string | number>): number
  /** the `lineOf` of the object at `at`, which starts on `line` */
  fields(at: ReadonlyArray<string | number>, line: number): (fieldPath: string) => number
}

/** The documents of a YAML document's value: empty, not an object, one object, or a List's items. */
function* documentsOf(value: unknown, base: DocumentBase, lines: DocumentLines): Generator<ManifestDocument> {
  if (value === null || value === undefined) yield { ...base, type: 'empty' }
  else yield* objectsOf(value, [], base, lines)
}

function* objectsOf(value: unknown, at: Array<string | number>, base: DocumentBase, lines: DocumentLines): Generator<ManifestDocument> {
  if (!isObject(value)) {
    const reason = `the document is ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}, not a mapping`
    yield { ...base, type: 'error', problem: 'not-an-object', reason, message: `not a Kubernetes object: ${reason}` }
    return
  }
  const items = listItems(value)
  if (items !== undefined) {
    for (const [i, item] of items.entries()) {
      const itemPath = [...at, 'items', i]
      yield* objectsOf(item, itemPath, { ...base, item: i, line: lines.item(itemPath) }, lines)
    }
    return
  }
  yield { ...base, type: 'object', object: value, lineOf: lines.fields(at, base.line) }
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
