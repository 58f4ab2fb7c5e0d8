import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { loadContextFile } from '../../src/cluster/context-file.js'
import { staticContext } from '../../src/cluster/static-context.js'
import { emptyContext } from '../../src/policy/context.js'

/** Writes files into a fresh directory, removed after the test (unique, unlike t.testdir()'s name). */
async function files(t: Test, contents: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'endpoint-guard-static-context-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(contents)) await writeFile(join(dir, name), text)
  return dir
}

const multiDoc = `# namespaces and services of one team
apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels:
    environment: production
---
apiVersion: v1
kind: Service
metadata:
  name: payments
spec:
  selector:
    app: payments
  ports:
    - name: http
      port: 80
      targetPort: 8080
    - name: metrics
      port: 9090
      targetPort: metrics
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments
  namespace: prod
---
`

t.test('emptyContext knows nothing', async (t) => {
  t.equal(emptyContext.namespaceLabels('default'), undefined)
  t.equal(emptyContext.service('default', 'kubernetes'), undefined)
})

t.test('a multi-document YAML file', async (t) => {
  const dir = await files(t, { 'cluster.yaml': multiDoc })
  const context = await loadContextFile(join(dir, 'cluster.yaml'))
  t.same(context.namespaceLabels('prod'), { environment: 'production' })
  t.equal(context.namespaceLabels('staging'), undefined)
  const service = context.service('default', 'payments')
  t.ok(service, 'a Service without a namespace is in default')
  t.same(service?.ports, [
    { name: 'http', port: 80, protocol: 'TCP' },
    { name: 'metrics', port: 9090, protocol: 'TCP' },
  ], 'only what the rules read is kept; the protocol defaults to TCP')
  t.equal(context.service('prod', 'payments'), undefined, 'Deployments are ignored')
  t.throws(() => {
    ;(service as unknown as Record<string, unknown>)['name'] = 'changed'
  }, TypeError, 'cached records are frozen')
})

t.test('a kind: List and a recorded NamespaceList (JSON)', async (t) => {
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'staging', labels: { environment: 'staging' } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'staging' }, spec: {} },
    ],
  }
  const dir = await files(t, { 'list.json': JSON.stringify(list) })
  const fromList = await loadContextFile(join(dir, 'list.json'))
  t.same(fromList.namespaceLabels('staging'), { environment: 'staging' })
  t.ok(fromList.service('staging', 'web'))

  const recorded = fileURLToPath(new URL('../fixtures/kube-api/namespaces.json', import.meta.url))
  const fromRecording = await loadContextFile(recorded)
  t.equal(fromRecording.namespaceLabels('prod')?.['environment'], 'production', 'typed list items need no kind')
})

t.test('staticContext takes parsed objects and ignores what it cannot key', async (t) => {
  const context = staticContext([
    { kind: 'Namespace', metadata: { name: 'a', labels: { ok: 'yes', notAString: 3 } } },
    { kind: 'Namespace', metadata: {} },
    { kind: 'Service', metadata: { name: 's', namespace: 'a' } },
  ])
  t.same(context.namespaceLabels('a'), { ok: 'yes' }, 'non-string label values are dropped')
  t.ok(context.service('a', 's'))
})

t.test('a broken YAML file: the message names the file and the line', async (t) => {
  const dir = await files(t, { 'broken.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [prod\n  labels: {}\n' })
  const path = join(dir, 'broken.yaml')
  const err = await loadContextFile(path).catch((e: unknown) => e)
  t.type(err, Error)
  const message = (err as Error).message
  t.match(message, path)
  t.match(message, /broken\.yaml at line 5, column 3: Flow sequence/)
  t.notMatch(message, '\n', 'one line, fit for a log')
})

t.test('a document that is not an object, and a missing file', async (t) => {
  const dir = await files(t, { 'scalar.yaml': 'kind: Namespace\nmetadata: {name: a}\n---\njust a string\n' })
  await t.rejects(loadContextFile(join(dir, 'scalar.yaml')), /scalar\.yaml: the document at line 4 is not an object/)
  const missing = join(dir, 'missing.yaml')
  await t.rejects(loadContextFile(missing), { message: new RegExp(`Cannot read ${missing}`) })
})

t.test('later writes of the same file do not change a loaded context', async (t) => {
  const dir = await files(t, { 'cluster.yaml': multiDoc })
  const path = join(dir, 'cluster.yaml')
  const context = await loadContextFile(path)
  await writeFile(path, '')
  t.ok(context.namespaceLabels('prod'))
})
