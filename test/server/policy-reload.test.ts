import { readFileSync, readdirSync } from 'node:fs'
import { lstat, readlink, readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { parseConfig } from '../../src/config.js'
import type { AdmissionReviewResponse } from '../../src/kube/admission.js'
import { bundledPaths } from '../../src/paths.js'
import { createMetrics } from '../../src/server/metrics.js'
import { openPolicyStore } from '../../src/server/reload/policies.js'
import { watchFiles } from '../../src/server/reload/watch-files.js'
import { startServer } from '../../src/server/serve.js'
import { capturingLogger, kubeletVolume, sample, scrape } from '../support/app.js'
import { fixturesDir } from '../support/fixtures.js'
import { until } from '../support/wait.js'

const bundled: Record<string, string> = Object.fromEntries(
  readdirSync(bundledPaths.policies)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, readFileSync(path.join(bundledPaths.policies, f), 'utf8')]),
)
const externalIpReview = readFileSync(path.join(fixturesDir, 'reviews', 'gatekeeper-externalip-disallowed.review.json'), 'utf8')
const json = { 'content-type': 'application/json' }

function without(files: Record<string, string>, name: string): Record<string, string> {
  const copy = { ...files }
  delete copy[name]
  return copy
}

t.test('a ConfigMap-mounted policies directory: valid update, invalid update, symlink swap', async (t) => {
  const dir = t.testdir()
  const volume = kubeletVolume(dir)
  await volume.write(bundled)
  // The layout really is kubelet's: ..data is a symlink to a timestamped directory, each key a symlink into ..data.
  t.ok((await lstat(path.join(dir, '..data'))).isSymbolicLink())
  t.match(await readlink(path.join(dir, '..data')), /^\.\.2026_11_21_00_00_01\.101$/)
  t.equal(await readlink(path.join(dir, 'service-ports.json')), path.join('..data', 'service-ports.json'))

  const { logger, lines } = capturingLogger()
  const config = parseConfig('serve', { port: '0', probePort: '0', host: '127.0.0.1', policies: dir, generatedCaFile: path.join(dir, '..', 'ca.pem') }, {})
  const server = await startServer(config, logger)
  t.teardown(() => server.close())
  const total = Object.keys(bundled).length
  const decide = async () => {
    const res = await server.admission.inject({ method: 'POST', url: '/validate', headers: json, payload: externalIpReview })
    return res.json<AdmissionReviewResponse>().response.allowed
  }
  t.equal(server.policies.current().policies.length, total)
  t.equal(await decide(), false, 'service-external-ips denies at first')
  t.equal(sample(await scrape(server.probePort), 'endpoint_guard_policies_loaded'), total)

  // 1. A valid update that drops a policy: the new set is in force, logged and counted.
  await volume.write(without(bundled, 'service-external-ips.json'))
  const reloaded = await until('the reload log line', () => lines().find((l) => l.msg === `policies reloaded: ${total - 1} in force`))
  t.match(reloaded, { level: 30, dir, removed: ['service-external-ips'], added: [] })
  t.equal(await decide(), true, 'the new set (without service-external-ips) decides')
  let metrics = await scrape(server.probePort)
  t.equal(sample(metrics, 'endpoint_guard_policies_loaded'), total - 1)
  t.equal(sample(metrics, 'endpoint_guard_policy_reloads_total', { result: 'success' }), 1)
  t.same(
    (await readdir(dir)).filter((f) => f.startsWith('..')).sort(),
    ['..2026_11_21_00_00_02.102', '..data'],
    'the old timestamped directory is gone',
  )

  // 2. An invalid update: rejected with file and pointer, counted, the last good set stays.
  const broken = JSON.parse(bundled['service-ports.json'] ?? '{}') as Record<string, unknown>
  broken.action = 'explode'
  await volume.write({ ...without(bundled, 'service-external-ips.json'), 'service-ports.json': JSON.stringify(broken, null, 2) })
  const rejected = await until('the rejection log line', () => lines().find((l) => l.msg === 'policy reload rejected; the last good policy set stays in force'))
  t.match(rejected, { level: 50, code: 'EG_POLICY_INVALID', file: path.join(dir, 'service-ports.json'), pointer: '/action' })
  t.match(rejected.problem, /must be one of/)
  metrics = await scrape(server.probePort)
  t.equal(sample(metrics, 'endpoint_guard_policy_reloads_total', { result: 'failure' }), 1)
  t.equal(sample(metrics, 'endpoint_guard_policies_loaded'), total - 1, 'the last good set is still in force')
  t.equal(await decide(), true)
  t.equal(server.policies.current().policies.length, total - 1)
  const ready = await fetch(`http://127.0.0.1:${server.probePort}/readyz`)
  t.equal(ready.status, 200, 'a rejected reload does not make the pod unready')

  // 3. Back to the full set: the policy is enforced again.
  await volume.write(bundled)
  await until('the full set back in force', async () => (await decide()) === false)
  metrics = await scrape(server.probePort)
  t.equal(sample(metrics, 'endpoint_guard_policies_loaded'), total)
  t.equal(sample(metrics, 'endpoint_guard_policy_reloads_total', { result: 'success' }), 2)
})

t.test('a plain directory edited in place: unchanged rewrites, half-written files, an emptied directory', async (t) => {
  const serviceFiles = Object.entries(bundled).filter(([name]) => name.startsWith('service-'))
  const dir = t.testdir(Object.fromEntries(serviceFiles))
  const metrics = createMetrics()
  const { logger, lines } = capturingLogger()
  const store = await openPolicyStore([dir], logger, metrics)
  const watch = watchFiles({ paths: [dir], onChange: () => store.reload(), logger, debounceMs: 50 })
  t.teardown(() => watch.close())
  t.same(watch.dirs, [dir])
  const first = store.current()
  t.equal(first.policies.length, serviceFiles.length)

  // Rewriting a file with the same bytes changes nothing.
  await writeFile(path.join(dir, 'service-ports.json'), bundled['service-ports.json'] ?? '')
  t.equal(await store.reload(), 'unchanged')
  t.equal(store.current(), first)

  // A half-written file is rejected; finishing it is accepted.
  const text = bundled['endpointslice-address-type.json'] ?? ''
  await writeFile(path.join(dir, 'endpointslice-address-type.json'), text.slice(0, 200))
  const rejected = await until('a rejection', () => lines().find((l) => l.msg === 'policy reload rejected; the last good policy set stays in force'))
  t.match(rejected, { file: path.join(dir, 'endpointslice-address-type.json'), pointer: '/', code: 'EG_POLICY_INVALID' })
  t.match(rejected.problem, /not valid JSON/)
  t.equal(store.current(), first, 'the set in force is the same object')
  await writeFile(path.join(dir, 'endpointslice-address-type.json'), text)
  await until('the completed file to load', () => store.current().policies.length === serviceFiles.length + 1)

  // A directory emptied (by mistake, or mid-way through a manual copy) is rejected, once: no policies at all
  // would allow everything.
  await watch.close()
  for (const name of await readdir(dir)) await rm(path.join(dir, name))
  t.equal(await store.reload(), 'rejected')
  t.equal(await store.reload(), 'unchanged', 'the same problem is reported once')
  const failures = lines().filter((l) => l.msg === 'policy reload rejected; the last good policy set stays in force')
  t.match(failures.at(-1), { code: 'EG_POLICIES_EMPTY', file: dir, pointer: '/' })
  t.equal(store.current().policies.length, serviceFiles.length + 1)
  t.equal(sample(await metrics.registry.metrics(), 'endpoint_guard_policy_reloads_total', { result: 'failure' }), 2)
  t.equal(sample(await metrics.registry.metrics(), 'endpoint_guard_policy_reloads_total', { result: 'success' }), 1)
})
