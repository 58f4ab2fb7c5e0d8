// Acceptance tests: the real binary on fixture manifests, exact stdout and exit status for each format.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { XMLValidator } from 'fast-xml-parser'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'
import { validateSarif } from '../support/sarif.js'
import { ensureBuilt, golden, runCli } from './support/cli.js'

const manifests = 'test/fixtures/cli/manifests'

t.before(ensureBuilt)
// Each case starts a node process (audit: one that loads @kubernetes/client-node); on a loaded machine
// the whole file takes longer than the default per-file timeout.
t.setTimeout(600_000)

interface Case {
  name: string
  args: string[]
  stdin?: string
  code: number
  /** what standard error must be (a whole line ending in \n), or contain; otherwise it must be empty */
  stderr?: string
}

const badRef =
  'endpoint-guard check: test/fixtures/cli/policies-broken/bad-ref.json: /schema/properties/spec/properties/externalIPs/items/$ref: $ref "no-such-policy#/$defs/address": no policy "no-such-policy" is loaded\n'

const cases: Case[] = [
  // A directory, walked recursively: multi-document YAML, JSON, a List, broken YAML, an empty file, unknown kinds,
  // a Namespace giving labels, a hidden directory and a README that are not read.
  { name: 'check-mixed.txt', args: ['check', `${manifests}/mixed`], code: 2 },
  { name: 'check-mixed.json', args: ['check', '-o', 'json', `${manifests}/mixed`], code: 2 },
  { name: 'check-mixed.github', args: ['check', '--output', 'github', `${manifests}/mixed`], code: 2 },
  { name: 'check-mixed.junit.xml', args: ['check', '-o', 'junit', `${manifests}/mixed`], code: 2 },
  { name: 'check-mixed.sarif', args: ['check', '-o', 'sarif', `${manifests}/mixed`], code: 2 },
  { name: 'check-valid.txt', args: ['check', `${manifests}/valid`], code: 0 },
  { name: 'check-valid.json', args: ['check', '-o', 'json', `${manifests}/valid`], code: 0 },
  // Warnings are shown and pass, unless --strict.
  { name: 'check-warned.txt', args: ['check', `${manifests}/warned`], code: 0 },
  { name: 'check-warned.txt', args: ['check', '--strict', `${manifests}/warned`], code: 1 },
  // Files one by one.
  { name: 'check-broken.txt', args: ['check', `${manifests}/mixed/broken.yaml`], code: 2 },
  { name: 'check-broken.github', args: ['check', '-o', 'github', `${manifests}/mixed/broken.yaml`], code: 2 },
  // No document at all is no pass (exit 2), unless --allow-empty.
  { name: 'check-empty.txt', args: ['check', `${manifests}/mixed/empty.yaml`], code: 2, stderr: 'endpoint-guard check: nothing to check: test/fixtures/cli/manifests/mixed/empty.yaml is empty; --allow-empty accepts that\n' },
  { name: 'check-empty.json', args: ['check', '-o', 'json', `${manifests}/mixed/empty.yaml`], code: 2, stderr: 'is empty' },
  { name: 'check-empty.txt', args: ['check', '--allow-empty', `${manifests}/mixed/empty.yaml`], code: 0 },
  {
    name: 'check-no-manifests.txt',
    args: ['check', `${manifests}/no-manifests`],
    code: 2,
    stderr: 'endpoint-guard check: nothing to check: test/fixtures/cli/manifests/no-manifests holds no .yaml, .yml or .json file; --allow-empty accepts that\n',
  },
  // apiVersions that Kubernetes does not serve for the kind: errors that name the version to use.
  { name: 'check-api-versions.txt', args: ['check', `${manifests}/api-versions`], code: 2 },
  { name: 'check-api-versions.json', args: ['check', '-o', 'json', `${manifests}/api-versions`], code: 2 },
  // Layered policy directories: the bundled set, then a team's directory that replaces one policy and adds one.
  {
    name: 'check-layered.txt',
    args: ['check', '--policies', 'bundled', '--policies', 'test/fixtures/cli/policies-layered', `${manifests}/layered`],
    code: 1,
    stderr:
      'endpoint-guard check: policy service-external-ips of schemas/policies/service-external-ips.json is replaced by test/fixtures/cli/policies-layered/service-external-ips.json\n',
  },
  // PolicyException files beside the policies: an exempted finding is reported with its exception and does not
  // fail the document; one that expired (2020) no longer exempts, and says so.
  {
    name: 'check-exceptions.txt',
    args: ['check', '--policies', 'bundled', '--policies', 'test/fixtures/cli/exceptions', `${manifests}/mixed/services.yaml`, `${manifests}/mixed/slices/loopback.yaml`],
    code: 1,
  },
  {
    name: 'check-exceptions.json',
    args: ['check', '-o', 'json', '--policies', 'bundled', '--policies', 'test/fixtures/cli/exceptions', `${manifests}/mixed/services.yaml`, `${manifests}/mixed/slices/loopback.yaml`],
    code: 1,
  },
  {
    name: 'check-exceptions.github',
    args: ['check', '-o', 'github', '--policies', 'bundled', '--policies', 'test/fixtures/cli/exceptions', `${manifests}/mixed/services.yaml`],
    code: 0,
  },
  // Policies that do not load: the plain line on stderr, and the error in the machine-readable formats.
  { name: 'check-bad-policies.json', args: ['check', '-o', 'json', '--policies', 'test/fixtures/cli/policies-broken', `${manifests}/valid`], code: 2, stderr: badRef },
  { name: 'check-bad-policies.github', args: ['check', '-o', 'github', '--policies', 'test/fixtures/cli/policies-broken', `${manifests}/valid`], code: 2, stderr: badRef },
  { name: 'check-bad-policies.junit.xml', args: ['check', '-o', 'junit', '--policies', 'test/fixtures/cli/policies-broken', `${manifests}/valid`], code: 2, stderr: badRef },
  { name: 'check-list.txt', args: ['check', `${manifests}/mixed/list.yaml`], code: 1 },
  { name: 'check-list.json', args: ['check', '-o', 'json', `${manifests}/mixed/list.yaml`], code: 1 },
  { name: 'check-unknown.txt', args: ['check', `${manifests}/mixed/unknown.yaml`], code: 2 },
  { name: 'check-unknown.json', args: ['check', '-o', 'json', `${manifests}/mixed/unknown.yaml`], code: 2 },
  // Services and Namespaces from other files give the context, whatever the order of the files.
  { name: 'check-context.txt', args: ['check', `${manifests}/context`], code: 1 },
  // Nodes, Services and hand-managed slices of the run are the cluster context: slices pointing at a Node, a pod
  // CIDR or a ClusterIP are denied, and so is a Service that would adopt a slice planted before it.
  { name: 'check-cluster.txt', args: ['check', `${manifests}/cluster`], code: 1 },
  // YAML merge keys (`<<:`) are applied as kubectl applies them, so a merged field is checked.
  { name: 'check-merge.txt', args: ['check', `${manifests}/merge`], code: 1 },
  // A path that does not exist is an error; the other paths are still checked.
  {
    name: 'check-missing.txt',
    args: ['check', `${manifests}/does-not-exist.yaml`, `${manifests}/valid/app.yaml`],
    code: 2,
  },
]

for (const c of cases) {
  t.test(`${c.args.join(' ')} → ${c.name}, exit ${c.code}`, async (t) => {
    const run = await runCli(c.args, c.stdin === undefined ? {} : { stdin: c.stdin })
    t.equal(run.stdout, golden(c.name, run.stdout), 'stdout')
    t.equal(run.code, c.code, 'exit status')
    if (c.stderr === undefined) t.equal(run.stderr, '', 'nothing on stderr')
    else if (c.stderr.endsWith('\n')) t.equal(run.stderr, c.stderr, 'stderr')
    else t.ok(run.stderr.includes(c.stderr), `stderr says ${JSON.stringify(c.stderr)}`, { stderr: run.stderr })
  })
}

t.test('stdin: - and no path at all read the manifests from stdin', async (t) => {
  const text = readFileSync(path.join(repoRoot, manifests, 'mixed/slices/loopback.yaml'), 'utf8')
  const dash = await runCli(['check', '-'], { stdin: text })
  t.equal(dash.stdout, golden('check-stdin.txt', dash.stdout))
  t.equal(dash.code, 1)
  const none = await runCli(['check'], { stdin: text })
  t.equal(none.stdout, dash.stdout, 'no path is the same as -')
  t.equal(none.code, 1)
  const github = await runCli(['check', '-o', 'github', '-'], { stdin: text })
  t.equal(github.stdout, golden('check-stdin.github', github.stdout), 'no file= for stdin')
})

t.test('stdin with Services and files together; --namespace for documents without one', async (t) => {
  // No namespace: --namespace puts it in shop, where the slice of a-slice.yaml attaches to it.
  const service = 'apiVersion: v1\nkind: Service\nmetadata: {name: checkout}\nspec: {selector: {app: checkout}, ports: [{name: http, port: 80}]}\n'
  const run = await runCli(['check', '--namespace', 'shop', '-', `${manifests}/context/a-slice.yaml`], { stdin: service })
  t.equal(run.stdout, golden('check-stdin-namespace.txt', run.stdout))
  t.equal(run.code, 1)
})

t.test('empty stdin (a failed helm template piped in) is no pass: exit 2 unless --allow-empty', async (t) => {
  const run = await runCli(['check', '-o', 'json', '-'], { stdin: '' })
  t.equal(run.stdout, golden('check-stdin-empty.json', run.stdout))
  t.equal(run.code, 2)
  t.equal(run.stderr, 'endpoint-guard check: nothing to check: stdin is empty (did the command before the pipe fail?); --allow-empty accepts that\n')
  const comments = await runCli(['check', '-'], { stdin: '# nothing but a comment\n---\n' })
  t.equal(comments.code, 2, 'documents that are all empty are no input either')
  const allowed = await runCli(['check', '--allow-empty', '-o', 'json', '-'], { stdin: '' })
  t.equal(allowed.code, 0)
  t.equal(allowed.stderr, '')
  const allowedByEnv = await runCli(['check', '-'], { stdin: '', env: { ENDPOINT_GUARD_ALLOW_EMPTY: 'true' } })
  t.equal(allowedByEnv.code, 0, 'ENDPOINT_GUARD_ALLOW_EMPTY, as every setting')
  const skipped = await runCli(['check', '-'], { stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' })
  t.equal(skipped.code, 0, 'a manifest of kinds that are not guarded is input: skipped, and a pass')
})

t.test('JUnit XML: well-formed, escaped, a testcase per evaluated document, a failure per denial', async (t) => {
  const run = await runCli(['check', '-o', 'junit', `${manifests}/mixed`])
  t.equal(XMLValidator.validate(run.stdout), true, 'well-formed XML')
  const json = JSON.parse((await runCli(['check', '-o', 'json', `${manifests}/mixed`])).stdout) as {
    results: Array<{ status: string; findings: Array<{ action: string }> }>
  }
  const evaluated = json.results.filter((r) => r.status !== 'skipped' && r.status !== 'empty')
  t.equal(run.stdout.match(/<testcase /g)?.length, evaluated.length, 'a testcase per evaluated (or unreadable) document')
  const denials = json.results.flatMap((r) => r.findings.filter((f) => f.action === 'deny'))
  t.equal(run.stdout.match(/<failure /g)?.length, denials.length, 'a failure per denial')
  t.equal(run.stdout.match(/<error /g)?.length, json.results.filter((r) => r.status === 'error').length, 'an error per unreadable document')
  // Values that XML must escape, and characters it cannot hold at all, from a manifest on stdin.
  const nasty = 'apiVersion: v1\nkind: Service\nmetadata: {name: "a<b>&\\"c\\u0001"}\nspec: {selector: {app: x}, ports: [{port: 80}], externalIPs: ["1.1.1.1"]}\n'
  const escaped = await runCli(['check', '-o', 'junit', '-'], { stdin: nasty })
  t.equal(escaped.code, 1)
  t.equal(XMLValidator.validate(escaped.stdout), true, 'still well-formed', { xml: escaped.stdout })
  t.match(escaped.stdout, /a&lt;b&gt;&amp;&quot;c\uFFFD/, 'escaped, and the control character replaced')
})

t.test('SARIF 2.1.0: valid against the published schema, and what code scanning needs', async (t) => {
  const run = await runCli(['check', '-o', 'sarif', `${manifests}/mixed`])
  const log = JSON.parse(run.stdout) as {
    runs: Array<{
      tool: { driver: { rules: Array<{ id: string; shortDescription: { text: string }; fullDescription: { text: string }; help: { text: string } }> } }
      results: Array<{ ruleId: string; ruleIndex: number; level: string; locations: Array<{ physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number } } }> }>
      invocations: Array<{ executionSuccessful: boolean; toolExecutionNotifications: unknown[] }>
    }>
  }
  t.equal(validateSarif(log), true, 'valid SARIF 2.1.0', { errors: validateSarif.errors })
  t.equal(validateSarif({ ...log, version: '2.0.0' }), false, 'the validator refuses what the schema refuses')
  const [sarifRun] = log.runs
  if (sarifRun === undefined) throw new Error('no run')
  const rules = sarifRun.tool.driver.rules
  const bundled = readdirSync(path.join(repoRoot, 'schemas/policies')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''))
  t.same(rules.map((r) => r.id).sort(), bundled.sort(), 'one rule per bundled policy')
  for (const rule of rules) t.ok(rule.shortDescription.text && rule.fullDescription.text && rule.help.text, `${rule.id} is described`)
  const json = JSON.parse((await runCli(['check', '-o', 'json', `${manifests}/mixed`])).stdout) as { results: Array<{ findings: unknown[] }> }
  t.equal(sarifRun.results.length, json.results.flatMap((r) => r.findings).length, 'one result per finding')
  for (const result of sarifRun.results) {
    t.equal(rules[result.ruleIndex]?.id, result.ruleId, `${result.ruleId}: ruleIndex points at its rule`)
    t.ok(['error', 'warning', 'note'].includes(result.level))
    const where = result.locations[0]?.physicalLocation
    t.ok(where !== undefined && where.region.startLine >= 1, 'a file and a line')
    t.match(where?.artifactLocation.uri, /^test\/fixtures\/cli\/manifests\/mixed\/[^:]*$/, 'relative to the working directory')
  }
  t.same([...new Set(sarifRun.results.map((r) => r.level))].sort(), ['error', 'warning'])
  t.equal(sarifRun.invocations[0]?.executionSuccessful, false, 'documents that cannot be read make the run unsuccessful')
  t.equal(sarifRun.invocations[0]?.toolExecutionNotifications.length, 3, 'one notification per unreadable document')

  const clean = JSON.parse((await runCli(['check', '-o', 'sarif', `${manifests}/valid`])).stdout) as typeof log
  t.equal(validateSarif(clean), true)
  t.same(clean.runs[0]?.results, [], 'no finding: an empty results array (which clears earlier alerts)')
  t.equal(clean.runs[0]?.invocations[0]?.executionSuccessful, true)

  const broken = await runCli(['check', '-o', 'sarif', '--policies', 'test/fixtures/cli/policies-broken', `${manifests}/valid`])
  t.equal(broken.code, 2)
  t.equal(validateSarif(JSON.parse(broken.stdout)), true, 'a policy-load failure is valid SARIF too (a notification)')
})

t.test('the JSON output parses, and its summary adds up', async (t) => {
  const run = await runCli(['check', '-o', 'json', `${manifests}/mixed`])
  const parsed = JSON.parse(run.stdout) as { results: Array<{ status: string }>; summary: Record<string, number> }
  t.equal(parsed.summary['total'], parsed.results.length)
  for (const status of ['valid', 'invalid', 'warned', 'skipped', 'empty', 'error']) {
    t.equal(parsed.summary[status], parsed.results.filter((r) => r.status === status).length, status)
  }
})

t.test('policies that do not load: text prints the plain line on stderr alone', async (t) => {
  const run = await runCli(['check', '--policies', 'test/fixtures/cli/policies-broken', `${manifests}/valid`])
  t.equal(run.code, 2)
  t.equal(run.stdout, '')
  t.equal(run.stderr, badRef)
})

t.test('usage errors exit 2', async (t) => {
  const badFormat = await runCli(['check', '-o', 'yaml', `${manifests}/valid`])
  t.equal(badFormat.code, 2)
  t.match(badFormat.stderr, /argument 'yaml' is invalid/)
  t.equal(badFormat.stdout, '')

  const badPolicies = await runCli(['check', '--policies', 'test/fixtures/cli/no-such-dir', `${manifests}/valid`])
  t.equal(badPolicies.code, 2)
  t.match(badPolicies.stderr, /^endpoint-guard check: .*no-such-dir/)
  t.equal(badPolicies.stdout, '')

  const unknownFlag = await runCli(['check', '--no-such-flag'])
  t.equal(unknownFlag.code, 2)
})

t.test('--help says what the exit statuses mean', async (t) => {
  const run = await runCli(['check', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /Usage: endpoint-guard check \[options\] \[paths\.\.\.\]/)
  t.match(run.stdout, /\n {2}2 {2}usage error, the policies do not load, an input could not be read or parsed, an apiVersion that\n/)
  t.match(run.stdout, /no input at all \(unless --allow-empty\)/)
  t.match(run.stdout.replace(/\s+/g, ' '), /--output <format> output format .*\(choices: "text", "json", "github", "junit", "sarif"\)/)
})
