// `endpoint-guard serve --policies bundled --policies DIR`, the real binary: the layered set is served, and the
// replacement is logged at start-up, as the offline commands print it.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { fixturesDir, repoRoot } from '../support/fixtures.js'
import { post } from '../support/https-client.js'
import { until } from '../support/wait.js'
import { ensureBuilt } from './support/cli.js'

t.before(ensureBuilt)
t.setTimeout(120_000)

t.test('serve with layered policy directories', async (t) => {
  const dir = t.testdir()
  const env = { ...process.env }
  for (const name of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'NODE_OPTIONS']) delete env[name]
  const args = ['serve', '--port=0', '--probe-port=0', '--host=127.0.0.1', `--generated-ca-file=${path.join(dir, 'ca.pem')}`]
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist/main.js'), ...args, '--policies', 'bundled', '--policies', 'test/fixtures/cli/policies-layered'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
  const logs = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  const serving = await until('the server to start', () => logs().find((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('serving admission on')), 60_000)

  const replaced = logs().find((l) => l['policy'] === 'service-external-ips' && l['by'] !== undefined)
  t.match(replaced, {
    level: 'info',
    file: path.join(repoRoot, 'schemas/policies/service-external-ips.json'),
    by: path.join(repoRoot, 'test/fixtures/cli/policies-layered/service-external-ips.json'),
  })
  const loaded = logs().find((l) => Array.isArray(l['policies'])) as { policies: string[] } | undefined
  t.ok(loaded?.policies.includes('service-team-label'), "the layer's own policy is loaded")
  t.equal(loaded?.policies.filter((id) => id === 'service-external-ips').length, 1, 'one service-external-ips: the replacement')

  const review = readFileSync(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-allowed-ip.review.json'), 'utf8')
  const answer = await post({ port: serving['port'] as number, ca: readFileSync(path.join(dir, 'ca.pem'), 'utf8'), path: '/validate', body: review })
  const response = (JSON.parse(answer.body) as { response: { allowed: boolean; warnings?: string[] } }).response
  t.equal(response.allowed, true, "the layer's service-external-ips allows 203.0.113.0/24")
  t.match(response.warnings, [/^service-team-label: /], 'and its own policy applies')
  child.kill('SIGTERM')
})
