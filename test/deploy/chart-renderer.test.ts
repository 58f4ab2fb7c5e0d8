// How the chart tests choose their renderer, what they pass it, and how they read its output. Renders nothing
// real: helm is played by a small script, so the helm branch is tested on machines without helm.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'
import {
  chartDir,
  chartRenderer,
  defaultKubeVersion,
  findOnPath,
  helmArgs,
  helmTemplateArgs,
  isCI,
  manifestsBySource,
  probeRenderers,
  rendererFor,
  selectRenderer,
  sharedDirCandidates,
  type RendererProbes,
} from './support/render.js'

const besideRepo = path.resolve(repoRoot, '../shared')
const build = '/x/shared/tools/helm-template/build.sh'
const probes = (over: Partial<RendererProbes>): RendererProbes => ({ helm: undefined, helmTemplateBuild: undefined, looked: [build], ci: false, ...over })

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'endpoint-guard-renderer-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function script(file: string, body: string): string {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`)
  chmodSync(file, 0o755)
  return file
}

t.test('selection: helm on PATH, else shared helm-template, else skip (or fail in CI)', async (t) => {
  t.same(selectRenderer(probes({ helm: '/usr/bin/helm', helmTemplateBuild: build })), { via: 'helm', command: '/usr/bin/helm' }, 'helm wins over shared/')
  t.same(selectRenderer(probes({ helm: '/usr/bin/helm', ci: true })), { via: 'helm', command: '/usr/bin/helm' }, 'helm in CI')
  t.same(selectRenderer(probes({ helmTemplateBuild: build })), { via: 'helm-template', buildScript: build }, 'only shared/')
  t.same(selectRenderer(probes({ helmTemplateBuild: build, ci: true })), { via: 'helm-template', buildScript: build }, 'only shared/, in CI')

  const none = selectRenderer(probes({ looked: ['/a/shared/tools/helm-template/build.sh', '/b/shared/tools/helm-template/build.sh'] }))
  t.equal(none.via, 'skip', 'nothing: skip')
  const reason = 'reason' in none ? none.reason : ''
  t.match(reason, /^chart rendering skipped: no `helm` on PATH and no shared\/tools\/helm-template/)
  t.match(reason, '/a/shared/tools/helm-template/build.sh, /b/shared/tools/helm-template/build.sh', 'names where it looked')
  t.match(reason, /install helm/, 'says how to run them: helm')
  t.match(reason, /put shared\/ beside the repository/, 'says how to run them: shared/')
  t.match(reason, /ENDPOINT_GUARD_SHARED_DIR=/, 'says how to run them: the variable')

  const inCI = selectRenderer(probes({ ci: true }))
  t.equal(inCI.via, 'fail', 'nothing in CI: fail, not skip')
  t.match('reason' in inCI ? inCI.reason : '', /required in CI/)
})

t.test('without a renderer, rendering tests skip with the reason; in CI they fail with it', async (t) => {
  const skipping = rendererFor({ via: 'skip', reason: 'no renderer here' })
  t.equal(skipping.skip, 'no renderer here')
  t.equal(skipping.via, undefined)
  t.throws(() => skipping.render(), /no renderer here/)
  const failing = rendererFor({ via: 'fail', reason: 'CI must render' })
  t.equal(failing.skip, false, 'not skipped')
  t.throws(() => failing.render(), /CI must render/)
  t.throws(() => failing.renderBySource(), /CI must render/)
  t.throws(() => failing.renderText(), /CI must render/)
  t.equal(rendererFor({ via: 'helm-template', buildScript: build }).skip, false)
})

t.test('this run: in CI the chart is rendered, never skipped', async (t) => {
  const chart = chartRenderer()
  if (isCI()) {
    t.equal(chart.skip, false, 'CI does not skip the chart tests')
  } else {
    t.equal(chart.via === undefined, typeof chart.skip === 'string', 'skips exactly when there is no renderer')
  }
})

t.test('CI is any value of $CI but empty, 0 and false', async (t) => {
  for (const value of ['true', '1', 'yes', 'TRUE']) t.ok(isCI({ CI: value }), `CI=${value}`)
  for (const value of [undefined, '', '0', 'false', 'False']) t.notOk(isCI(value === undefined ? {} : { CI: value }), `CI=${String(value)}`)
})

t.test('shared/ is looked for at $ENDPOINT_GUARD_SHARED_DIR first, then beside the repository', async (t) => {
  t.same(sharedDirCandidates({}), [besideRepo])
  t.same(sharedDirCandidates({ ENDPOINT_GUARD_SHARED_DIR: '' }), [besideRepo], 'empty is unset')
  t.same(sharedDirCandidates({ ENDPOINT_GUARD_SHARED_DIR: '/elsewhere/shared' }), ['/elsewhere/shared', besideRepo])
  t.same(sharedDirCandidates({ ENDPOINT_GUARD_SHARED_DIR: besideRepo }), [besideRepo], 'no duplicate')
})

t.test('findOnPath finds executable files only', async (t) => {
  const dir = tempDir(t)
  const bin = path.join(dir, 'bin')
  const empty = path.join(dir, 'empty')
  mkdirSync(empty)
  const helm = script(path.join(bin, 'helm'), 'exit 0')
  writeFileSync(path.join(bin, 'notexec'), '')
  mkdirSync(path.join(bin, 'adir'))
  t.equal(findOnPath('helm', [empty, '', bin].join(path.delimiter)), helm)
  t.equal(findOnPath('helm', empty), undefined)
  t.equal(findOnPath('helm', ''), undefined)
  t.equal(findOnPath('notexec', bin), undefined, 'not executable')
  t.equal(findOnPath('adir', bin), undefined, 'a directory')
})

t.test('probeRenderers reads PATH, $ENDPOINT_GUARD_SHARED_DIR and $CI', async (t) => {
  const dir = tempDir(t)
  const helm = script(path.join(dir, 'bin/helm'), 'exit 0')
  const shared = path.join(dir, 'shared')
  const buildScript = script(path.join(shared, 'tools/helm-template/build.sh'), 'exit 0')
  const found = probeRenderers({ PATH: path.join(dir, 'bin'), ENDPOINT_GUARD_SHARED_DIR: shared, CI: 'true' })
  t.same(found, { helm, helmTemplateBuild: buildScript, looked: [buildScript, path.join(besideRepo, 'tools/helm-template/build.sh')], ci: true })
  const missing = probeRenderers({ PATH: '', ENDPOINT_GUARD_SHARED_DIR: path.join(dir, 'nothing') })
  t.equal(missing.helm, undefined)
  t.not(missing.helmTemplateBuild, path.join(dir, 'nothing/tools/helm-template/build.sh'), 'a missing directory is passed over')
  t.equal(missing.looked[0], path.join(dir, 'nothing/tools/helm-template/build.sh'), 'and named in the reason')
  t.equal(missing.ci, false)
})

t.test('helm template: release name and chart positional, then namespace, kube version, values files, --set', async (t) => {
  t.same(helmArgs(), ['template', 'endpoint-guard', chartDir, '--namespace', 'endpoint-guard', '--kube-version', defaultKubeVersion, '--skip-schema-validation'])
  t.same(
    helmArgs({ name: 'eg', namespace: 'guard', kubeVersion: '1.29.0', valuesFiles: ['/a.yaml', '/b.yaml'], set: { replicaCount: 3, 'policies.bundled': false, x: 'a,b\\c' } }, '/chart'),
    ['template', 'eg', '/chart', '--namespace', 'guard', '--kube-version', '1.29.0', '--skip-schema-validation', '-f', '/a.yaml', '-f', '/b.yaml',
      '--set', 'replicaCount=3', '--set', 'policies.bundled=false', '--set', 'x=a\\,b\\\\c'],
    'commas and backslashes escaped: helm would split the value at the comma',
  )
})

t.test('helm-template: flags, then the chart', async (t) => {
  t.same(helmTemplateArgs(), ['--name', 'endpoint-guard', '--namespace', 'endpoint-guard', '--kube-version', defaultKubeVersion, chartDir])
  t.same(
    helmTemplateArgs({ name: 'eg', namespace: 'guard', kubeVersion: '1.29.0', valuesFiles: ['/a.yaml'], set: { replicaCount: 3, x: 'a,b' } }, '/chart'),
    ['--name', 'eg', '--namespace', 'guard', '--kube-version', '1.29.0', '-f', '/a.yaml', '--set', 'replicaCount=3', '--set', 'x=a,b', '/chart'],
  )
})

// What `helm template` prints: one header per document, sorted by kind, so one file's documents can be apart.
const helmOutput = `---
# Source: endpoint-guard/templates/tls-issuer.yaml
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: eg-selfsigned
---
# Source: endpoint-guard/templates/server-service.yaml
apiVersion: v1
kind: Service
metadata:
  name: eg
---
# Source: endpoint-guard/templates/tls-issuer.yaml
apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  name: eg-ca
`

t.test('sources: helm output with a file split across headers, and helm-template output', async (t) => {
  const bySource = manifestsBySource(helmOutput)
  t.same([...bySource.keys()], ['tls-issuer.yaml', 'server-service.yaml'])
  t.same(bySource.get('tls-issuer.yaml')?.map((m) => m.metadata.name), ['eg-selfsigned', 'eg-ca'], 'both documents kept, in order')
  t.same(bySource.get('server-service.yaml')?.map((m) => m.kind), ['Service'])
  const oneHeader = '---\n# Source: endpoint-guard/templates/tls-issuer.yaml\napiVersion: v1\nkind: A\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: B\nmetadata:\n  name: b\n'
  t.same(manifestsBySource(oneHeader).get('tls-issuer.yaml')?.map((m) => m.kind), ['A', 'B'], 'helm-template: one header per file')
})

t.test('the helm branch runs helm with those arguments and parses what it prints', async (t) => {
  const dir = tempDir(t)
  const argsFile = path.join(dir, 'args')
  const output = path.join(dir, 'output.yaml')
  writeFileSync(output, helmOutput)
  const helm = script(path.join(dir, 'helm'), `printf '%s\\n' "$@" > '${argsFile}'\ncat '${output}'`)
  const chart = rendererFor({ via: 'helm', command: helm })
  t.equal(chart.via, 'helm')
  t.equal(chart.skip, false)
  const options = { name: 'eg', namespace: 'guard', set: { replicaCount: 3 } }
  t.same(chart.render(options).map((m) => `${m.kind}/${m.metadata.name}`), ['Issuer/eg-selfsigned', 'Service/eg', 'Issuer/eg-ca'])
  t.same(readFileSync(argsFile, 'utf8').trimEnd().split('\n'), helmArgs(options), 'the mapped arguments, one per argv entry')
  t.same([...chart.renderBySource().keys()], ['tls-issuer.yaml', 'server-service.yaml'])
})

t.test('a helm error carries its stderr; a helm without --skip-schema-validation says which helm is needed', async (t) => {
  const dir = tempDir(t)
  const failing = script(path.join(dir, 'failing/helm'), `echo 'Error: execution error at (endpoint-guard/templates/x.yaml:1:1): replicaCount must be at least 2' >&2; exit 1`)
  t.throws(() => rendererFor({ via: 'helm', command: failing }).render(), /helm template endpoint-guard .* failed: Error: execution error .*replicaCount must be at least 2/)
  const old = script(path.join(dir, 'old/helm'), `echo 'Error: unknown flag: --skip-schema-validation' >&2; exit 1`)
  t.throws(() => rendererFor({ via: 'helm', command: old }).render(), /the chart tests need helm 3\.16 or later/)
})
