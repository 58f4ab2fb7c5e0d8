// Acceptance tests: the real binary on fixture manifests, exact stdout and exit status for each format.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'
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
  /** a fragment the standard error must contain; otherwise it must be empty */
  stderr?: string
}

const cases: Case[] = [
  // A directory, walked recursively: multi-document YAML, JSON, a List, broken YAML, an empty file, unknown kinds,
  // a Namespace giving labels, a hidden directory and a README that are not read.
  { name: 'check-mixed.txt', args: ['check', `${manifests}/mixed`], code: 2 },
  { name: 'check-mixed.json', args: ['check', '-o', 'json', `${manifests}/mixed`], code: 2 },
  { name: 'check-mixed.github', args: ['check', '--output', 'github', `${manifests}/mixed`], code: 2 },
  { name: 'check-valid.txt', args: ['check', `${manifests}/valid`], code: 0 },
  { name: 'check-valid.json', args: ['check', '-o', 'json', `${manifests}/valid`], code: 0 },
  // Warnings are shown and pass, unless --strict.
  { name: 'check-warned.txt', args: ['check', `${manifests}/warned`], code: 0 },
  { name: 'check-warned.txt', args: ['check', '--strict', `${manifests}/warned`], code: 1 },
  // Files one by one.
  { name: 'check-broken.txt', args: ['check', `${manifests}/mixed/broken.yaml`], code: 2 },
  { name: 'check-broken.github', args: ['check', '-o', 'github', `${manifests}/mixed/broken.yaml`], code: 2 },
  { name: 'check-empty.txt', args: ['check', `${manifests}/mixed/empty.yaml`], code: 0 },
  { name: 'check-empty.json', args: ['check', '-o', 'json', `${manifests}/mixed/empty.yaml`], code: 0 },
  { name: 'check-list.txt', args: ['check', `${manifests}/mixed/list.yaml`], code: 1 },
  { name: 'check-list.json', args: ['check', '-o', 'json', `${manifests}/mixed/list.yaml`], code: 1 },
  { name: 'check-unknown.txt', args: ['check', `${manifests}/mixed/unknown.yaml`], code: 2 },
  { name: 'check-unknown.json', args: ['check', '-o', 'json', `${manifests}/mixed/unknown.yaml`], code: 2 },
  // Services and Namespaces from other files give the context, whatever the order of the files.
  { name: 'check-context.txt', args: ['check', `${manifests}/context`], code: 1 },
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
    else t.match(run.stderr, c.stderr)
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

t.test('empty stdin is one empty document', async (t) => {
  const run = await runCli(['check', '-o', 'json', '-'], { stdin: '' })
  t.equal(run.stdout, golden('check-stdin-empty.json', run.stdout))
  t.equal(run.code, 0)
})

t.test('the JSON output parses, and its summary adds up', async (t) => {
  const run = await runCli(['check', '-o', 'json', `${manifests}/mixed`])
  const parsed = JSON.parse(run.stdout) as { results: Array<{ status: string }>; summary: Record<string, number> }
  t.equal(parsed.summary['total'], parsed.results.length)
  for (const status of ['valid', 'invalid', 'warned', 'skipped', 'empty', 'error']) {
    t.equal(parsed.summary[status], parsed.results.filter((r) => r.status === status).length, status)
  }
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
  t.match(run.stdout, /2 +usage error, or an input could not be read or parsed/)
})
