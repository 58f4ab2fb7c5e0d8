// schemas/policy.schema.json is generated from the keywords endpoint-guard registers (src/policy/meta-schema.ts);
// these tests fail when the shipped file is out of date, when a keyword Ajv runs is missing from it, and when it
// lets an editor accept what the loader refuses.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { bundledPaths } from '../../src/paths.js'
import { createAjv, customKeywords } from '../../src/policy/ajv.js'
import { policyMetaSchema } from '../../src/policy/meta-schema.js'
import { reportingKeywords, vocabulary } from '../../src/policy/vocabulary.js'
import { readJson } from '../support/fixtures.js'

interface Node {
  description?: string
  properties?: Record<string, Node>
  [key: string]: unknown
}

const shipped = readJson<Node & { $defs: Record<string, Node> }>(bundledPaths.metaSchema)
const schemaNode = shipped.$defs['schema'] as Node
const keywords = schemaNode.properties ?? {}

t.test('the shipped meta-schema is the generated one (npm run schemas rewrites it)', async (t) => {
  t.same(shipped, policyMetaSchema(), `${path.relative(bundledPaths.packageRoot, bundledPaths.metaSchema)} is out of date: run npm run schemas`)
})

t.test('every keyword Ajv runs for policies is in the meta-schema, or refused on purpose', async (t) => {
  const ajv = createAjv()
  // Kept by Ajv for older drafts and OpenAPI; the 2020-12 vocabularies replace them ($defs, dependentRequired,
  // dependentSchemas, $dynamicRef, $id), and $async would make validation return a promise the engine cannot use.
  const refused = ['$async', 'definitions', 'dependencies', '$recursiveAnchor', '$recursiveRef', 'id', 'nullable']
  t.notOk('formatMaximum' in ajv.RULES.keywords, 'ajv-formats adds formats only, not its formatMaximum/formatMinimum keywords')
  for (const name of Object.keys(ajv.RULES.keywords)) {
    if (refused.includes(name)) t.notOk(name in keywords, `${name} is refused`)
    else t.ok(name in keywords, `${name} is in the meta-schema`)
  }
  for (const keyword of customKeywords) t.ok(keyword.keyword in keywords, `custom keyword ${keyword.keyword} is in the meta-schema`)
  t.same(Object.keys(keywords), [...Object.keys(vocabulary), ...customKeywords.map((k) => k.keyword)], 'the standard vocabulary, then the custom keywords, in order')
})

t.test('editors get a description for every keyword and for match, exclude and the selectors', async (t) => {
  for (const [name, node] of Object.entries(keywords)) t.ok((node.description ?? '').length > 20, `${name} is described`)
  const envelope = shipped.properties ?? {}
  for (const name of ['id', 'description', 'action', 'match', 'exclude', 'schema']) t.ok(envelope[name]?.description, `${name} is described`)
  for (const [name, node] of Object.entries(envelope['match']?.properties ?? {})) t.ok(node.description, `match.${name} is described`)
  for (const [name, node] of Object.entries(envelope['exclude']?.properties ?? {})) t.ok(node.description, `exclude.${name} is described`)
  const selector = shipped.$defs['labelSelector'] as Node
  t.ok(selector.description, 'the label selector is described')
  for (const [name, node] of Object.entries(selector.properties ?? {})) t.ok(node.description, `labelSelector.${name} is described`)
})

t.test('self-contained: every $ref is local, so an editor needs no network', async (t) => {
  const refs: string[] = []
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk)
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') refs.push(value)
        else walk(value)
      }
    }
  }
  walk(shipped)
  t.ok(refs.length > 10)
  for (const ref of new Set(refs)) {
    t.match(ref, /^#\/\$defs\/[A-Za-z0-9]+$/, `${ref} is local`)
    t.ok(ref.slice('#/$defs/'.length) in shipped.$defs, `${ref} is defined`)
  }
})

t.test('the meta-schema is valid JSON Schema 2020-12 and closed: an editor flags what the loader refuses', async (t) => {
  const ajv = createAjv()
  t.ok(ajv.validateSchema(shipped), 'valid against the 2020-12 meta-schema', { errors: ajv.errors })
  const check = ajv.compile(shipped)
  const policy = (schema: unknown) => ({ id: 'p', description: 'A policy.', action: 'deny', match: { kinds: ['Service'] }, schema })
  const refusals: Array<[string, unknown, string, string]> = [
    ['a misspelt standard keyword', { type: 'object', requried: ['spec'] }, '/schema', 'requried'],
    ['a misspelt custom keyword, deep down', { properties: { spec: { items: { ipInCidr: [] } } } }, '/schema/properties/spec/items', 'ipInCidr'],
    ['a keyword kept only for older drafts', { definitions: {} }, '/schema', 'definitions'],
    ['$async', { $async: true }, '/schema', '$async'],
  ]
  const has = (want: Record<string, unknown>) => (check.errors ?? []).some((e) => Object.entries(want).every(([k, v]) => JSON.stringify((e as unknown as Record<string, unknown>)[k]) === JSON.stringify(v)))
  for (const [what, schema, instancePath, name] of refusals) {
    t.notOk(check(policy(schema)), `${what} is refused`)
    t.ok(has({ keyword: 'additionalProperties', instancePath, params: { additionalProperty: name } }), `${what}: at ${instancePath}`, { errors: check.errors })
  }
  t.notOk(check(policy({ ipInCidrs: [], message: { ipInCidr: 'x' } })), 'a message naming no keyword is refused')
  t.ok(has({ keyword: 'enum', instancePath: '/schema/message', propertyName: 'ipInCidr' }), 'at the message, naming the key', { errors: check.errors })
  t.notOk(check(policy({ format: 'dns-label' })), 'an unknown format is refused')
  t.ok(check(policy({ properties: { ns: { const: { $data: '/metadata/namespace' } } }, format: { $data: '1/f' } })), '$data references are accepted')
  t.ok(check(policy({ properties: { a: true, b: false }, not: { required: ['c'] } })), 'boolean subschemas are accepted')
  t.notOk(check(policy(true)), 'the root schema is an object')
})

t.test('a message may name exactly the keywords that report failures of their own', async (t) => {
  const message = keywords['message'] as { anyOf: Array<{ propertyNames?: { enum: string[] } }> }
  const named = message.anyOf.find((b) => b.propertyNames !== undefined)?.propertyNames?.enum ?? []
  const checks = customKeywords.map((k) => k.keyword).filter((k) => k !== 'message')
  t.same(named, [...reportingKeywords, ...checks])
  for (const name of ['required', 'pattern', 'not', 'enum', 'maximum', 'ipInCidrs', 'uniqueBy', 'requestUserIn']) t.ok(named.includes(name), name)
  for (const name of ['if', 'then', 'allOf', 'properties', '$ref', 'message', 'description']) t.notOk(named.includes(name), `not ${name}`)
})

t.test("the README's table of reason types is the vocabulary's", async (t) => {
  const readme = readFileSync(path.join(bundledPaths.packageRoot, 'README.md'), 'utf8')
  const lines = readme.slice(readme.indexOf('| JSON Schema keyword | type |')).split('\n')
  const table = lines.slice(2, lines.findIndex((l) => !l.startsWith('|')))
  const documented = new Map<string, string>()
  for (const row of table) {
    const [keywordsCell, type] = row.split('|').slice(1, 3).map((c) => c.trim())
    for (const m of (keywordsCell ?? '').matchAll(/`([^`]+)`/g)) documented.set(m[1] ?? '', type ?? '')
  }
  const reasons = Object.entries(vocabulary as Record<string, { reason?: string }>).filter(([, k]) => k.reason !== undefined)
  t.ok(reasons.length > 10)
  for (const [name, k] of reasons) t.equal(documented.get(name), k.reason, `${name}: ${k.reason}`)
  t.same([...documented.keys()].sort(), reasons.map(([name]) => name).sort(), 'no keyword documented that reports nothing')
})
