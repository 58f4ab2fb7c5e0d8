// The policies ConfigMap: the bundled policy files byte for byte, plus what values add, replace or drop.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'
import { bundledPoliciesDir, chartPoliciesDir, jsonFiles, readJsonFile, readYamlFile } from './support/files.js'
import { chartDir, chartRenderer, get, one, type RenderOptions } from './support/render.js'

const bundled = jsonFiles(bundledPoliciesDir)
const syncCommand = 'rm -f charts/endpoint-guard/policies/*.json && cp schemas/policies/*.json charts/endpoint-guard/policies/'

// Rendering tests take { skip: chart.skip }: skipped, with the reason, when this machine has no renderer.
const chart = chartRenderer()
const { render } = chart

function configMapData(options: RenderOptions = {}): Record<string, string> {
  const data = get(one(render(options), 'ConfigMap'), 'data') ?? {}
  return data as Record<string, string>
}

t.test('the chart ships an identical copy of schemas/policies (Helm cannot read outside the chart)', async (t) => {
  const copy = jsonFiles(chartPoliciesDir)
  t.same([...copy.keys()], [...bundled.keys()], `same files; to fix: ${syncCommand}`)
  for (const [name, text] of bundled) t.equal(copy.get(name), text, `${name} is byte-equal; to fix: ${syncCommand}`)
})

t.test('default ConfigMap holds exactly the bundled policies, byte for byte', { skip: chart.skip }, async (t) => {
  const data = configMapData()
  t.same(Object.keys(data).sort(), [...bundled.keys()].sort())
  for (const [name, text] of bundled) {
    t.equal(data[name], text, `${name} is byte-equal`)
    t.doesNotThrow(() => void JSON.parse(data[name] ?? ''), `${name} is JSON`)
  }
})

t.test('extra, replaced and excluded policies from values', { skip: chart.skip }, async (t) => {
  const file = path.join(chartDir, 'ci/extra-policy-values.yaml')
  const policies = get(readYamlFile(file), 'policies') as { extra: Record<string, unknown>; exclude: string[] }
  const data = configMapData({ valuesFiles: [file] })
  const expected = new Set([...bundled.keys()].filter((n) => !policies.exclude.includes(n)))
  for (const name of Object.keys(policies.extra)) expected.add(name)
  t.same(Object.keys(data).sort(), [...expected].sort(), 'bundled minus excluded plus extra')
  for (const [name, value] of Object.entries(policies.extra)) {
    const rendered = data[name] ?? ''
    if (typeof value === 'string') t.equal(rendered, value, `${name}: JSON text kept as written`)
    else t.same(JSON.parse(rendered), value, `${name}: object rendered as JSON`)
  }
  for (const [name, text] of bundled) {
    if (!(name in policies.extra) && !policies.exclude.includes(name)) t.equal(data[name], text, `${name} untouched`)
  }
})

t.test('bundled: false leaves only the extra policies; nothing at all is an empty ConfigMap', { skip: chart.skip }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'endpoint-guard-chart-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const values = path.join(dir, 'values.yaml')
  writeFileSync(values, 'policies:\n  bundled: false\n  extra:\n    mine.json: {id: mine}\n')
  t.same(configMapData({ valuesFiles: [values] }), { 'mine.json': '{\n  "id": "mine"\n}' })
  t.same(configMapData({ set: { 'policies.bundled': false } }), {})
})

t.test('the example policies in the CI values are valid policies', { skip: chart.skip }, async (t) => {
  const metaSchema = path.join(repoRoot, 'schemas/policy.schema.json')
  if (!existsSync(metaSchema)) {
    t.fail('schemas/policy.schema.json is missing')
    return
  }
  // strict: false: the meta-schema is the server's; this only checks the examples' shape.
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(readJsonFile(metaSchema) as object)
  const data = configMapData({ valuesFiles: [path.join(chartDir, 'ci/extra-policy-values.yaml')] })
  for (const [name, text] of Object.entries(data)) {
    t.ok(validate(JSON.parse(text)), `${name}: ${JSON.stringify(validate.errors ?? [])}`)
  }
})
