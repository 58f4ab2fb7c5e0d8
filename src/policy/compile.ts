import type { ErrorObject, ValidateFunction } from 'ajv'
import type { Ajv2020 } from 'ajv/dist/2020.js'
import { describeError, GuardError } from '../errors.js'
import { createAjv } from './ajv.js'
import { KeywordValueError } from './keywords/keyword-error.js'
import { policySet } from './policy-set.js'
import type { CompiledPolicy, PolicyDocument, PolicySet, Replacement } from './types.js'

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
  constructor(file: string, pointer: string, problem: string) {
    super('EG_POLICY_INVALID', file, pointer === '' ? '/' : pointer, problem)
    this.file = file
    this.pointer = pointer
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

function metaProblem(errors: readonly ErrorObject[]): { pointer: string; message: string } {
  // The deepest error is the most specific one; the ones above it only repeat that a branch failed.
  const sorted = [...errors].sort((a, b) => b.instancePath.split('/').length - a.instancePath.split('/').length)
  const first = sorted[0]
  if (first === undefined) return { pointer: '', message: 'invalid policy' }
  const p = first.params as Record<string, unknown>
  let message = first.message ?? 'invalid'
  if (first.keyword === 'additionalProperties') message = `unknown property "${String(p.additionalProperty)}"`
  if (first.keyword === 'enum') message = `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
  return { pointer: first.instancePath, message }
}

/**
 * Where in the schema a named keyword first appears (with that value, when given: the unresolvable one of several
 * `$ref`s), so strict-mode errors can be pinned to a pointer.
 */
function findKey(node: unknown, key: string, value?: unknown, path = ''): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined
  for (const [k, v] of Object.entries(node)) {
    const here = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`
    if (k === key && (value === undefined || v === value)) return here
    const deeper = findKey(v, key, value, here)
    if (deeper !== undefined) return deeper
  }
  return undefined
}

function compileProblem(err: unknown, schema: unknown): { pointer: string; message: string } {
  if (err instanceof KeywordValueError) return { pointer: `/schema${err.schemaPath.replace(/^#/, '')}`, message: err.problem }
  const message = describeError(err)
  // Ajv names the schema node for bad keyword values and unknown formats: point at the keyword inside that node.
  const atNode = /(?:keyword "([^"]+)" value is invalid|unknown (format)) .*at path "#(\/[^"]*)?"/s.exec(message)
  if (atNode !== null) return { pointer: `/schema${atNode[3] ?? ''}/${atNode[1] ?? atNode[2] ?? ''}`, message }
  const unknownKeyword = /unknown keyword: "([^"]+)"/.exec(message)
  const ref = /can't resolve reference (\S+)/.exec(message)
  const key = unknownKeyword?.[1] ?? (ref === null ? undefined : '$ref')
  const found = key === undefined ? undefined : (findKey(schema, key, ref?.[1]) ?? findKey(schema, key))
  return { pointer: found === undefined ? '/schema' : `/schema${found}`, message }
}

/**
 * Policy sources → a compiled, frozen PolicySet. Pure: the caller reads the files. Throws PolicyLoadError for the
 * first unusable policy, so a set is either entirely usable or not used at all.
 */
export function compilePolicies(sources: readonly PolicySource[], metaSchema: object, label: string): PolicySet {
  const validating = createAjv()
  const mutating = createAjv({ useDefaults: true })
  const checkPolicy = validating.compile(metaSchema)

  const byId = new Map<string, { source: PolicySource; doc: PolicyDocument }>()
  const replaced: Replacement[] = []
  for (const source of sources) {
    const json = parseJson(source)
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

  // Every schema is registered before any is compiled, so policies can $ref each other's $defs by id.
  for (const ajv of [validating, mutating]) {
    for (const { source, doc } of docs) {
      try {
        ajv.addSchema({ $id: `${policyBaseUri}${doc.id}`, ...doc.schema })
      } catch (err) {
        const { pointer, message } = compileProblem(err, doc.schema)
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
      const { pointer, message } = compileProblem(err, doc.schema)
      throw new PolicyLoadError(source.file, pointer, message)
    }
    // addSchema above registered every id; a schema whose own $id differs is registered under that one.
    if (validate === undefined) throw new PolicyLoadError(source.file, '/schema/$id', `schema ${id} was not registered`)
    return Object.freeze({ id: doc.id, file: source.file, action: doc.action, document: doc, validate })
  })
  return policySet(policies, label, replaced)
}
