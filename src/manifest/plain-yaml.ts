/**
 * A fast reading of plain YAML texts with js-yaml, for `check`'s first pass: about ten times faster than yaml's
 * composer, which keeps every node with its position. It gives the values and the positions yaml gives, or
 * declines (undefined), and the caller parses the text with yaml, for its errors, its lines and the features
 * read here only by yaml. What it declines is decided before reading: anything that could read differently in
 * the two libraries, found by a conservative scan (it may decline texts both would read alike; it must never
 * take one they would not).
 */
import { FAILSAFE_SCHEMA, load, Type } from 'js-yaml'
import { isScalar, Schema, type ScalarTag } from 'yaml'

/** A YAML document of a text: its value, the offset of the line it starts on, and of its contents. */
export interface PlainDocument {
  value: unknown
  /** as yaml's `doc.range[0]`, taken back to the start of its line */
  start: number
  /** as yaml's `doc.contents.range[0]` (or `doc.range[0]` for a document without contents) */
  contentStart: number
}

/**
 * Plain scalars resolve with yaml's own core-schema tags (the YAML 1.2 core schema that yaml applies by default),
 * in yaml's order, so a scalar has the same value in both: js-yaml's core schema is YAML 1.1's (`0b101`,
 * `1_000`, `yes` are numbers and booleans there). Quoted and block scalars are strings in both.
 */
const yamlCoreScalars = new Schema({ schema: 'core' }).tags.filter(
  (tag): tag is ScalarTag & { test: RegExp } => tag.default === true && tag.test !== undefined && !('collection' in tag && tag.collection !== undefined),
)
const resolveOptions = { intAsBigInt: false }
/** The tag that resolved the scalar js-yaml is constructing: it calls construct right after resolve. */
let resolved: (typeof yamlCoreScalars)[number] | undefined
// One js-yaml type for them all: js-yaml keeps one implicit type per tag, and yaml has three ints and three floats.
const schema = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type('tag:yaml.org,2002:yaml-core-scalar', {
      kind: 'scalar',
      resolve: (data: unknown) => typeof data === 'string' && (resolved = yamlCoreScalars.find((tag) => tag.test.test(data))) !== undefined,
      construct: (data: string) => {
        // yaml's own resolvers never call onError for these tags; one that did would make the text declined.
        const value = resolved?.resolve(data, (message) => {
          throw new Error(message)
        }, resolveOptions)
        return isScalar(value) ? value.value : value
      },
    }),
  ],
})

/**
 * What the scan declines, anywhere in the text. Each is a feature that only yaml reads as the first pass needs,
 * or where the two libraries differ:
 * - `\r`, tabs, a BOM, control characters and Unicode line separators (line breaks and indentation);
 * - `%` directives, `...` document ends (what comes after one is its own document, or not);
 * - anchors, aliases and tags: `&`, `*`, `!` where a node may start (at a line's indentation, after `-`, `:`,
 *   `?`, `[`, `{` or `,` and spaces): aliases, merges and the YAML 1.1 tags are yaml's;
 * - `<<` (merge keys), `?` before a space or the end of a line (explicit keys), and a `]` or `}` before `:`
 *   (a collection as a key): yaml writes such keys as YAML, js-yaml as `[object Object]`;
 * - a block scalar's indentation indicator (`|2`): js-yaml takes lines indented less than it says; and a
 *   block scalar's leading lines of spaces (yaml refuses them more indented than the first line of text);
 * - an empty item of a sequence in a sequence's item (`- -` at the end of a line, or before a comment): js-yaml puts the next item in it;
 * - a comment right after a quoted scalar or a flow collection (`"x"#c`), a block mapping or sequence on a
 *   `---` line (`--- a: 1`), and `\U` escapes (js-yaml takes them past U+10FFFF): errors in yaml, not in js-yaml;
 * - a `\` at the end of a line (an escaped line break: the libraries fold an empty line after it differently).
 */
const declinedText =
  // eslint-disable-next-line no-control-regex -- control characters are what the first alternative looks for
  /[\r\t\uFEFF\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029]|^%|^\.\.\.(?:[ \n]|$)|(?:^|[-:?[{,])\s*[&*!]|<<|\?(?:[ \n]|$)|[\]}]\s*:|(?:^|[-:?]) *[|>][-+]?[0-9]|- +-(?: +#.*)? *$|["'\]}]#|^--- +(?:-(?: |$)|[^{[\n][^\n]*:(?: |$))|[|>][-+]?(?: +#.*)? *\n(?: *\n)* +\n|\\U|\\$/m

/** `---` at the start of a line, then a space, a line break or the end: a document starts there (in any context). */
const documentMarker = /^---(?= |\n|$)/gm

/**
 * The documents of `text` as yaml composes them (its Composer with `forceDoc`: a text without a document is one
 * empty document), or undefined when the text is not plain enough to be sure.
 */
export function plainDocuments(text: string): PlainDocument[] | undefined {
  if (declinedText.test(text) || !flowsOnOneLine(text) || mayHaveLongKey(text)) return undefined
  const markers: number[] = []
  for (const m of text.matchAll(documentMarker)) markers.push(m.index)
  const documents: PlainDocument[] = []
  // Before the first marker, a document only if it has contents (comments alone are not one); after each marker, one.
  const firstEnd = markers[0] ?? text.length
  const first = contentAt(text, 0, firstEnd)
  if (first !== undefined || markers.length === 0) {
    const contentStart = first ?? 0
    const start = text.lastIndexOf('\n', contentStart - 1) + 1
    const value = loadOne(text.slice(0, firstEnd))
    if (value === declined) return undefined
    documents.push({ value, start, contentStart })
  }
  for (const [i, start] of markers.entries()) {
    const end = markers[i + 1] ?? text.length
    let afterMarker = start + 3
    while (text.charCodeAt(afterMarker) === 0x20) afterMarker++
    const value = loadOne(text.slice(start, end))
    if (value === declined) return undefined
    documents.push({ value, start, contentStart: contentAt(text, afterMarker, end) ?? afterMarker })
  }
  return documents
}

const declined = Symbol('declined')

/** One YAML document's value as js-yaml loads it, or `declined` on any error or warning (yaml will give its own). */
function loadOne(documentText: string): unknown {
  let warned = false
  try {
    const value = load(documentText, { schema, onWarning: () => (warned = true) })
    return warned || !sameKeys(value) ? declined : value
  } catch {
    return declined
  }
}

/**
 * Whether the mapping keys are as yaml has them: js-yaml writes a null key as `null` (yaml as ``). Keys that
 * are numbers or booleans are the same strings in both, and collections as keys were declined by the scan.
 */
function sameKeys(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true
  if (Array.isArray(value)) return value.every(sameKeys)
  for (const [key, v] of Object.entries(value)) {
    if (key === 'null' || key === '[object Object]' || !sameKeys(v)) return false
  }
  return true
}

/** The offset of the first character of contents in `[from, end)`, past spaces, line breaks and comments. */
function contentAt(text: string, from: number, end: number): number | undefined {
  let i = from
  while (i < end) {
    const c = text.charCodeAt(i)
    if (c === 0x20 || c === 0x0a) i++
    else if (c === 0x23 /* # */) {
      const eol = text.indexOf('\n', i)
      i = eol === -1 ? end : eol
    } else return i
  }
  return undefined
}

/**
 * Whether every flow collection (`[...]`, `{...}`) opens and closes on one line, counting brackets anywhere
 * (in strings too: a bracket in a string only declines the text). yaml checks the indentation of a flow
 * collection's further lines, js-yaml does not.
 */
function flowsOnOneLine(text: string): boolean {
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) depth++
    else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (--depth < 0) return false
    } else if (c === 0x0a && depth !== 0) return false
  }
  return depth === 0
}

/** yaml's limit on an implicit key: its `:` at most 1024 characters after its start (js-yaml has none). */
const maxKeyLength = 1024

/**
 * Whether a line longer than yaml's limit on keys has a `:` past it, outside a block scalar (a last-applied
 * JSON annotation is one long line of colons, inside `|`).
 */
function mayHaveLongKey(text: string): boolean {
  if (!hasLineLongerThan(text, maxKeyLength)) return false
  /** where the node holding the block scalar the lines are in starts, or at least (past `- - `), or -1 */
  let blockOf = -1
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length
    if (blockOf !== -1 && (line.trim() === '' || indent > blockOf)) continue
    blockOf = /(?:^|[ :-])[|>][-+]?(?: +#.*)?$/.test(line) ? (/^[ -]*/.exec(line)?.[0].length ?? 0) : -1
    if (line.length > maxKeyLength && line.indexOf(':', maxKeyLength) !== -1) return true
  }
  return false
}

/** By line breaks (a regular expression for a long line tries it at every offset). */
function hasLineLongerThan(text: string, length: number): boolean {
  let start = 0
  for (let eol = text.indexOf('\n'); eol !== -1; eol = text.indexOf('\n', start)) {
    if (eol - start > length) return true
    start = eol + 1
  }
  return text.length - start > length
}
