import { createHash } from 'node:crypto'
import type { ErrorObject } from 'ajv'
import { formatReasons } from './formats.js'
import type { KeywordErrorParams } from './keywords/keyword-error.js'
import type { FindingType, Violation } from './types.js'
import { reasonTypeOf } from './vocabulary.js'

/**
 * The budget of one rendered violation (README, HTTP contract): an object is the attacker's text, and whatever a
 * finding shows goes into answers, warnings, audit annotations, events and logs. A value shows at most 80 of its
 * characters (before quoting), a field path at most 256 (its start and its end, so the field's own name stays
 * readable), a reason at most 1024. What is cut says so with "...". Ratcheting still tells cut texts apart: the
 * violation keeps a digest of what was cut (Violation.digest).
 */
export const renderBudget = { value: 80, path: 256, detail: 1024 } as const
const maxValueLength = renderBudget.value

/**
 * A JSON pointer's segments as Ajv escaped them (`~0` for `~`, `~1` for `/`), not decoded: a segment is decoded
 * only as far as it is shown (shownSegment), since one key of an object can be megabytes long.
 */
function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/')
}

const unescape = (s: string): string => (s.includes('~') ? s.replace(/~1/g, '/').replace(/~0/g, '~') : s)

/**
 * Of a segment longer than any shown path, its start and its end are all that cutMiddle can show, so only they
 * are decoded (a megabyte key is sliced, not copied); the rest is one character that no key shows. `escaped`:
 * the segment comes from a pointer.
 */
const segmentKeep = renderBudget.path + 8
function shownSegment(s: string, escaped: boolean): string {
  // An escape is two characters for one, so an escaped segment keeps twice as many to show as many.
  const keep = escaped ? 2 * segmentKeep : segmentKeep
  if (s.length <= 2 * keep + 1) return escaped ? unescape(s) : s
  if (!escaped) return `${s.slice(0, keep)}\u0000${s.slice(s.length - keep)}`
  // Cut between escapes: the head drops a '~' its escape lost, the tail starts after one cut in two.
  const head = s.slice(0, keep)
  const from = s.length - keep
  const tail = s.slice(s.charCodeAt(from - 1) === 0x7e ? from + 1 : from)
  return `${unescape(head.endsWith('~') ? head.slice(0, -1) : head)}\u0000${unescape(tail)}`
}

/** `/spec/ports/1/name` → `spec.ports[1].name`; keys that are not identifiers use brackets, as kubectl does. */
export function fieldPath(segments: string[]): string {
  return cutMiddle(wholePath(segments.map((seg) => ({ seg, escaped: false }))), renderBudget.path)
}

// Segment tests by character code rather than regexes: they run for every segment of every violation.
const isDigit = (c: number) => c >= 0x30 && c <= 0x39
const isIdentifierStart = (c: number) => ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x5f || c === 0x24

/** An array index: one or more ASCII digits. */
function isIndex(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false
  return true
}

/** A key written after a dot: an ASCII identifier ([A-Za-z_$][A-Za-z0-9_$]*). */
function isIdentifier(s: string): boolean {
  if (s.length === 0 || !isIdentifierStart(s.charCodeAt(0))) return false
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!isIdentifierStart(c) && !isDigit(c)) return false
  }
  return true
}

interface Segment {
  seg: string
  /** as Ajv escaped it in a pointer (`~0`, `~1`), rather than a key as the object has it */
  escaped: boolean
}

/**
 * The path as shown before cutMiddle: whole, except that the middle of a segment too long to show is left out,
 * which changes nothing cutMiddle keeps (the start and end it takes lie in the kept parts).
 */
function wholePath(segments: readonly Segment[]): string {
  let out = ''
  for (const { seg, escaped } of segments) {
    const shown = shownSegment(seg, escaped)
    // An index is never an identifier (it starts with a digit), so it is bracketed too. Escapes and the two
    // characters they stand for are none of an identifier's, so the escaped form answers as the decoded one.
    if (isIdentifier(seg)) out += out === '' ? shown : `.${shown}`
    else out += `[${shown}]`
  }
  return out === '' ? '(object)' : out
}

/** At most `max` characters: the start and the end of `text`, "..." between them when it is longer. */
export function cutMiddle(text: string, max: number): string {
  if (text.length <= max) return text
  const tail = Math.floor((max - 3) / 4)
  return `${text.slice(0, max - 3 - tail)}...${text.slice(text.length - tail)}`
}

/** At most `max` characters: the start of `text`, "..." at the end when it is longer. */
export function cutEnd(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`
}

export function displayValue(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const cut = value.length > maxValueLength ? `${value.slice(0, maxValueLength)}...` : value
    return JSON.stringify(cut)
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

/** The words a policy author chose for this node, if any. */
function authoredMessage(err: ErrorObject): string | undefined {
  const m = (err.parentSchema as { message?: unknown } | undefined)?.message
  if (typeof m === 'string') return m
  if (typeof m === 'object' && m !== null) {
    const forKeyword = (m as Record<string, unknown>)[err.keyword]
    if (typeof forKeyword === 'string') return forKeyword
  }
  return undefined
}

const quoteList = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join(', ')

/** endpoint-guard's own words for a failed standard keyword; the reason type comes from the vocabulary table. */
function builtinDetail(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>
  switch (err.keyword) {
    case 'required':
      return 'must be set'
    case 'enum':
      return `supported values: ${quoteList(p.allowedValues as unknown[])}`
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`
    case 'not':
      return 'is not allowed here'
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not an allowed field'
    case 'maxItems':
      return `must have at most ${String(p.limit)} items`
    case 'maxProperties':
      return `must have at most ${String(p.limit)} properties`
    case 'minimum':
      return `must be at least ${String(p.limit)}`
    case 'maximum':
      return `must be at most ${String(p.limit)}`
    case 'format':
      return formatReasons[String(p.format)] ?? `must be a valid ${String(p.format)}`
    case 'type':
      return `must be of type ${String(p.type)}`
    default:
      return err.message ?? `fails ${err.keyword}`
  }
}

function builtinReason(err: ErrorObject): { type: FindingType; detail: string } {
  return { type: reasonTypeOf(err.keyword) ?? 'Invalid value', detail: builtinDetail(err) }
}

// Wrappers whose failure is fully explained by the errors beneath them, or that only repeat them.
const wrapperKeywords = new Set(['if', 'then', 'else', 'allOf', 'propertyNames', '$ref', 'contains'])
const compositeKeywords = new Set(['anyOf', 'oneOf'])

/**
 * Ajv errors → violations: one per offending value, with the Kubernetes-style field path. Errors under a failed
 * anyOf/oneOf are dropped in favour of that keyword's own (authored) message: the branches are alternatives,
 * and listing each branch's complaint confuses more than it helps.
 */
export function renderErrors(errors: readonly ErrorObject[], limit = renderLimit): Violation[] {
  // Schema paths, not instance paths: as many as the schema has composites, however many items failed one, so
  // the test below stays linear in the number of errors.
  const composites = [...new Set(errors.filter((e) => compositeKeywords.has(e.keyword)).map((e) => `${e.schemaPath}/`))]
  const out: Violation[] = []
  // A duplicate has the same path, type and detail. Keyed by the path alone, no key is built per violation; the
  // few that share a path (several keywords on one field) get a set of their type and detail.
  const byPath = new Map<string, Violation | Set<string>>()
  let unlisted = 0
  for (const err of errors) {
    if (wrapperKeywords.has(err.keyword)) continue
    if (composites.length > 0 && composites.some((prefix) => err.schemaPath.startsWith(prefix))) continue
    if (out.length >= limit) {
      unlisted++
      continue
    }
    const v = toViolation(err)
    const earlier = byPath.get(v.path)
    if (earlier !== undefined) {
      let reasons = earlier
      if (!(reasons instanceof Set)) byPath.set(v.path, (reasons = new Set([reasonKey(reasons)])))
      const reason = reasonKey(v)
      if (reasons.has(reason)) continue
      reasons.add(reason)
    } else byPath.set(v.path, v)
    out.push(v)
  }
  if (unlisted > 0) out.push(summaryViolation(unlisted, limit))
  return out
}

/**
 * Violations of one policy on one object rendered one by one; past this many they are counted, in one summary
 * entry. An answer shows at most 100 (answerBudget) and a reader no more, while rendering (and ratcheting, and
 * keeping) each of 140,000 was most of the cost of the worst objects an attacker can send (README, Performance).
 * Those past the limit are not told apart by field, so they are not de-duplicated either: the count is of errors.
 */
export const renderLimit = 1000

function summaryViolation(n: number, limit: number): Violation {
  return {
    path: '(object)',
    type: 'Too many',
    detail: `${n} more violations of this policy past the first ${limit}, counted but not listed (so never taken as already present on an UPDATE)`,
    summarises: n,
  }
}

const reasonKey = (v: Violation) => `${v.type}\u0000${v.detail}`

function toViolation(err: ErrorObject): Violation {
  const segments: Segment[] = pointerSegments(err.instancePath).map((seg) => ({ seg, escaped: true }))
  const p = err.params as Record<string, unknown>
  if (err.keyword === 'required') segments.push({ seg: String(p.missingProperty), escaped: false })
  if (err.keyword === 'additionalProperties') segments.push({ seg: String(p.additionalProperty), escaped: false })
  if (err.keyword === 'unevaluatedProperties') segments.push({ seg: String(p.unevaluatedProperty), escaped: false })
  if (err.propertyName !== undefined) segments.push({ seg: err.propertyName, escaped: false })

  const custom = 'detail' in p ? (p as unknown as KeywordErrorParams) : undefined
  const inferred = custom === undefined ? builtinReason(err) : { type: custom.type ?? 'Invalid value', detail: custom.detail }
  // "{default}" in an authored message stands for the reason endpoint-guard would have given.
  const detail = cutEnd(authoredMessage(err)?.replace('{default}', inferred.detail) ?? inferred.detail, renderBudget.detail)
  let raw: unknown
  if (custom !== undefined && 'value' in custom) raw = custom.value
  else if (err.propertyName !== undefined) raw = err.propertyName
  else if (err.keyword === 'maxItems' && Array.isArray(err.data)) raw = err.data.length
  else if (err.keyword !== 'required' && err.keyword !== 'additionalProperties') raw = err.data
  const value = displayValue(raw)
  const whole = wholePath(segments)
  const path = cutMiddle(whole, renderBudget.path)
  const violation: Violation = { path, type: inferred.type, detail }
  if (value !== undefined) violation.value = value
  if (err.schemaPath !== '') violation.rule = err.schemaPath
  if (custom?.values !== undefined) violation.values = custom.values
  if (custom?.writer === true) violation.writer = true
  const cutValue = typeof raw === 'string' && raw.length > maxValueLength ? raw : ''
  if (cutValue !== '' || path !== whole) violation.digest = digestOf(segments, cutValue)
  return violation
}

/**
 * What a cut path or value stood for, for ratcheting: two long keys with the same first characters are two
 * violations. Array indices are left out, as ratcheting leaves them out of the shown path.
 */
function digestOf(segments: readonly Segment[], value: string): string {
  const hash = createHash('sha256')
  // Escaped or not, a segment is always written the same way at the same place, so equal digests mean equal paths.
  for (const { seg } of segments) hash.update(isIndex(seg) ? '*' : seg).update('\u0000')
  return hash.update('\u0000').update(value).digest('base64url').slice(0, 22)
}

/** `spec.ports[1].name: Duplicate value: "http": name must be unique` */
export function violationText(v: Violation): string {
  return v.value === undefined ? `${v.path}: ${v.type}: ${v.detail}` : `${v.path}: ${v.type}: ${v.value}: ${v.detail}`
}
