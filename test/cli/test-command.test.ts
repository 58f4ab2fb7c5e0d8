// Acceptance tests of `endpoint-guard test`: the real binary on fixture suites, and on the bundled suites —
// which is how `npm test` runs the bundled policies' own test cases.
import path from 'node:path'
import t from 'tap'
import { loadPolicies } from '../../src/policy-files/read.js'
import { bundledSuitesDir, loadSuites } from '../../src/policy-test/load.js'
import { repoRoot } from '../support/fixtures.js'
import { ensureBuilt, golden, runCli } from './support/cli.js'

t.before(ensureBuilt)
// Each case starts a node process (audit: one that loads @kubernetes/client-node); on a loaded machine
// the whole file takes longer than the default per-file timeout.
t.setTimeout(600_000)

const policies = ['--policies', 'test/fixtures/cli/policies']

t.test('passing and failing cases, invalid suites, an unknown policy, an untested policy', async (t) => {
  const run = await runCli(['test', 'test/fixtures/cli/policy-tests', ...policies])
  t.equal(run.stdout, golden('test-failing.txt', run.stdout))
  t.equal(run.code, 1)
  t.equal(run.stderr, '')
  const lines = run.stdout.split('\n')
  // The suite of an unknown policy: each of its two cases is a failed case, not one "(suite)" case.
  t.equal(lines.filter((l) => l.startsWith('FAIL test/fixtures/cli/policy-tests/unknown-policy.yaml: no-such-policy: ')).length, 2)
  t.ok(lines.includes('9 cases in 3 suites: 4 passed, 5 failed, 2 invalid suites'), 'the counts add up')
  // Format errors name the line and what is allowed there.
  t.ok(lines.includes('     - line 7: /cases/0/expect/outcome: must be one of allowed, denied, warned, audited, patched, not "deny"'))
  t.ok(lines.includes('     - line 10: /cases/1/expect/mesages: unknown field "mesages" (did you mean "messages"?); the fields are outcome, messages, patch'))
})

t.test('all cases pass: exit 0, untested policies listed; --require-all makes them fail', async (t) => {
  const run = await runCli(['test', 'test/fixtures/cli/policy-tests-passing', ...policies])
  t.equal(run.stdout, golden('test-passing.txt', run.stdout))
  t.equal(run.code, 0)
  const strict = await runCli(['test', 'test/fixtures/cli/policy-tests-passing', ...policies, '--require-all'])
  t.equal(strict.stdout, run.stdout)
  t.equal(strict.code, 1)
})

t.test('a directory that does not exist or holds no suite exits 2', async (t) => {
  const missing = await runCli(['test', 'test/fixtures/cli/no-such-dir'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /^endpoint-guard test: cannot read the suites in test\/fixtures\/cli\/no-such-dir/)
  const empty = await runCli(['test', t.testdir({ 'notes.txt': 'no suite here' }), ...policies])
  t.equal(empty.code, 2)
  t.match(empty.stderr, /no test suites/)
  const manifests = await runCli(['test', 'test/fixtures/cli/manifests/mixed/slices', ...policies])
  t.equal(manifests.code, 1, 'manifests are not suites: each is reported as invalid')
  const badPolicies = await runCli(['test', '--policies', 'test/fixtures/cli/no-such-dir'])
  t.equal(badPolicies.code, 2)
  t.match(badPolicies.stderr, /^endpoint-guard test: /)
})

t.test('the bundled policies pass their own suites, every case is listed, and each has a case', async (t) => {
  const run = await runCli(['test'])
  t.equal(run.stderr, '')
  t.equal(run.code, 0, run.stdout.split('\n').filter((l) => l.startsWith('FAIL') || l.startsWith('     -')).join('\n'))
  const lines = run.stdout.trimEnd().split('\n')
  const suites = await loadSuites(bundledSuitesDir)
  let cases = 0
  for (const loaded of suites) {
    if (!('suite' in loaded)) {
      t.fail(`${loaded.file}: ${loaded.problems.join('; ')}`)
      continue
    }
    const file = path.relative(repoRoot, loaded.file)
    for (const c of loaded.suite.cases) {
      cases++
      t.ok(lines.includes(`ok   ${file}: ${loaded.suite.policy}: ${c.description}`), `${file}: ${c.description}`)
    }
  }
  t.ok(cases > 0, 'the bundled suites have cases')
  t.equal(lines.at(-2), `${cases} cases in ${suites.length} suites: ${cases} passed, 0 failed`)
  const bundled = await loadPolicies()
  const tested = new Set(suites.flatMap((s) => ('suite' in s ? [s.suite.policy] : [])))
  const untested = bundled.policies.map((p) => p.id).filter((id) => !tested.has(id))
  t.equal(lines.at(-1), untested.length === 0 ? 'every loaded policy has test cases' : `policies without test cases (${untested.length}): ${untested.join(', ')}`)
})

t.test('layered --policies: the bundled set and a team\'s directory, a replacement said on stderr', async (t) => {
  const run = await runCli(['test', 'test/fixtures/cli/policy-tests-layered', '--policies', 'bundled', '--policies', 'test/fixtures/cli/policies-layered'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^ok {3}test\/fixtures\/cli\/policy-tests-layered\/service-team-label\.yaml: service-team-label: a Service without one is warned$/m)
  t.match(run.stdout, /^2 cases in 1 suite: 2 passed, 0 failed$/m)
  t.equal(
    run.stderr,
    'endpoint-guard test: policy service-external-ips of schemas/policies/service-external-ips.json is replaced by test/fixtures/cli/policies-layered/service-external-ips.json\n',
  )
  const alone = await runCli(['test', 'test/fixtures/cli/policy-tests-layered', '--policies', 'test/fixtures/cli/policies-layered'])
  t.match(alone.stdout, /policies without test cases \(1\): service-external-ips$/m, 'without "bundled", only the named directory')
})

t.test('--help', async (t) => {
  const run = await runCli(['test', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /Usage: endpoint-guard test \[options\] \[dir\]/)
})
