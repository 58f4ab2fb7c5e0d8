// `endpoint-guard review` and the program itself, through the real binary: layered policies, a manifest given
// where an AdmissionReview is expected, --help, --version.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'
import { ensureBuilt, runCli } from './support/cli.js'

t.before(ensureBuilt)
t.setTimeout(600_000)

const allowedIp = 'test/fixtures/reviews/gatekeeper-externalip-allowed-ip.review.json'
const layered = ['--policies', 'bundled', '--policies', 'test/fixtures/cli/policies-layered']

t.test('layered --policies: a later directory replaces a bundled policy of the same id, and says so', async (t) => {
  const bundled = await runCli(['review', allowedIp])
  t.equal(bundled.code, 1, 'the bundled service-external-ips allows no external IP')
  const run = await runCli(['review', allowedIp, ...layered])
  t.equal(run.code, 0, 'the layer allows 203.0.113.0/24')
  const review = JSON.parse(run.stdout) as { response: { allowed: boolean; warnings?: string[] } }
  t.equal(review.response.allowed, true)
  t.same(review.response.warnings, ['service-team-label: metadata.labels: Required value: must have labels, among them the owning team'], 'and adds its own policy')
  t.equal(
    run.stderr,
    'endpoint-guard review: policy service-external-ips of schemas/policies/service-external-ips.json is replaced by test/fixtures/cli/policies-layered/service-external-ips.json\n',
  )
})

t.test('a manifest given to review: the 4xx body, and a pointer to check', async (t) => {
  const yaml = await runCli(['review', 'test/fixtures/cli/manifests/mixed/slices/loopback.yaml'])
  t.equal(yaml.code, 2)
  t.match(JSON.parse(yaml.stdout), { statusCode: 400, code: 'EG_BODY_NOT_JSON' })
  t.equal(
    yaml.stderr,
    'endpoint-guard review: test/fixtures/cli/manifests/mixed/slices/loopback.yaml is an EndpointSlice manifest, not an AdmissionReview; to evaluate manifests use: endpoint-guard check test/fixtures/cli/manifests/mixed/slices/loopback.yaml\n',
  )
  const json = await runCli(['review', '-'], { stdin: readFileSync(path.join(repoRoot, 'test/fixtures/cli/manifests/valid/db.json'), 'utf8') })
  t.equal(json.code, 2)
  t.match(JSON.parse(json.stdout), { code: 'EG_NOT_ADMISSION_REVIEW' })
  t.match(json.stderr, /^endpoint-guard review: stdin is an? \w+ manifest, not an AdmissionReview; to evaluate manifests use: endpoint-guard check -\n$/)
  const garbage = await runCli(['review', '-'], { stdin: 'not json, not a manifest' })
  t.equal(garbage.code, 2)
  t.equal(garbage.stderr, '', 'no hint when the input is no manifest either')
})

t.test('review --help lists the exit statuses', async (t) => {
  const run = await runCli(['review', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /Exit status:\n {2}0 {2}the request is allowed/)
  t.match(run.stdout, /\n {2}1 {2}the request is denied, or a policy failed on it\n/)
  t.match(run.stdout, /\n {2}2 {2}usage error/)
  t.match(run.stdout, /use endpoint-guard check/)
})

t.test('--version prints the package version', async (t) => {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  for (const flag of ['--version', '-V']) {
    const run = await runCli([flag])
    t.equal(run.stdout, `${version}\n`, flag)
    t.equal(run.code, 0)
    t.equal(run.stderr, '')
  }
})
