// `endpoint-guard review FILE --context CTX` through the real binary: each attack of issue 9 gets the answer the
// webhook gives (the golden answer of its recorded review), with the exit status that says so.
import path from 'node:path'
import t from 'tap'
import { readJson, repoRoot } from '../support/fixtures.js'
import { ensureBuilt, runCli } from './support/cli.js'

t.before(ensureBuilt)
t.setTimeout(300_000)

const reviews = 'test/fixtures/reviews'
const context = `${reviews}/context.yaml`

const cases: Array<{ name: string; allowed: boolean }> = [
  { name: 'hole1-controller-slice-update-by-user', allowed: false },
  { name: 'hole1-controller-slice-update-by-controller', allowed: true },
  { name: 'hole3-kubernetes-endpoints-by-user', allowed: false },
  { name: 'hole4-slice-to-node-address', allowed: false },
  { name: 'hole4-slice-to-external-db', allowed: true },
  { name: 'hole5-external-name-cluster-service', allowed: false },
  { name: 'hole6-load-balancer-requested-ips', allowed: false },
  { name: 'hole7-namespace-opt-out-by-user', allowed: false },
  { name: 'hole7-namespace-other-label-by-user', allowed: true },
  { name: 'hole8-service-adopts-planted-slice', allowed: false },
  { name: 'hole9-endpoints-ipv4-mapped', allowed: false },
  { name: 'hole10-legacy-conflict-4th-replaced', allowed: false },
]

for (const c of cases) {
  t.test(`review ${c.name} --context context.yaml: ${c.allowed ? 'allowed' : 'denied'}`, async (t) => {
    const run = await runCli(['review', `${reviews}/${c.name}.review.json`, '--context', context])
    t.equal(run.stderr, '', 'nothing on stderr')
    t.equal(run.code, c.allowed ? 0 : 1, 'exit status')
    const answer = JSON.parse(run.stdout) as { response: { allowed: boolean } }
    t.equal(answer.response.allowed, c.allowed)
    t.same(answer, readJson(path.join(repoRoot, reviews, `${c.name}.expected.json`)), 'the answer the webhook gives')
  })
}

t.test('--namespaces and $ENDPOINT_GUARD_NAMESPACES, the older names, still give the context', async (t) => {
  const planted = `${reviews}/hole8-service-adopts-planted-slice.review.json`
  const flag = await runCli(['review', planted, '--namespaces', context])
  t.equal(flag.code, 1, 'the planted slice is known: denied')
  const env = await runCli(['review', planted], { env: { ENDPOINT_GUARD_NAMESPACES: context } })
  t.equal(env.code, 1, 'from the environment too')
  const help = await runCli(['review', '--help'])
  t.match(help.stdout, /--context <file> +Namespace, Service, Node and EndpointSlice\s+manifests/)
  t.notMatch(help.stdout, /--namespaces <file>/, 'the alias is not listed as a flag of its own')
})

t.test('without the context, the rules that need it stay silent', async (t) => {
  const run = await runCli(['review', `${reviews}/hole8-service-adopts-planted-slice.review.json`])
  t.equal(run.code, 0, 'no planted slice is known, so the Service is allowed')
})
