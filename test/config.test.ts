import path from 'node:path'
import t from 'tap'
import { parseConfig } from '../src/config.js'
import { bundledPaths } from '../src/paths.js'

t.test('flags over environment over defaults, for every command from one table', async (t) => {
  const serve = parseConfig('serve', { port: '9443' }, { ENDPOINT_GUARD_PORT: '7443', ENDPOINT_GUARD_PROBE_PORT: '7080' })
  t.equal(serve.port, 9443, 'the flag wins')
  t.equal(serve.probePort, 7080, 'then the environment')
  t.equal(serve.maxConcurrent, 256, 'then the default')
  t.ok(Object.isFrozen(serve))
  t.same(serve.policies, [bundledPaths.policies], '"bundled" is the default policy layer')

  const check = parseConfig('check', { policies: ['bundled', 'team'], output: 'json', strict: true }, {})
  t.same(check.policies, [bundledPaths.policies, path.resolve('team')], 'layers in order, "bundled" resolved')
  t.equal(check.output, 'json')
  t.equal(check.strict, true)
  t.equal(check.defaultNamespace, 'default')
  t.equal(parseConfig('check', {}, { ENDPOINT_GUARD_STRICT: 'true' }).strict, true, 'a boolean from the environment')
  t.throws(() => parseConfig('check', {}, { ENDPOINT_GUARD_STRICT: 'maybe' }), /ENDPOINT_GUARD_STRICT must be true or false/)
  t.throws(() => parseConfig('check', { output: 'yaml' }, {}), /--output must be one of text, json, github/)
})

t.test('$KUBECONFIG and the in-cluster address are read here, for serve and audit alike', async (t) => {
  const env = { KUBECONFIG: `/a/first${path.delimiter}/b/second`, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }
  for (const command of ['serve', 'audit'] as const) {
    const config = parseConfig(command, {}, env)
    t.equal(config.kubeconfig, '/a/first', `${command}: the first file of $KUBECONFIG`)
    t.same(config.inCluster, { host: '10.96.0.1', port: '443' })
  }
  t.equal(parseConfig('audit', { kubeconfig: 'mine.yaml' }, env).kubeconfig, path.resolve('mine.yaml'), '--kubeconfig wins')
  t.equal(parseConfig('serve', {}, { POD_NAMESPACE: 'guard' }).serviceNamespace, 'guard')
})

t.test('bad values stop with a sentence that names the flag', async (t) => {
  t.throws(() => parseConfig('serve', { port: '70000' }, {}), { code: 'EG_CONFIG', message: /--port must be a port number \(0-65535\), got "70000"/ })
  t.throws(() => parseConfig('audit', { chunkSize: '0' }, {}), /--chunk-size must be a positive whole number/)
  t.throws(() => parseConfig('serve', { tlsCertFile: 'a.pem' }, {}), /--tls-cert-file and --tls-key-file must be given together/)
  t.throws(() => parseConfig('serve', { port: '8443', probePort: '8443' }, {}), /must differ/)
  t.throws(() => parseConfig('serve', { context: 'ctx.yaml', kubeconfig: 'k.yaml' }, {}), /--kubeconfig and --context are alternatives/)
  t.doesNotThrow(() => parseConfig('serve', { context: 'ctx.yaml' }, { KUBECONFIG: '/k' }), 'an ambient $KUBECONFIG does not conflict with --context')
})

t.test('an older flag name is an alias: its environment variable too, the new name winning', async (t) => {
  t.equal(parseConfig('review', {}, { ENDPOINT_GUARD_NAMESPACES: 'old.yaml' }).context, path.resolve('old.yaml'), 'the old variable')
  t.equal(parseConfig('review', {}, { ENDPOINT_GUARD_CONTEXT: 'new.yaml', ENDPOINT_GUARD_NAMESPACES: 'old.yaml' }).context, path.resolve('new.yaml'))
  t.throws(() => parseConfig('serve', {}, { ENDPOINT_GUARD_NAMESPACES: 'ctx.yaml', ENDPOINT_GUARD_KUBECONFIG: 'k.yaml' }), /alternatives/)
})

t.test('--enforcement and --policy-action: monitor mode and per-policy actions, from flags or the environment', async (t) => {
  t.equal(parseConfig('serve', {}, {}).enforcement, 'deny', 'enforcing by default')
  t.same(parseConfig('serve', {}, {}).policyAction, {})
  t.equal(parseConfig('serve', {}, { ENDPOINT_GUARD_ENFORCEMENT: 'warn' }).enforcement, 'warn')
  t.equal(parseConfig('review', { enforcement: 'warn' }, {}).enforcement, 'warn', 'review answers as the server would')
  t.throws(() => parseConfig('serve', { enforcement: 'audit' }, {}), /--enforcement must be one of deny, warn/)
  const flags = parseConfig('serve', { policyAction: ['service-external-ips=warn', 'endpoints-deprecated=audit'] }, {})
  t.same(flags.policyAction, { 'service-external-ips': 'warn', 'endpoints-deprecated': 'audit' })
  t.ok(Object.isFrozen(flags.policyAction))
  const env = parseConfig('serve', {}, { ENDPOINT_GUARD_POLICY_ACTION: 'service-external-ips=warn, endpoints-deprecated=deny' })
  t.same(env.policyAction, { 'service-external-ips': 'warn', 'endpoints-deprecated': 'deny' }, 'a comma-separated list from the environment')
  t.throws(() => parseConfig('serve', { policyAction: ['service-external-ips'] }, {}), /--policy-action must be <policy-id>=<deny\|warn\|audit>, got "service-external-ips"/)
  t.throws(() => parseConfig('serve', { policyAction: ['a=mutate'] }, {}), /--policy-action must be/)
  t.throws(() => parseConfig('serve', { policyAction: ['a=warn', 'a=deny'] }, {}), /names policy "a" twice/)
})
