// What an operator sets for a safe rollout: include selectors beside the exclusions, the load-balancer controllers
// (the policy's allowed writers and a matchCondition, both from one value), monitor mode, and the scheduled audit.
// CEL expressions are evaluated on the requests the API server would send, so a typo fails here, not in a cluster.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { evaluate } from '@marcbachmann/cel-js'
import t from 'tap'
import { compilePolicies } from '../../src/policy/compile.js'
import { readMetaSchema } from '../../src/policy-files/read.js'
import { bundledPoliciesDir, jsonFiles } from './support/files.js'
import { all, chartRenderer, defaultRelease, get, one, type Manifest, type RenderOptions, type TapTest } from './support/render.js'

// Skipped, with the reason, when this machine has no renderer (as every chart test).
const chart = chartRenderer()

/** Renders with values given as an object (written to a values file: --set only takes scalars). */
function renderWith(t: TapTest, values: unknown, options: RenderOptions = {}): Manifest[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'endpoint-guard-rollout-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'values.yaml')
  writeFileSync(file, JSON.stringify(values))
  return chart.render({ ...options, valuesFiles: [file] })
}

const mainEntry = (manifests: Manifest[], kind: string): Record<string, unknown> => {
  const hooks = get(one(manifests, kind), 'webhooks') as Record<string, unknown>[]
  return hooks.find((h) => !String(h['name']).startsWith('namespaces.')) ?? {}
}
const condition = (hook: Record<string, unknown>, name: string): string | undefined =>
  (hook['matchConditions'] as Record<string, string>[] | undefined)?.find((c) => c['name'] === name)?.['expression']
const kinds = ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']

const metallb = 'system:serviceaccount:metallb-system:controller'
const builtIn = 'system:serviceaccount:kube-system:service-controller'

t.test('failurePolicy: validating Fail and mutating Ignore by default, each settable', { skip: chart.skip }, async (t) => {
  const defaults = chart.render()
  t.equal(mainEntry(defaults, kinds[0] as string)['failurePolicy'], 'Fail')
  t.equal(mainEntry(defaults, kinds[1] as string)['failurePolicy'], 'Ignore')
  const flipped = renderWith(t, { webhook: { validating: { failurePolicy: 'Ignore' }, mutating: { failurePolicy: 'Fail' } } })
  t.equal(mainEntry(flipped, kinds[0] as string)['failurePolicy'], 'Ignore')
  t.equal(mainEntry(flipped, kinds[1] as string)['failurePolicy'], 'Fail')
  const namespaces = (get(one(flipped, kinds[0] as string), 'webhooks') as Record<string, unknown>[]).find((h) => String(h['name']).startsWith('namespaces.'))
  t.equal(namespaces?.['failurePolicy'], 'Ignore', 'the Namespace entry follows the validating webhook')
})

t.test('include selectors narrow the rollout; the exclusions stay', { skip: chart.skip }, async (t) => {
  const include = { key: 'endpoint-guard.io/rollout', operator: 'In', values: ['canary'] }
  const manifests = renderWith(t, {
    webhook: {
      namespaceSelector: { matchLabels: { team: 'payments' }, matchExpressions: [include] },
      objectSelector: { matchExpressions: [{ key: 'guard', operator: 'NotIn', values: ['off'] }] },
    },
  })
  for (const kind of kinds) {
    const hook = mainEntry(manifests, kind)
    t.same(get(hook, 'namespaceSelector', 'matchLabels'), { team: 'payments' }, `${kind}: matchLabels`)
    const expressions = get(hook, 'namespaceSelector', 'matchExpressions') as Record<string, unknown>[]
    t.same(expressions.map((e) => e['key']), ['endpoint-guard.io/ignore', 'kubernetes.io/metadata.name', 'endpoint-guard.io/rollout'], `${kind}: exclusions, then the include`)
    t.same(expressions[1]?.['values'], [defaultRelease.namespace, 'kube-system'], `${kind}: release namespace and kube-system still excluded`)
    t.same(expressions[2], include)
    t.same(get(hook, 'objectSelector'), { matchExpressions: [{ key: 'guard', operator: 'NotIn', values: ['off'] }] }, `${kind}: objectSelector`)
  }
  const namespaces = (get(one(manifests, kinds[0] as string), 'webhooks') as Record<string, unknown>[]).find((h) => String(h['name']).startsWith('namespaces.'))
  t.notOk(namespaces && ('namespaceSelector' in namespaces || 'objectSelector' in namespaces), 'the Namespace entry takes no include selector')
  for (const kind of kinds) {
    const hook = mainEntry(chart.render(), kind)
    t.notOk('objectSelector' in hook, `${kind}: no objectSelector by default`)
    t.notOk(get(hook, 'namespaceSelector', 'matchLabels'), `${kind}: no matchLabels by default`)
  }
})

type Request = { resource: { resource: string }; subResource: string; userInfo: { username: string } }
const request = (resource: string, subResource: string, username: string): { request: Request } => ({
  request: { resource: { resource }, subResource, userInfo: { username } },
})

t.test('load-balancer controllers skip the webhook for services/status only', { skip: chart.skip }, async (t) => {
  const manifests = renderWith(t, { loadBalancerControllers: [builtIn, metallb] })
  for (const kind of kinds) {
    const expression = condition(mainEntry(manifests, kind), 'skip-load-balancer-controllers-status') ?? ''
    t.ok(expression, `${kind}: the condition is rendered`)
    const called = (resource: string, sub: string, user: string): unknown => evaluate(expression, request(resource, sub, user))
    t.equal(called('services', 'status', metallb), false, 'MetalLB status update: not sent')
    t.equal(called('services', 'status', builtIn), false, 'built-in controller status update: not sent')
    t.equal(called('services', '', metallb), true, 'MetalLB writing a Service spec: still sent')
    t.equal(called('endpointslices', '', metallb), true, 'MetalLB writing a slice: still sent')
    t.equal(called('services', 'status', 'mallory'), true, 'anyone else updating status: sent (service-status-ingress decides)')
  }
  for (const kind of kinds) {
    t.equal(condition(mainEntry(renderWith(t, { loadBalancerControllers: [] }), kind), 'skip-load-balancer-controllers-status'), undefined, `${kind}: none configured, no condition`)
    t.equal(mainEntry(chart.render({ kubeVersion: '1.29.0' }), kind)['matchConditions'], undefined, `${kind}: before 1.30, none`)
  }
})

t.test('loadBalancerControllers become the allowed writers of service-status-ingress in the ConfigMap', { skip: chart.skip }, async (t) => {
  const file = 'service-status-ingress.json'
  const bundled = jsonFiles(bundledPoliciesDir).get(file) ?? ''
  const data = (manifests: Manifest[]) => get(one(manifests, 'ConfigMap'), 'data') as Record<string, string>
  t.equal(data(chart.render())[file], bundled, 'the default is the bundled file, byte for byte')
  const rendered = data(renderWith(t, { loadBalancerControllers: [builtIn, metallb] }))[file] ?? ''
  const policy = JSON.parse(rendered) as { exclude: { users: string[] }; schema: unknown }
  t.same(policy.exclude.users, [builtIn, metallb])
  t.same(policy.schema, (JSON.parse(bundled) as { schema: unknown }).schema, 'the rule itself is unchanged')
  const set = compilePolicies([{ file, text: rendered, layer: 0 }], await readMetaSchema(), 'chart')
  t.same(set.policies.map((p) => p.id), ['service-status-ingress'], 'the rewritten file loads as a policy')
  const replaced = data(renderWith(t, { loadBalancerControllers: [metallb], policies: { extra: { [file]: '{"id":"mine"}' } } }))[file]
  t.equal(replaced, '{"id":"mine"}', 'a replacement from policies.extra wins as written')
})

t.test('enforcement reaches the server flags', { skip: chart.skip }, async (t) => {
  const args = (manifests: Manifest[]) => get(one(manifests, 'Deployment'), 'spec', 'template', 'spec', 'containers', 0, 'args') as string[]
  t.ok(args(chart.render()).includes('--enforcement=deny'), 'deny by default')
  t.ok(args(chart.render({ set: { enforcement: 'warn' } })).includes('--enforcement=warn'), 'warn: monitor mode')
})

t.test('the audit CronJob: off by default; when on, its own account, read-only RBAC plus its reports, the same hardened pod', { skip: chart.skip }, async (t) => {
  t.equal(all(chart.render(), 'CronJob').length, 0, 'no CronJob by default')
  const manifests = chart.render({ set: { 'audit.enabled': true, 'audit.schedule': '*/30 * * * *' } })
  const cron = one(manifests, 'CronJob')
  t.equal(get(cron, 'spec', 'schedule'), '*/30 * * * *')
  t.equal(get(cron, 'spec', 'concurrencyPolicy'), 'Forbid')
  const pod = get(cron, 'spec', 'jobTemplate', 'spec', 'template', 'spec') as Record<string, unknown>
  const container = get(pod, 'containers', 0) as Record<string, unknown>
  t.same((container['args'] as string[]).slice(0, 2), ['audit', '--write-reports'])
  t.ok((container['args'] as string[]).includes('--policies=/etc/endpoint-guard/policies'), 'the policies the webhook reads')
  const webhookPod = get(one(manifests, 'Deployment'), 'spec', 'template', 'spec') as Record<string, unknown>
  t.same(pod['securityContext'], webhookPod['securityContext'], 'pod security context as the webhook')
  t.same(container['securityContext'], get(webhookPod, 'containers', 0, 'securityContext'), 'container security context as the webhook')
  t.equal(container['image'], get(webhookPod, 'containers', 0, 'image'), 'the same image')
  const account = one(manifests, 'ServiceAccount', String(pod['serviceAccountName']))
  t.not(account.metadata.name, webhookPod['serviceAccountName'], 'an account of its own')
  const role = all(manifests, 'ClusterRole').find((r) => r.metadata.name === account.metadata.name)
  const rules = (role?.['rules'] ?? []) as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>
  const verbs = (group: string, resource: string) => rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs)
  for (const resource of ['services', 'endpoints', 'pods', 'namespaces']) t.same(verbs('', resource), ['get', 'list'], `reads ${resource}`)
  t.same(verbs('discovery.k8s.io', 'endpointslices'), ['get', 'list'])
  t.same(verbs('wgpolicyk8s.io', 'policyreports').sort(), ['create', 'delete', 'get', 'list', 'patch'])
  t.notOk(rules.some((r) => r.verbs.includes('*') || r.resources.includes('*')), 'no wildcards')
  const binding = all(manifests, 'ClusterRoleBinding').find((b) => get(b, 'roleRef', 'name') === role?.metadata.name)
  t.same(get(binding, 'subjects'), [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: defaultRelease.namespace }])
})
