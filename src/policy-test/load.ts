import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ErrorObject } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'
import { describeError } from '../errors.js'
import { bundledPaths } from '../paths.js'
import { didYouMean } from '../policy/suggest.js'
import type { PolicyTestSuite } from './run.js'

export const bundledSuitesDir = path.join(bundledPaths.packageRoot, 'schemas', 'policy-tests')
const suiteSchemaFile = path.join(bundledPaths.packageRoot, 'schemas', 'policy-test.schema.json')

export type LoadedSuite = { file: string; suite: PolicyTestSuite } | { file: string; problems: string[] }

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(
    entries
      .filter((e) => !e.name.startsWith('.'))
      .map(async (e) => {
        const full = path.join(dir, e.name)
        if (e.isDirectory()) return filesUnder(full)
        return /\.(json|ya?ml)$/.test(e.name) ? [full] : []
      }),
  )
  return nested.flat().sort()
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')
const decodePointer = (p: string) => (p === '' ? [] : p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')))

/** The 1-based line of the value at `pointer` (of `key` in it, when given), else of the nearest node above it. */
function lineOf(doc: Document, lines: LineCounter, pointer: string, key?: string): number {
  let node: unknown = doc.contents
  let line = 1
  const at = (n: unknown) => {
    const range = (n as { range?: [number, number, number] } | null)?.range
    if (range !== undefined) line = lines.linePos(range[0]).line
  }
  at(node)
  for (const segment of [...decodePointer(pointer), ...(key === undefined ? [] : [key])]) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment)
      if (pair === undefined) break
      at(pair.key)
      node = pair.value
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      node = node.items[Number(segment)]
      if (node === undefined) break
      at(node)
    } else break
  }
  return line
}

/** One suite-format problem in words: the line, the pointer, and what is allowed there. */
function problemText(err: ErrorObject, doc: Document, lines: LineCounter): string {
  const p = err.params as Record<string, unknown>
  const where = err.instancePath === '' ? '/' : err.instancePath
  const allowedNames = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {})
  switch (err.keyword) {
    case 'additionalProperties': {
      const name = String(p.additionalProperty)
      const line = lineOf(doc, lines, err.instancePath, name)
      return `line ${line}: ${err.instancePath}/${escapePointer(name)}: unknown field "${name}"${didYouMean(name, allowedNames)}; the fields are ${allowedNames.join(', ')}`
    }
    case 'required':
      return `line ${lineOf(doc, lines, err.instancePath)}: ${where}: the field "${String(p.missingProperty)}" is required`
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).filter((v): v is string => typeof v === 'string')
      const got = JSON.stringify(err.data)
      const suggestion = typeof err.data === 'string' ? didYouMean(err.data, allowed) : ''
      return `line ${lineOf(doc, lines, err.instancePath)}: ${where}: must be one of ${allowed.join(', ')}, not ${got}${suggestion}`
    }
    default:
      return `line ${lineOf(doc, lines, err.instancePath)}: ${where}: ${err.message ?? 'invalid'}`
  }
}

/** The suite's data, with the positions of its nodes (JSON is YAML, so one parser places both), or why not. */
function parseSuite(text: string, json: boolean): { data: unknown; doc: Document; lines: LineCounter } | { problem: string } {
  const lines = new LineCounter()
  // Merge keys as in manifests (kubectl applies them), so a suite reads its objects as `check` would.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true })
  if (json) {
    // JSON files are read by JSON's rules, and their syntax errors told in JSON's words.
    try {
      return { data: JSON.parse(text), doc, lines }
    } catch (err) {
      // V8 gives a position for some errors only; YAML's parser places the others.
      const message = describeError(err).replace(/\s*\n\s*/g, ' ')
      const position = /position (\d+)/.exec(message)?.[1]
      const yamlError = doc.errors[0]
      const line =
        position !== undefined ? text.slice(0, Number(position)).split('\n').length : yamlError === undefined ? undefined : lines.linePos(yamlError.pos[0]).line
      return { problem: `${line === undefined ? '' : `line ${line}: `}cannot parse: ${message}` }
    }
  }
  const [error] = doc.errors
  if (error !== undefined) {
    const at = lines.linePos(error.pos[0])
    return { problem: `line ${at.line}: cannot parse: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')} (column ${at.col})` }
  }
  try {
    return { data: doc.toJS(), doc, lines }
  } catch (err) {
    return { problem: `cannot parse: ${describeError(err)}` }
  }
}

/** Every suite file (.json, .yaml, .yml) under `dir`, parsed and checked against the suite schema. */
export async function loadSuites(dir: string = bundledSuitesDir): Promise<LoadedSuite[]> {
  const schema = JSON.parse(await readFile(suiteSchemaFile, 'utf8')) as object
  const check = new Ajv2020({ allErrors: true, strict: false, verbose: true }).compile(schema)
  const files = await filesUnder(dir)
  return Promise.all(
    files.map(async (file): Promise<LoadedSuite> => {
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (err) {
        return { file, problems: [`cannot read: ${describeError(err)}`] }
      }
      const parsed = parseSuite(text, file.endsWith('.json'))
      if ('problem' in parsed) return { file, problems: [parsed.problem] }
      if (check(parsed.data)) return { file, suite: parsed.data as PolicyTestSuite }
      return { file, problems: (check.errors ?? []).map((e) => problemText(e, parsed.doc, parsed.lines)) }
    }),
  )
}
