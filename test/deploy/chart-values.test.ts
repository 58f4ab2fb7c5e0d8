// values.schema.json (draft-07, as Helm reads it) accepts the defaults and every CI scenario, and rejects typos;
// values.yaml documents every value where it stands.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import t from 'tap'
import { isMap, isPair, isScalar, isSeq, parseDocument, type Pair } from 'yaml'
import { readJsonFile, readYamlFile } from './support/files.js'
import { chartDir, scenarioFiles } from './support/render.js'

const valuesFile = path.join(chartDir, 'values.yaml')
const ajv = new Ajv({ strict: true, allErrors: true })
const validate = ajv.compile(readJsonFile(path.join(chartDir, 'values.schema.json')) as object)
const defaults = readYamlFile(valuesFile) as Record<string, unknown>

/** Helm validates the merged values; a CI file is merged over the defaults (maps deep-merged). */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value)
  return out
}
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
const errors = (): string => ajv.errorsText(validate.errors)

t.test('the defaults are valid', async (t) => {
  t.ok(validate(defaults), errors())
})

t.test('every CI scenario is valid on its own and merged over the defaults', async (t) => {
  const files = scenarioFiles()
  t.ok(files.length >= 4, 'several scenarios')
  for (const file of files) {
    const values = readYamlFile(file)
    t.ok(validate(values), `${path.basename(file)}: ${errors()}`)
    t.ok(validate(merge(defaults, values)), `${path.basename(file)} merged: ${errors()}`)
  }
})

t.test('typos and bad values are rejected', async (t) => {
  const cases: [string, unknown][] = [
    ['a typo in a top-level key', { replicaCuont: 3 }],
    ['a typo in a nested key', { webhook: { timeoutSecond: 5 } }],
    ['an unknown key under tls', { tls: { certmanager: { enabled: true } } }],
    ['a single replica', { replicaCount: 1 }],
    ['an unknown failurePolicy', { webhook: { validating: { failurePolicy: 'fail' } } }],
    ['the single failurePolicy of earlier versions', { webhook: { failurePolicy: 'Fail' } }],
    ['an unknown enforcement', { enforcement: 'block' }],
    ['a load-balancer controller with a quote (it is quoted into CEL)', { loadBalancerControllers: ["system:serviceaccount:x:y'z"] }],
    ['an audit schedule that is not cron', { audit: { schedule: 'hourly' } }],
    ['an unknown audit key', { audit: { enable: true } }],
    ['a namespaceSelector with an unknown operator', { webhook: { namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Is' }] } } }],
    ['a timeout over the API server maximum', { webhook: { timeoutSeconds: 31 } }],
    ['a policy file name without .json', { policies: { extra: { 'mine.yaml': {} } } }],
    ['a policy that is neither object nor text', { policies: { extra: { 'mine.json': 3 } } }],
    ['a quote in a skipped user (it would break the CEL expression)', { webhook: { matchConditions: { skipUsers: ["a'b"] } } }],
    ['a bad excluded namespace', { webhook: { excludedNamespaces: ['Kube_System'] } }],
  ]
  for (const [what, values] of cases) t.notOk(validate(merge(defaults, values)), `rejects ${what}`)
  t.notOk(validate(merge(defaults, { replicaCuont: 3 })))
  t.match(validate.errors, [{ keyword: 'additionalProperties', params: { additionalProperty: 'replicaCuont' } }], 'names the unknown key')
})

t.test('values.yaml documents every value where it stands', async (t) => {
  const doc = parseDocument(readFileSync(valuesFile, 'utf8'))
  const undocumented: string[] = []
  // A value needs a comment right above it. A map documented as a whole with a helm-docs "# --" comment
  // (a Kubernetes object such as resources) is done; otherwise its children carry the comments.
  const walk = (node: unknown, prefix: string): void => {
    if (!isMap(node)) return
    node.items.forEach((pair: Pair, index) => {
      if (!isPair(pair) || !isScalar(pair.key)) return
      const name = `${prefix}${String(pair.key.value)}`
      const value = pair.value
      const comment = pair.key.commentBefore ?? (index === 0 ? node.commentBefore : undefined)
      if (isMap(value) && value.items.length > 0 && !comment?.trim().startsWith('--')) return walk(value, `${name}.`)
      if (!comment?.trim() && !(isSeq(value) && value.commentBefore)) undocumented.push(name)
    })
  }
  walk(doc.contents, '')
  t.same(undocumented, [], 'every value has a comment above it')
})
