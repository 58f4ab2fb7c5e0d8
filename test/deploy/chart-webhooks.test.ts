// The two webhook configurations: what the API server sends, when, and how it trusts the server.
import { X509Certificate } from 'node:crypto'
import path from 'node:path'
import t from 'tap'
import { all, chartDir, chartRenderer, defaultRelease, get, one, scenarioFiles, type Manifest, type TapTest } from './support/render.js'

const controllers = [
  'system:serviceaccount:kube-system:endpointslice-controller',
  'system:serviceaccount:kube-system:endpointslicemirroring-controller',
  'system:kube-controller-manager',
  'system:serviceaccount:kube-system:endpoint-controller',
  'system:apiserver',
]
const scenario = (name: string): string => path.join(chartDir, 'ci', `${name}-values.yaml`)

// Rendering tests take { skip: chart.skip }: skipped, with the reason, when this machine has no renderer.
const chart = chartRenderer()
const { render } = chart

const namespaceEntry = 'namespaces.validate.endpoint-guard.io'

/** The webhook entries of a configuration, by name. */
function entries(config: Manifest): Map<string, Record<string, unknown>> {
  const list = get(config, 'webhooks')
  if (!Array.isArray(list)) throw new Error(`${config.kind} has no webhooks`)
  return new Map((list as Record<string, unknown>[]).map((hook) => [String(hook['name']), hook]))
}

/**
 * The main webhook entry of each configuration the render contains (Services, EndpointSlices, Endpoints); the
 * validating one may hold the Namespace entry besides, and nothing else.
 */
function webhooks(manifests: Manifest[]): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>()
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    for (const config of all(manifests, kind)) {
      const hooks = entries(config)
      const others = [...hooks.keys()].filter((name) => name !== namespaceEntry || kind !== 'ValidatingWebhookConfiguration')
      if (others.length !== 1) throw new Error(`${kind} should hold exactly one webhook besides the Namespace one: ${others.join(', ')}`)
      found.set(kind, hooks.get(others[0] as string) as Record<string, unknown>)
    }
  }
  return found
}

function assertCommon(t: TapTest, hook: Record<string, unknown>, expect: { failurePolicy: string; timeoutSeconds: number; excluded: string[]; namespace: string }): void {
  t.same(hook['admissionReviewVersions'], ['v1'])
  t.equal(hook['sideEffects'], 'None')
  t.equal(hook['failurePolicy'], expect.failurePolicy)
  t.equal(hook['matchPolicy'], 'Equivalent')
  t.equal(hook['timeoutSeconds'], expect.timeoutSeconds)
  t.ok((hook['timeoutSeconds'] as number) <= 10, 'a short timeout: it adds to every guarded write')
  // Flatten the rules into group/resource pairs and check each is registered for exactly CREATE and UPDATE.
  const rules = hook['rules'] as Record<string, string[]>[]
  const registered: string[] = []
  for (const rule of rules) {
    t.same([...(rule['operations'] ?? [])].sort(), ['CREATE', 'UPDATE'], 'CREATE and UPDATE only')
    t.same(rule['apiVersions'], ['v1'])
    t.equal(rule['scope'], 'Namespaced')
    for (const group of rule['apiGroups'] ?? []) for (const resource of rule['resources'] ?? []) registered.push(`${group}/${resource}`)
  }
  t.same(registered.sort(), ['/endpoints', '/services', '/services/status', 'discovery.k8s.io/endpointslices'])
  const service = get(hook, 'clientConfig', 'service') as Record<string, unknown>
  t.equal(service['namespace'], expect.namespace)
  t.equal(service['port'], 443)
  const expressions = get(hook, 'namespaceSelector', 'matchExpressions') as Record<string, unknown>[]
  t.same(expressions.find((e) => e['key'] === 'endpoint-guard.io/ignore'), { key: 'endpoint-guard.io/ignore', operator: 'NotIn', values: ['true'] }, 'namespace opt-out label')
  const byName = expressions.find((e) => e['key'] === 'kubernetes.io/metadata.name')
  t.equal(byName?.['operator'], 'NotIn')
  t.same([...((byName?.['values'] as string[]) ?? [])].sort(), [...expect.excluded].sort(), 'excluded namespaces')
}

t.test('default render: both configurations guard the four resources; the validating one fails closed', { skip: chart.skip }, async (t) => {
  const manifests = render()
  const hooks = webhooks(manifests)
  t.same([...hooks.keys()].sort(), ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'])
  for (const [kind, hook] of hooks) {
    t.test(kind, async (t) => {
      // The validating webhook is the guard and fails closed; the mutating one only fills defaults.
      const failurePolicy = kind.startsWith('Validating') ? 'Fail' : 'Ignore'
      assertCommon(t, hook, { failurePolicy, timeoutSeconds: 5, excluded: ['endpoint-guard', 'kube-system'], namespace: defaultRelease.namespace })
      const service = get(hook, 'clientConfig', 'service') as Record<string, unknown>
      t.equal(service['name'], one(manifests, 'Service').metadata.name, 'calls the chart Service')
      t.equal(service['path'], kind.startsWith('Validating') ? '/validate' : '/mutate')
    })
  }
  t.equal(hooks.get('MutatingWebhookConfiguration')?.['reinvocationPolicy'], 'Never')
  t.notOk('reinvocationPolicy' in (hooks.get('ValidatingWebhookConfiguration') ?? {}), 'reinvocationPolicy is mutating-only')
})

t.test('matchConditions skip the Kubernetes controllers on 1.30+ only, and can be switched off', { skip: chart.skip }, async (t) => {
  for (const [kubeVersion, expected] of [['1.27.0', false], ['1.29.9', false], ['1.30.0', true], ['1.31.0', true], ['1.33.1-eks-1a2b3c', true]] as const) {
    for (const [kind, hook] of webhooks(render({ kubeVersion }))) {
      const conditions = hook['matchConditions'] as Record<string, string>[] | undefined
      if (!expected) {
        t.equal(conditions, undefined, `${kind} on ${kubeVersion}: no matchConditions`)
        continue
      }
      const expression = conditions?.find((c) => c['name'] === 'skip-kubernetes-controllers')?.['expression'] ?? ''
      t.match(expression, /^!\(request\.userInfo\.username in \[.*\]\)$/, 'a negated CEL membership test')
      const users = [...expression.matchAll(/'([^']+)'/g)].map((m) => m[1])
      t.same(users, controllers, `${kind} on ${kubeVersion}: skips exactly the controllers`)
    }
  }
  for (const [kind, hook] of webhooks(render({ valuesFiles: [scenario('no-match-conditions')] }))) {
    t.equal(hook['matchConditions'], undefined, `${kind}: disabled by values`)
  }
})

t.test('self-signed: the caBundle is the CA in the Secret, and that CA signed the serving certificate', { skip: chart.skip }, async (t) => {
  const manifests = render()
  const secret = one(manifests, 'Secret')
  t.equal(secret['type'], 'kubernetes.io/tls')
  const data = secret['data'] as Record<string, string>
  const decode = (key: string): string => Buffer.from(data[key] ?? '', 'base64').toString('utf8')
  const ca = new X509Certificate(decode('ca.crt'))
  const leaf = new X509Certificate(decode('tls.crt'))
  t.ok(ca.ca, 'ca.crt is a CA')
  t.ok(leaf.verify(ca.publicKey), 'tls.crt is signed by ca.crt')
  t.ok(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(decode('tls.key'))), 'tls.key matches tls.crt')
  const service = one(manifests, 'Service').metadata.name
  const ns = defaultRelease.namespace
  for (const name of [`${service}.${ns}.svc`, `${service}.${ns}.svc.cluster.local`]) {
    t.ok(leaf.checkHost(name), `serving certificate valid for ${name}`)
  }
  for (const [kind, hook] of webhooks(manifests)) {
    t.equal(get(hook, 'clientConfig', 'caBundle'), data['ca.crt'], `${kind} caBundle is the Secret's ca.crt`)
  }
  for (const config of [...all(manifests, 'ValidatingWebhookConfiguration'), ...all(manifests, 'MutatingWebhookConfiguration')]) {
    t.notOk(config.metadata.annotations?.['cert-manager.io/inject-ca-from'], `${config.kind}: no cert-manager annotation`)
  }
  t.equal(all(manifests, 'Certificate').length + all(manifests, 'Issuer').length, 0, 'no cert-manager resources')
  const tlsVolume = (get(one(manifests, 'Deployment'), 'spec', 'template', 'spec', 'volumes') as Record<string, unknown>[]).find((v) => v['name'] === 'tls')
  t.equal(get(tlsVolume, 'secret', 'secretName'), secret.metadata.name, 'the pod mounts this Secret')
})

t.test('cert-manager: Certificate from the chart CA, caBundle injected by annotation', { skip: chart.skip }, async (t) => {
  const manifests = render({ valuesFiles: [scenario('cert-manager')] })
  t.equal(all(manifests, 'Secret').length, 0, 'no chart-generated Secret')
  const certificates = all(manifests, 'Certificate')
  const serving = certificates.find((c) => get(c, 'spec', 'isCA') !== true)
  const caCert = certificates.find((c) => get(c, 'spec', 'isCA') === true)
  t.ok(serving && caCert, 'a CA Certificate and a serving Certificate')
  const issuers = all(manifests, 'Issuer')
  t.equal(issuers.length, 2, 'a self-signed bootstrap Issuer and a CA Issuer')
  const caIssuer = issuers.find((i) => get(i, 'spec', 'ca', 'secretName') === get(caCert, 'spec', 'secretName'))
  t.ok(caIssuer, 'the CA Issuer uses the CA Certificate secret')
  t.same(get(serving, 'spec', 'issuerRef'), { name: caIssuer?.metadata.name, kind: 'Issuer', group: 'cert-manager.io' })
  const service = one(manifests, 'Service').metadata.name
  t.ok((get(serving, 'spec', 'dnsNames') as string[]).includes(`${service}.${defaultRelease.namespace}.svc`), 'dnsNames has the Service DNS name')
  const tlsVolume = (get(one(manifests, 'Deployment'), 'spec', 'template', 'spec', 'volumes') as Record<string, unknown>[]).find((v) => v['name'] === 'tls')
  t.equal(get(tlsVolume, 'secret', 'secretName'), get(serving, 'spec', 'secretName'), 'the pod mounts the Certificate secret')
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
    const config = one(manifests, kind)
    t.equal(config.metadata.annotations?.['cert-manager.io/inject-ca-from'], `${defaultRelease.namespace}/${serving?.metadata.name}`, `${kind} annotation`)
  }
  for (const [kind, hook] of webhooks(manifests)) t.equal(get(hook, 'clientConfig', 'caBundle'), undefined, `${kind}: no caBundle`)
})

t.test('cert-manager with an existing ClusterIssuer creates no issuers', { skip: chart.skip }, async (t) => {
  const manifests = render({ valuesFiles: [scenario('cert-manager-cluster-issuer')] })
  t.equal(all(manifests, 'Issuer').length, 0)
  const serving = one(manifests, 'Certificate')
  t.same(get(serving, 'spec', 'issuerRef'), { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' })
})

t.test('scaled scenario: values reach both configurations; the mutating one can be turned off', { skip: chart.skip }, async (t) => {
  const manifests = render({ valuesFiles: [scenario('scaled')], namespace: 'guard' })
  const hooks = webhooks(manifests)
  t.same([...hooks.keys()], ['ValidatingWebhookConfiguration'], 'mutating webhook disabled')
  const hook = hooks.get('ValidatingWebhookConfiguration') ?? {}
  assertCommon(t, hook, { failurePolicy: 'Ignore', timeoutSeconds: 10, excluded: ['guard', 'kube-system', 'monitoring'], namespace: 'guard' })
})

t.test('every scenario renders, and its validating webhook fails closed unless it says otherwise', { skip: chart.skip }, async (t) => {
  for (const file of scenarioFiles()) {
    const hooks = webhooks(render({ valuesFiles: [file] }))
    t.ok(hooks.has('ValidatingWebhookConfiguration'), `${path.basename(file)}: validating webhook present`)
    for (const [kind, hook] of hooks) {
      const expected = kind.startsWith('Validating') ? 'Fail' : 'Ignore'
      if (!path.basename(file).startsWith('scaled')) t.equal(hook['failurePolicy'], expected, `${path.basename(file)} ${kind}`)
      t.equal(hook['sideEffects'], 'None')
    }
  }
})
