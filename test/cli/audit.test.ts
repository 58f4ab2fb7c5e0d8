// Acceptance tests: the real binary against a local HTTPS server that answers the Kubernetes list endpoints
// (with limit/continue pagination) from the recorded responses in test/fixtures/kube-api, plus a few objects
// that show each breakage and a spoofed slice (test/fixtures/cli/audit/extra-objects.json).
import t from 'tap'
import { writeKubeconfig } from '../support/kubeconfig.js'
import { startAuditCluster } from './support/audit-cluster.js'
import { ensureBuilt, golden, runCli } from './support/cli.js'

t.before(ensureBuilt)
// Each case starts a node process (audit: one that loads @kubernetes/client-node); on a loaded machine
// the whole file takes longer than the default per-file timeout.
t.setTimeout(600_000)
const { api, kubeconfig } = await startAuditCluster(t)

for (const [format, file] of [['text', 'audit.txt'], ['json', 'audit.json'], ['github', 'audit.github']] as const) {
  t.test(`audit -o ${format}: every object of every namespace, paginated`, async (t) => {
    const from = api.requests.length
    const run = await runCli(['audit', '--kubeconfig', kubeconfig, '--chunk-size', '2', '-o', format])
    t.equal(run.stdout, golden(file, run.stdout), 'stdout')
    t.equal(run.code, 1, 'violations exit 1')
    t.equal(run.stderr, '')
    const requests = api.requests.slice(from)
    for (const path of ['/api/v1/namespaces', '/api/v1/services', '/apis/discovery.k8s.io/v1/endpointslices', '/api/v1/endpoints', '/api/v1/pods']) {
      const pages = requests.filter((r) => r.path === path)
      t.ok(pages.length > 1, `${path} listed in pages`)
      t.ok(pages.every((r) => r.query['limit'] === '2' && r.watch === false), `${path} with limit=2`)
      t.ok(pages.slice(1).every((r) => r.query['continue'] !== undefined), `${path} followed continue tokens`)
    }
  })
}

t.test('--namespace audits one namespace, reading only its own collections', async (t) => {
  const from = api.requests.length
  const run = await runCli(['audit', '--kubeconfig', kubeconfig, '--namespace', 'staging'])
  t.equal(run.stdout, golden('audit-staging.txt', run.stdout))
  t.equal(run.code, 0, 'breakages alone are warnings')
  t.same(
    [...new Set(api.requests.slice(from).map((r) => r.path))].sort(),
    [
      '/api/v1/namespaces/staging',
      '/api/v1/namespaces/staging/endpoints',
      '/api/v1/namespaces/staging/pods',
      '/api/v1/namespaces/staging/services',
      '/apis/discovery.k8s.io/v1/namespaces/staging/endpointslices',
    ],
  )
  const strict = await runCli(['audit', '--kubeconfig', kubeconfig, '--namespace', 'staging', '--strict'])
  t.equal(strict.stdout, run.stdout)
  t.equal(strict.code, 1, '--strict fails on breakages and warnings')
})

t.test('objects that carry the marks of the Kubernetes controllers are judged as written by them', async (t) => {
  const run = await runCli(['audit', '--kubeconfig', kubeconfig, '--namespace', 'kube-system', '-o', 'json'])
  const parsed = JSON.parse(run.stdout) as { results: Array<{ kind: string; name: string; status: string }> }
  t.same(
    parsed.results.map((r) => [r.kind, r.name, r.status]),
    [
      ['Service', 'kube-dns', 'valid'],
      ['EndpointSlice', 'kube-dns-8xkzp', 'valid'],
      ['Endpoints', 'kube-dns', 'valid'],
    ],
  )
  t.equal(run.code, 0)
})

t.test('no cluster, an unreachable or refusing API, and bad flags exit 2', async (t) => {
  const none = await runCli(['audit'])
  t.equal(none.code, 2)
  t.match(none.stderr, /no cluster: pass --kubeconfig/)
  t.equal(none.stdout, '', 'text: the error is on stderr only')

  const wrongToken = await writeKubeconfig({ url: api.url, ca: api.ca, token: 'wrong' }, t)
  const refused = await runCli(['audit', '--kubeconfig', wrongToken])
  t.equal(refused.code, 2)
  t.match(refused.stderr, /^endpoint-guard audit: cannot list \w+: GET \/\S+: Unauthorized/)
  t.equal(refused.stdout, '')

  const missing = await runCli(['audit', '--kubeconfig', 'test/fixtures/cli/no-such-kubeconfig.yaml'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /Cannot load kubeconfig/)

  const chunk = await runCli(['audit', '--kubeconfig', kubeconfig, '--chunk-size', '0'])
  t.equal(chunk.code, 2)
  t.match(chunk.stderr, /--chunk-size must be a positive whole number, got "0"/)
})

t.test('layered --policies: the replacement is said on stderr and its rule applies', async (t) => {
  const layered = ['--policies', 'bundled', '--policies', 'test/fixtures/cli/policies-layered']
  const run = await runCli(['audit', '--kubeconfig', kubeconfig, '-o', 'json', ...layered])
  t.equal(
    run.stderr,
    'endpoint-guard audit: policy service-external-ips of schemas/policies/service-external-ips.json is replaced by test/fixtures/cli/policies-layered/service-external-ips.json\n',
  )
  const findings = (JSON.parse(run.stdout) as { results: Array<{ findings: Array<{ policy: string }> }> }).results.flatMap((r) => r.findings)
  t.ok(findings.some((f) => f.policy === 'service-team-label'), 'the added policy applies')
})

t.test('a failure that stops the audit is in the json and github output too', async (t) => {
  const json = await runCli(['audit', '-o', 'json'])
  t.equal(json.code, 2)
  t.same(JSON.parse(json.stdout), {
    results: [],
    error: { code: 'EG_NO_CLUSTER', message: 'no cluster: pass --kubeconfig (or set KUBECONFIG), or run in a pod with a service account' },
  })
  const policies = await runCli(['audit', '-o', 'github', '--kubeconfig', kubeconfig, '--policies', 'test/fixtures/cli/policies-broken'])
  t.equal(policies.code, 2)
  t.match(policies.stdout, /^::error file=test\/fixtures\/cli\/policies-broken\/bad-ref\.json,title=endpoint-guard::test\/fixtures\/cli\/policies-broken\/bad-ref\.json: \/schema\/.*no policy "no-such-policy" is loaded\n$/)
  t.match(policies.stderr, /^endpoint-guard audit: test\/fixtures\/cli\/policies-broken\/bad-ref\.json: /)
})

t.test('$KUBECONFIG is used when --kubeconfig is not given', async (t) => {
  const run = await runCli(['audit', '--namespace', 'staging'], { env: { KUBECONFIG: `${kubeconfig}:/nonexistent/second` } })
  t.equal(run.stdout, golden('audit-staging.txt', run.stdout), 'the first file of the list')
  t.equal(run.code, 0)
})

t.test('--help', async (t) => {
  const run = await runCli(['audit', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /Usage: endpoint-guard audit \[options\]/)
  t.match(run.stdout, /--chunk-size <n>/)
})
