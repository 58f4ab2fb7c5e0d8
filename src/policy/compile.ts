import { MissingRefError, type ErrorObject, type ValidateFunction } from 'ajv'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { describeError, GuardError } from '../errors.js'
import { createAjv } from './ajv.js'
import { exceptionProblem, expiresAt, isExceptionDocument } from './exceptions.js'
import { KeywordValueError } from './keywords/keyword-error.js'
import { dataReferenceTitle, schemaNodeTitle } from './meta-schema.js'
import { policySet } from './policy-set.js'
import { didYouMean } from './suggest.js'
import type { CompiledPolicy, PolicyDocument, PolicyException, PolicyExceptionDocument, PolicySet, Replacement } from './types.js'
import { vocabulary } from './vocabulary.js'

export interface PolicySource {
  /** shown in errors: the file the policy came from */
  file: string
  text: string
  /**
   * The place of its directory in a layered list (`--policies A --policies B`): a policy of a later layer replaces
   * the one of the same id from an earlier layer; two of one id in the same layer are an error. Default 0.
   */
  layer?: number
}

/** A policy that cannot be used, named by its file and the JSON pointer of the problem inside it. */
export class PolicyLoadError extends GuardError {
  readonly file: string
  readonly pointer: string
  /** what is wrong there, without the file and pointer */
  readonly problem: string
  constructor(file: string, pointer: string, problem: string) {
    super('EG_POLICY_INVALID', file, pointer === '' ? '/' : pointer, problem)
    this.file = file
    this.pointer = pointer
    this.problem = problem
  }
}

const policyBaseUri = 'https://endpoint-guard.io/policies/'

function lineOf(text: string, position: number): number {
  return text.slice(0, position).split('\n').length
}

function parseJson(source: PolicySource): unknown {
  try {
    return JSON.parse(source.text)
  } catch (err) {
    const msg = describeError(err)
    const pos = /position (\d+)/.exec(msg)
    const where = pos?.[1] === undefined ? '' : ` (line ${lineOf(source.text, Number(pos[1]))})`
    throw new PolicyLoadError(source.file, '', `not valid JSON: ${msg}${where}`)
  }
}

const escapeSegment = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')

/** The keywords of an Ajv error's meta-schema node, with `verbose`: the names a misspelt one may have meant. */
function namesAt(err: ErrorObject): string[] {
  const properties = (err.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties
  return Object.keys(properties ?? {})
}

/** Where an error points: an unknown or refused name is pointed at itself, not at the object holding it. */
function pointerOf(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>
  if (err.keyword === 'additionalProperties') return `${err.instancePath}/${escapeSegment(String(p.additionalProperty))}`
  if (err.propertyName !== undefined) return `${err.instancePath}/${escapeSegment(err.propertyName)}`
  return err.instancePath
}

// Errors that only say that a branch or a subschema failed: the errors inside them say what.
const branchKeywords = new Set(['anyOf', 'oneOf', 'propertyNames', 'if'])

function enumMessage(err: ErrorObject, pointer: string): string {
  const allowed = (err.params as { allowedValues: unknown[] }).allowedValues
  const list = allowed.map((v) => JSON.stringify(v)).join(', ')
  const suggestion = typeof err.data === 'string' ? didYouMean(err.data, allowed.filter((v) => typeof v === 'string')) : ''
  if (pointer.startsWith('/schema/') && pointer.endsWith('/format')) return `unknown format ${JSON.stringify(err.data)}${suggestion}; the formats are ${list}`
  return `must be one of ${list}${suggestion}`
}

/** A `message` object's key that is no keyword, or one whose failures are reported by the keywords inside it. */
function messageKeyProblem(name: string, allowed: readonly unknown[]): string {
  if (name in vocabulary) return `message key "${name}" is not allowed: ${name} reports no failure of its own (the keywords under it do)`
  return `message key "${name}" is not a keyword${didYouMean(name, allowed.filter((v) => typeof v === 'string'))}`
}

/**
 * The one problem to report from the meta-schema's errors: the deepest, where an unknown name counts as deeper
 * than the object holding it, and errors of the `$data` alternative (the value "could also have been a
 * reference") are left out.
 */
function metaProblem(errors: readonly ErrorObject[]): { pointer: string; message: string } {
  const titleOf = (e: ErrorObject) => (e.parentSchema as { title?: unknown } | undefined)?.title
  const candidates = errors.filter((e) => !branchKeywords.has(e.keyword) && titleOf(e) !== dataReferenceTitle)
  const depth = (e: ErrorObject) => pointerOf(e).split('/').length
  const first = [...(candidates.length > 0 ? candidates : errors)].sort((a, b) => depth(b) - depth(a))[0]
  if (first === undefined) return { pointer: '', message: 'invalid policy' }
  const pointer = pointerOf(first)
  const p = first.params as Record<string, unknown>
  let message = first.message ?? 'invalid'
  if (first.keyword === 'additionalProperties') {
    const name = String(p.additionalProperty)
    const what = titleOf(first) === schemaNodeTitle ? 'keyword' : 'property'
    message = `unknown ${what} "${name}"${didYouMean(name, namesAt(first))}`
  } else if (first.keyword === 'enum' && first.propertyName !== undefined && first.instancePath.endsWith('/message')) {
    message = messageKeyProblem(first.propertyName, p.allowedValues as unknown[])
  } else if (first.keyword === 'enum') {
    message = enumMessage(first, pointer)
  }
  return { pointer, message }
}

/**
 * Where in the schema a named keyword first appears (with that value, when given: the unresolvable one of several
 * `$ref`s), so strict-mode errors can be pinned to a pointer.
 */
function findKey(node: unknown, key: string, value?: unknown, path = ''): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined
  for (const [k, v] of Object.entries(node)) {
    const here = `${path}/${escapeSegment(k)}`
    if (k === key && (value === undefined || v === value)) return here
    const deeper = findKey(v, key, value, here)
    if (deeper !== undefined) return deeper
  }
  return undefined
}

/**
 * A `$ref` that resolves to nothing, in the words of policies: which policy it names and that it is not loaded,
 * or what the policy it names lacks. Ajv's own text ("can't resolve reference ... from id ...") names URIs that
 * the policy author never wrote.
 */
function refProblem(err: InstanceType<typeof MissingRefError>, loadedIds: ReadonlySet<string>, ownId: string): string {
  const written = /can't resolve reference (\S+)/.exec(err.message)?.[1] ?? err.missingRef
  const shown = `$ref ${JSON.stringify(written)}`
  if (!err.missingSchema.startsWith(policyBaseUri)) {
    return `${shown}: not a loaded policy; a $ref names another policy by id ("<policy-id>#/$defs/name") or this schema's own definitions ("#/$defs/name"), and nothing is fetched`
  }
  const id = err.missingSchema.slice(policyBaseUri.length)
  const fragment = err.missingRef.includes('#') ? err.missingRef.slice(err.missingRef.indexOf('#') + 1) : ''
  const target = id === ownId ? 'this policy\'s schema' : `policy "${id}"`
  if (!loadedIds.has(id)) return `${shown}: no policy "${id}" is loaded${didYouMean(id, loadedIds)}`
  if (fragment.startsWith('/')) return `${shown}: ${target} has nothing at ${fragment}`
  return `${shown}: ${target} has no anchor "${fragment}"`
}

function compileProblem(err: unknown, schema: unknown, loadedIds: ReadonlySet<string>, ownId: string): { pointer: string; message: string } {
  if (err instanceof KeywordValueError) return { pointer: `/schema${err.schemaPath.replace(/^#/, '')}`, message: err.problem }
  let message = describeError(err)
  // Ajv names the schema node for bad keyword values and unknown formats: point at the keyword inside that node.
  const atNode = /(?:keyword "([^"]+)" value is invalid|unknown (format)) .*at path "#(\/[^"]*)?"/s.exec(message)
  if (atNode !== null) return { pointer: `/schema${atNode[3] ?? ''}/${atNode[1] ?? atNode[2] ?? ''}`, message }
  const unknownKeyword = /unknown keyword: "([^"]+)"/.exec(message)
  const ref = /can't resolve reference (\S+)/.exec(message)
  if (err instanceof MissingRefError) message = refProblem(err, loadedIds, ownId)
  const key = unknownKeyword?.[1] ?? (ref === null ? undefined : '$ref')
  const found = key === undefined ? undefined : (findKey(schema, key, ref?.[1]) ?? findKey(schema, key))
  return { pointer: found === undefined ? '/schema' : `/schema${found}`, message }
}

/** The exception schema's errors: its two alternatives said in words, else as for policies. */
function exceptionSchemaProblem(errors: readonly ErrorObject[]): { pointer: string; message: string } {
  const failedBranch = (at: string) => errors.some((e) => e.keyword === 'anyOf' && e.instancePath === at) && !errors.some((e) => e.instancePath.startsWith(`${at}/`))
  if (failedBranch('/match')) return { pointer: '/match', message: 'needs namespaces or names (or both), so that no exception covers every object' }
  if (failedBranch('/expires')) return { pointer: '/expires', message: 'must be an RFC 3339 date-time with a time zone ("2027-01-31T18:00:00Z") or a date ("2027-01-31")' }
  return metaProblem(errors)
}

/**
 * The exception sources, validated against their schema and the loaded policies; a later layer's exception
 * replaces the one of the same id, as for policies.
 */
function compileExceptions(
  found: ReadonlyArray<{ source: PolicySource; json: unknown }>,
  schema: object | undefined,
  policies: ReadonlyMap<string, CompiledPolicy>,
  replaced: Replacement[],
): PolicyException[] {
  if (found.length === 0) return []
  const first = found[0] as { source: PolicySource }
  if (schema === undefined) throw new PolicyLoadError(first.source.file, '/kind', 'PolicyException files need the exception schema (schemas/policy-exception.schema.json)')
  const check = createAjv().compile(schema)
  const byId = new Map<string, { source: PolicySource; doc: PolicyExceptionDocument }>()
  for (const { source, json } of found) {
    if (!check(json)) {
      const { pointer, message } = exceptionSchemaProblem(check.errors ?? [])
      throw new PolicyLoadError(source.file, pointer, message)
    }
    const doc = json as PolicyExceptionDocument
    const problem = exceptionProblem(doc, policies)
    if (problem !== undefined) throw new PolicyLoadError(source.file, problem.pointer, problem.message)
    const other = byId.get(doc.id)
    if (other !== undefined) {
      if ((other.source.layer ?? 0) >= (source.layer ?? 0)) {
        throw new PolicyLoadError(source.file, '/id', `exception id "${doc.id}" is already defined in ${other.source.file}`)
      }
      replaced.push({ id: doc.id, file: other.source.file, by: source.file, kind: 'PolicyException' })
    }
    byId.set(doc.id, { source, doc })
  }
  return [...byId.values()].map(({ source, doc }) => Object.freeze({ id: doc.id, file: source.file, document: doc, expiresAt: expiresAt(doc.expires) ?? 0 }))
}

/**
 * Policy sources → a compiled, frozen PolicySet. Pure: the caller reads the files. Throws PolicyLoadError for the
 * first unusable policy or exception, so a set is either entirely usable or not used at all. Files whose `kind` is
 * PolicyException are exceptions, checked against `exceptionSchema`.
 */
export function compilePolicies(sources: readonly PolicySource[], metaSchema: object, label: string, exceptionSchema?: object): PolicySet {
  const validating = createAjv()
  const mutating = createAjv({ useDefaults: true })
  const checkPolicy = validating.compile(metaSchema)

  const byId = new Map<string, { source: PolicySource; doc: PolicyDocument }>()
  const replaced: Replacement[] = []
  const exceptionSources: Array<{ source: PolicySource; json: unknown }> = []
  for (const source of sources) {
    const json = parseJson(source)
    if (isExceptionDocument(json)) {
      exceptionSources.push({ source, json })
      continue
    }
    if (!checkPolicy(json)) {
      const { pointer, message } = metaProblem(checkPolicy.errors ?? [])
      throw new PolicyLoadError(source.file, pointer, message)
    }
    const doc = json as PolicyDocument
    const other = byId.get(doc.id)
    if (other !== undefined) {
      // A PolicyLoadError like every other load problem, so the file and the pointer (/id) reach the reload log.
      if ((other.source.layer ?? 0) >= (source.layer ?? 0)) {
        throw new PolicyLoadError(source.file, '/id', `policy id "${doc.id}" is already defined in ${other.source.file}`)
      }
      // The replacement keeps the replaced policy's place, so the order of messages does not move.
      replaced.push({ id: doc.id, file: other.source.file, by: source.file })
    }
    byId.set(doc.id, { source, doc })
  }
  const docs = [...byId.values()]
  const loadedIds: ReadonlySet<string> = new Set(byId.keys())

  // Every schema is registered before any is compiled, so policies can $ref each other's $defs by id.
  for (const ajv of [validating, mutating]) {
    for (const { source, doc } of docs) {
      try {
        ajv.addSchema({ $id: `${policyBaseUri}${doc.id}`, ...doc.schema })
      } catch (err) {
        const { pointer, message } = compileProblem(err, doc.schema, loadedIds, doc.id)
        throw new PolicyLoadError(source.file, pointer, message)
      }
    }
  }

  const policies: CompiledPolicy[] = docs.map(({ source, doc }) => {
    const ajv: Ajv2020 = doc.action === 'mutate' ? mutating : validating
    let validate: ValidateFunction | undefined
    const id = typeof doc.schema.$id === 'string' ? doc.schema.$id : `${policyBaseUri}${doc.id}`
    try {
      validate = ajv.getSchema(id)
    } catch (err) {
      const { pointer, message } = compileProblem(err, doc.schema, loadedIds, doc.id)
      throw new PolicyLoadError(source.file, pointer, message)
    }
    // addSchema above registered every id; a schema whose own $id differs is registered under that one.
    if (validate === undefined) throw new PolicyLoadError(source.file, '/schema/$id', `schema ${id} was not registered`)
    return Object.freeze({ id: doc.id, file: source.file, action: doc.action, document: doc, validate })
  })
  const exceptions = compileExceptions(exceptionSources, exceptionSchema, new Map(policies.map((p) => [p.id, p])), replaced)
  return policySet(policies, label, replaced, exceptions)
}
