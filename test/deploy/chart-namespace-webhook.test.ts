// The Namespace entry of the validating webhook (namespace-guard-labels): registered apart from the opt-out
// namespaceSelector, and called, on Kubernetes 1.30+, only when a guarded label changes. Its CEL expression is
// evaluated here on the requests the API server would match, so a typo in it fails a test, not a cluster.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { evaluate } from '@marcbachmann/cel-js'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'
import { all, chartRenderer, defaultRelease, get, one, type Manifest } from './support/render.js'

// Skipped, with the reason, when this machine has no renderer (as every chart test).
const chart = chartRenderer()
const { render } = chart

const entryName = 'namespaces.validate.endpoint-guard.io'

function namespaceEntry(manifests: Manifest[]): Record<string, unknown> | undefined {
  const hooks = get(one(manifests, 'ValidatingWebhookConfiguration'), 'webhooks') as Record<string, unknown>[]
  return hooks.find((h) => h['name'] === entryName)
}

const policy = JSON.parse(readFileSync(path.join(repoRoot, 'schemas/policies/namespace-guard-labels.json'), 'utf8')) as {
  schema: { labelChangesBy: { labels: Record<string, string> } }
}
const policyLabels = Object.keys(policy.schema.labelChangesBy.labels)

t.test('Namespaces are registered in an entry of their own, without the opt-out namespaceSelector', { skip: chart.skip }, async (t) => {
  const manifests = render()
  const hook = namespaceEntry(manifests)
  t.ok(hook, 'the validating configuration has the Namespace entry')
  t.same(hook?.['rules'], [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['CREATE', 'UPDATE'], scope: 'Cluster' }])
  t.notOk(hook !== undefined && 'namespaceSelector' in hook, 'no namespaceSelector: the opt-out label cannot switch this rule off')
  t.notOk(hook !== undefined && 'objectSelector' in hook, 'no objectSelector either')
  t.equal(get(hook, 'clientConfig', 'service', 'path'), '/validate')
  t.equal(get(hook, 'clientConfig', 'service', 'namespace'), defaultRelease.namespace)
  t.equal(hook?.['failurePolicy'], 'Fail')
  t.equal(hook?.['sideEffects'], 'None')
  t.same(hook?.['admissionReviewVersions'], ['v1'])
  const main = (get(one(manifests, 'ValidatingWebhookConfiguration'), 'webhooks') as Record<string, unknown>[]).find((h) => h['name'] !== entryName)
  t.equal(get(hook, 'clientConfig', 'caBundle'), get(main, 'clientConfig', 'caBundle'), 'the same CA as the main entry')
  for (const config of all(manifests, 'MutatingWebhookConfiguration')) {
    const names = (get(config, 'webhooks') as Record<string, unknown>[]).map((h) => h['name'])
    t.notOk(names.includes(entryName), 'no Namespace entry in the mutating configuration: no policy mutates Namespaces')
  }
})

t.test('the chart guards the labels the policy guards', { skip: chart.skip }, async (t) => {
  const values = render()
  const expression = String((namespaceEntry(values)?.['matchConditions'] as Record<string, string>[])[0]?.['expression'])
  const keys = [...(/^\[([^\]]*)\]/.exec(expression)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1])
  t.same(keys, policyLabels, 'webhook.namespaces.guardedLabels is the policy labelChangesBy labels')
})

const ns = (labels?: Record<string, string>) => ({ metadata: labels === undefined ? { name: 'shop' } : { name: 'shop', labels } })

const requests: Array<{ what: string; object: object; oldObject: object | null; called: boolean }> = [
  { what: 'CREATE without labels', object: ns(), oldObject: null, called: false },
  { what: 'CREATE with other labels', object: ns({ team: 'a' }), oldObject: null, called: false },
  { what: 'CREATE with environment', object: ns({ environment: 'production' }), oldObject: null, called: true },
  { what: 'CREATE with the opt-out label', object: ns({ 'endpoint-guard.io/ignore': 'true' }), oldObject: null, called: true },
  { what: 'UPDATE adding the opt-out label', object: ns({ environment: 'production', 'endpoint-guard.io/ignore': 'true' }), oldObject: ns({ environment: 'production' }), called: true },
  { what: 'UPDATE adding an empty opt-out label', object: ns({ 'endpoint-guard.io/ignore': '' }), oldObject: ns(), called: true },
  { what: 'UPDATE removing environment', object: ns({ team: 'a' }), oldObject: ns({ environment: 'production', team: 'a' }), called: true },
  { what: 'UPDATE removing every label', object: ns(), oldObject: ns({ environment: 'production' }), called: true },
  { what: 'UPDATE changing environment', object: ns({ environment: 'staging' }), oldObject: ns({ environment: 'production' }), called: true },
  { what: 'UPDATE changing another label', object: ns({ environment: 'production', team: 'b' }), oldObject: ns({ environment: 'production', team: 'a' }), called: false },
  { what: 'UPDATE changing nothing', object: ns({ environment: 'production' }), oldObject: ns({ environment: 'production' }), called: false },
  { what: 'UPDATE of a namespace without labels', object: ns(), oldObject: ns(), called: false },
]

t.test('matchConditions: the webhook is called exactly when a guarded label differs', { skip: chart.skip }, async (t) => {
  const conditions = namespaceEntry(render({ kubeVersion: '1.31.0' }))?.['matchConditions'] as Record<string, string>[]
  t.equal(conditions.length, 1)
  const expression = conditions[0]?.['expression'] ?? ''
  for (const r of requests) t.equal(evaluate(expression, { object: r.object, oldObject: r.oldObject }), r.called, r.what)
})

t.test('before 1.30, or with matchConditions off, every Namespace write is sent (the policy still decides)', { skip: chart.skip }, async (t) => {
  t.equal(namespaceEntry(render({ kubeVersion: '1.29.9' }))?.['matchConditions'], undefined)
  t.equal(namespaceEntry(render({ set: { 'webhook.matchConditions.enabled': false } }))?.['matchConditions'], undefined)
})

t.test('the Namespace entry can be turned off', { skip: chart.skip }, async (t) => {
  t.equal(namespaceEntry(render({ set: { 'webhook.namespaces.enabled': false } })), undefined)
})
