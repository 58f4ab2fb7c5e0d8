import type { AnySchemaObject } from 'ajv'
import { guardedKinds } from '../kube/kinds.js'
import { createAjv, customKeywords } from './ajv.js'
import { vocabulary } from './vocabulary.js'

/**
 * The policy meta-schema, schemas/policy.schema.json, built from what Ajv actually runs: the envelope of a policy
 * (id, match, exclude, ...), and a closed schema node that lists every JSON Schema 2020-12 keyword (value shapes
 * from the vocabulary meta-schemas Ajv ships, words from vocabulary.ts) and every registered custom keyword
 * (description and metaSchema from its definition). Closed, so editors flag `requried` or `ipInCidr` as they are
 * typed, and the loader refuses them with their pointer before Ajv sees the schema.
 *
 * `npm run schemas` writes the file; test/policy/meta-schema.test.ts fails when the shipped file differs.
 */

const metaSchemaId = 'https://endpoint-guard.io/schemas/policy.schema.json'
const dialect = 'https://json-schema.org/draft/2020-12/schema'
const schemaNode = '#/$defs/schema'
/** The titles of two definitions, by which the loader tells what a meta-schema error is about. */
export const schemaNodeTitle = 'JSON Schema node'
export const dataReferenceTitle = '$data reference'
const dataReference = '#/$defs/dataReference'
/** Where Ajv's $data option points the keywords that accept `{"$data": pointer}` (Ajv has it locally; editors would fetch it). */
const ajvDataSchema = 'https://raw.githubusercontent.com/ajv-validator/ajv/master/lib/refs/data.json#'

/** The envelope: everything of a policy file but its schema. */
function envelope(): Record<string, AnySchemaObject> {
  const names = { type: 'array', items: { type: 'string', minLength: 1 } }
  return {
    $schema: { description: 'The meta-schema, for editors: "../policy.schema.json" from schemas/policies/, or this file\'s $id.', type: 'string' },
    id: {
      description: 'Unique policy id: a DNS-1123 label. It starts every message the policy produces; a later --policies directory replaces a policy of the same id.',
      type: 'string',
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      maxLength: 63,
    },
    description: { description: 'What the policy enforces and why, in a sentence or two.', type: 'string', minLength: 1 },
    action: {
      description:
        'deny: refuse the request (updates are ratcheted); warn: allow with warnings; audit: allow and record in auditAnnotations; mutate: apply the schema\'s defaults as a JSON Patch.',
      enum: ['deny', 'warn', 'audit', 'mutate'],
    },
    match: {
      description:
        'Which requests the policy applies to. Every condition given must hold: one of the kinds, operations and subresources, and the namespace and object conditions.',
      type: 'object',
      required: ['kinds'],
      additionalProperties: false,
      properties: {
        kinds: {
          description: 'Object kinds this policy applies to.',
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { enum: [...guardedKinds] },
        },
        operations: {
          description: 'Admission operations; default CREATE and UPDATE. DELETE evaluates the old object.',
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
        },
        subresources: {
          description: 'Subresources; default [""] (the object itself). Use ["status"] for services/status.',
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string' },
        },
        namespaces: { description: 'Only objects in these namespaces (by name); absent: every namespace.', ...names },
        namespaceSelector: { description: 'Only objects whose namespace has matching labels (from the cluster context).', $ref: '#/$defs/labelSelector' },
        objectSelector: { description: 'Only objects with matching labels (the new or the old object, on UPDATE).', $ref: '#/$defs/labelSelector' },
      },
    },
    exclude: {
      description: 'Requests the policy never applies to, even when match selects them: any one condition excludes.',
      type: 'object',
      additionalProperties: false,
      properties: {
        namespaces: { description: 'Namespaces (by name) whose objects this policy never applies to.', ...names },
        users: { description: 'Request user names (userInfo.username) that this policy never applies to.', ...names },
        groups: { description: 'Request groups (userInfo.groups) that this policy never applies to.', ...names },
      },
    },
    schema: {
      description:
        'The JSON Schema (2020-12) the object must satisfy, with endpoint-guard\'s custom keywords. Each failure is one finding: policy, field path, reason.',
      type: 'object',
      $ref: schemaNode,
    },
  }
}

const labelSelector: AnySchemaObject = {
  description: 'A Kubernetes label selector: every matchLabels pair and every matchExpressions requirement must hold.',
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { description: 'Labels that must be present with exactly these values.', type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      description: 'Requirements on label keys, all of which must hold.',
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        additionalProperties: false,
        properties: {
          key: { description: 'The label key.', type: 'string', minLength: 1 },
          operator: { description: 'In / NotIn: the value is (not) one of values; Exists / DoesNotExist: the key is (not) set.', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { description: 'For In and NotIn: the values.', type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
}

/** Ajv's $data extension: `{"$data": "/metadata/namespace"}` in place of a keyword's value. */
const dataReferenceSchema: AnySchemaObject = {
  title: dataReferenceTitle,
  description: 'The value of another field of the object, by JSON pointer ("/metadata/namespace") or relative JSON pointer ("1/name").',
  type: 'object',
  required: ['$data'],
  additionalProperties: false,
  properties: { $data: { type: 'string', anyOf: [{ format: 'relative-json-pointer' }, { format: 'json-pointer' }] } },
}

/**
 * A vocabulary meta-schema's value shape, self-contained: its recursion (`$dynamicRef: "#meta"`) points at our
 * schema node, and the `$data` alternative Ajv adds to the keywords that take one points at our copy.
 */
function localise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(localise)
  if (typeof node !== 'object' || node === null) return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === '$dynamicRef' && value === '#meta') out['$ref'] = schemaNode
    else if (key === '$ref' && value === ajvDataSchema) out['$ref'] = dataReference
    else out[key] = localise(value)
  }
  return out
}

interface Vocabularies {
  /** keyword → the shape of its value, in vocabulary order */
  shapes: Map<string, unknown>
  /** the definitions the shapes refer to (`#/$defs/nonNegativeInteger`) */
  defs: Record<string, unknown>
}

/** The keywords of the 2020-12 vocabularies, as the dialect meta-schema Ajv ships lists them (its allOf). */
function standardVocabularies(ajv: ReturnType<typeof createAjv>): Vocabularies {
  const schemaOf = (uri: string): AnySchemaObject => {
    const schema = ajv.getSchema(uri)?.schema
    if (typeof schema !== 'object') throw new Error(`Ajv does not ship the meta-schema ${uri}`)
    return schema
  }
  const shapes = new Map<string, unknown>()
  const defs: Record<string, unknown> = {}
  for (const part of (schemaOf(dialect).allOf ?? []) as Array<{ $ref: string }>) {
    const vocabulary = schemaOf(new URL(part.$ref, dialect).href)
    for (const [keyword, shape] of Object.entries((vocabulary.properties ?? {}) as Record<string, unknown>)) shapes.set(keyword, localise(shape))
    for (const [name, def] of Object.entries((vocabulary.$defs ?? {}) as Record<string, unknown>)) {
      if (name in defs && JSON.stringify(defs[name]) !== JSON.stringify(localise(def))) throw new Error(`two vocabularies define $defs/${name} differently`)
      defs[name] = localise(def)
    }
  }
  return { shapes, defs }
}

/** The format keyword's shape (a string, or a $data reference) with the string narrowed to the known formats. */
function formatShape(shape: unknown, formats: string[]): unknown {
  const known = { type: 'string', enum: formats }
  const branches = (shape as { anyOf?: unknown[] }).anyOf
  if (!Array.isArray(branches)) return known
  return { anyOf: branches.map((b) => ((b as { type?: unknown }).type === 'string' ? known : b)) }
}

function withDescription(description: string, shape: unknown): AnySchemaObject {
  // `true` (any value: const, default) has nothing to add but the words.
  return typeof shape === 'object' && shape !== null ? { description, ...shape } : { description }
}

/** The policy meta-schema, as schemas/policy.schema.json holds it. Throws when a keyword lacks its words. */
export function policyMetaSchema(): AnySchemaObject {
  const ajv = createAjv()
  const { shapes, defs } = standardVocabularies(ajv)
  const described = Object.keys(vocabulary)
  const missing = [...shapes.keys()].filter((k) => !described.includes(k))
  const extra = described.filter((k) => !shapes.has(k))
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`src/policy/vocabulary.ts does not match the JSON Schema 2020-12 vocabularies: missing ${missing.join(', ') || 'none'}; unknown ${extra.join(', ') || 'none'}`)
  }

  const keywords: Record<string, AnySchemaObject> = {}
  for (const [name, shape] of shapes) {
    const words = vocabulary[name as keyof typeof vocabulary].description
    // A format must be one Ajv knows (the Kubernetes names and ajv-formats'), so editors can complete it.
    const value = name === 'format' ? formatShape(shape, Object.keys(ajv.formats)) : shape
    keywords[name] = withDescription(words, value)
  }
  for (const keyword of customKeywords) {
    if (keyword.keyword in keywords) throw new Error(`custom keyword ${keyword.keyword} shadows a JSON Schema keyword`)
    keywords[keyword.keyword] = withDescription(keyword.description, keyword.metaSchema)
  }

  return {
    $schema: dialect,
    $id: metaSchemaId,
    title: 'endpoint-guard policy',
    description:
      'One endpoint-guard policy: what it matches, what it does, and the JSON Schema an object must satisfy. Point a policy file\'s "$schema" here for completion and checking in editors. Generated by `npm run schemas` from the keywords endpoint-guard registers: do not edit.',
    type: 'object',
    required: ['id', 'description', 'action', 'match', 'schema'],
    additionalProperties: false,
    properties: envelope(),
    $defs: {
      labelSelector,
      schema: {
        title: schemaNodeTitle,
        description:
          'A JSON Schema 2020-12 node with endpoint-guard\'s custom keywords. Only the keywords listed here are allowed: any other (a misspelling) is an error.',
        type: ['object', 'boolean'],
        additionalProperties: false,
        properties: keywords,
      },
      dataReference: dataReferenceSchema,
      ...defs,
    },
  }
}
