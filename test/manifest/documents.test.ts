// src/manifest/: splitting, lines, Lists, the first-pass filter, walking inputs.
import t from 'tap'
import { fieldPathSegments, manifestDocuments, mayContainContextKinds, restoreDocuments, storeDocuments, type ManifestDocument } from '../../src/manifest/documents.js'
import { manifestInputs } from '../../src/manifest/inputs.js'

t.test('field paths as rendered in findings go back to segments', async (t) => {
  t.same(fieldPathSegments('spec.ports[1].name'), ['spec', 'ports', 1, 'name'])
  t.same(fieldPathSegments('metadata.labels[kubernetes.io/service-name]'), ['metadata', 'labels', 'kubernetes.io/service-name'])
  t.same(fieldPathSegments('endpoints[0].addresses[2]'), ['endpoints', 0, 'addresses', 2])
  t.same(fieldPathSegments('(object)'), [])
})

t.test('documents, their lines, and the line of a field', async (t) => {
  const text = [
    '# comment', //                         1
    'kind: Service', //                     2
    'metadata:', //                         3
    '  name: a', //                         4
    'spec:', //                             5
    '  ports:', //                          6
    '    - name: x', //                     7
    '    - name: y', //                     8
    '---', //                               9
    '---', //                              10
    'kind: List', //                       11
    'items:', //                           12
    '  - kind: Service', //                13
    '    metadata: {name: b}', //          14
    '  - kind: EndpointSlice', //          15
    '    metadata:', //                    16
    '      labels: {k: v}', //             17
    '',
  ].join('\n')
  const docs = [...manifestDocuments(text, 'f.yaml')]
  t.same(
    docs.map((d) => [d.type, d.document, d.item, d.line]),
    [
      ['object', 1, undefined, 2],
      ['empty', 2, undefined, 9], // from its --- marker
      ['object', 3, 0, 13],
      ['object', 3, 1, 15],
    ],
  )
  const [first, , , slice] = docs
  if (first?.type !== 'object' || slice?.type !== 'object') throw new Error('expected objects')
  t.equal(first.lineOf('spec.ports[1].name'), 8)
  t.equal(first.lineOf('spec.selector'), 5, 'a missing field: the line of its parent')
  t.equal(first.lineOf('(object)'), 2)
  t.equal(slice.lineOf('metadata.labels[k]'), 17)
  t.equal(slice.lineOf('metadata.labels[kubernetes.io/service-name]'), 17)
})

t.test('a broken document is an error with its line; the next one is still read', async (t) => {
  const docs = [...manifestDocuments('a: [1\n---\nkind: Service\n', 'f.yaml')]
  t.equal(docs.length, 2)
  t.match(docs[0], { type: 'error', document: 1, message: /^cannot parse: .*\(line \d+, column \d+\)$/ })
  t.match(docs[1], { type: 'object', document: 2, object: { kind: 'Service' } })
})

t.test('typed lists give their kind to items without one', async (t) => {
  const docs = [...manifestDocuments('{"kind":"ServiceList","items":[{"metadata":{"name":"a"}}]}', 'f.json')]
  t.match(docs, [{ type: 'object', item: 0, object: { kind: 'Service', metadata: { name: 'a' } } }])
})

t.test('the first pass: only Namespaces and Services are converted', async (t) => {
  const text = 'kind: Deployment\n---\nkind: Service\n---\nkind: List\nitems: [{kind: Namespace}]\n'
  const docs = [...manifestDocuments(text, 'f.yaml', new Set(['Service', 'Namespace']))]
  t.same(
    docs.map((d) => (d.type === 'object' ? d.object['kind'] : d.type)),
    ['Service', 'Namespace'],
  )
  t.ok(mayContainContextKinds('kind: Service\n'))
  t.ok(mayContainContextKinds('{"kind": "NamespaceList"}'))
  t.notOk(mayContainContextKinds('kind: ServiceAccount\n'))
  t.ok(mayContainContextKinds('kind: EndpointSlice\n'))
  t.ok(mayContainContextKinds('kind: NodeList\n'))
  t.notOk(mayContainContextKinds('kind: Endpoints\n'))
  t.notOk(mayContainContextKinds('kind: NodePool\n'))
})

/** Every field path of a value as findings render them (`a.b[0][k.x]`), the object itself included. */
function fieldPaths(value: unknown, path = ''): string[] {
  const own = path === '' ? '(object)' : path
  if (Array.isArray(value)) return [own, ...value.flatMap((v, i) => fieldPaths(v, `${path}[${i}]`))]
  if (value === null || typeof value !== 'object') return [own]
  const key = (k: string) => (/^[\w-]+$/.test(k) ? (path === '' ? k : `${path}.${k}`) : `${path}[${k}]`)
  return [own, ...Object.entries(value).flatMap(([k, v]) => fieldPaths(v, key(k)))]
}

/** What a document says, the line of each of its fields (and of a missing one) included. */
function described(doc: ManifestDocument): unknown {
  if (doc.type !== 'object') return doc
  const { lineOf, ...data } = doc
  return { ...data, lines: [...fieldPaths(doc.object), 'spec.missing[3].field'].map((p) => [p, lineOf(p)]) }
}

t.test('kept documents restore as the text parses: objects, errors, empty documents, and the line of every field', async (t) => {
  const text = [
    '# leading comment',
    '  kind: Service', //                    indented: parsed alone it must start at its line, not its first key
    '  metadata: {name: a, labels: {app.kubernetes.io/name: a}}',
    '  spec:',
    '    ports: [{name: x, port: 1}, {name: y, port: 2}]',
    '---',
    'kind: EndpointSlice',
    'base: &base {ready: true}',
    'endpoints:',
    '  - addresses: [10.0.0.1]',
    '    conditions: {<<: *base, serving: true}',
    'note: |+',
    '  kept',
    '',
    '...',
    '# between documents',
    '--- {kind: Endpoints, subsets: [{addresses: [{ip: 10.0.0.2}]}]}',
    '---',
    'a: [1',
    '---',
    '---',
    'kind: List',
    'items:',
    '  - kind: Service',
    '    metadata: {name: b}',
    '---',
    '- not a mapping',
    '',
  ].join('\n')
  const json = storeDocuments(text, 'f.yaml')
  if (json === undefined) throw new Error('expected the documents to be kept')
  const parsed = [...manifestDocuments(text, 'f.yaml')].map(described)
  t.same(parsed.map((d) => (d as { type: string }).type), ['object', 'object', 'object', 'error', 'empty', 'object', 'error'])
  t.strictSame([...restoreDocuments(json, text, 'f.yaml')].map(described), parsed)
})

t.test('documents JSON would not carry as they are, or that cannot be parsed alone, are not kept', async (t) => {
  t.equal(storeDocuments('%YAML 1.1\n---\nkind: Service\n', 'f.yaml'), undefined, 'a directive')
  t.equal(storeDocuments('kind: Service\na: &x [1]\nb: *x\n', 'f.yaml'), undefined, 'an alias reached twice')
  t.equal(storeDocuments('kind: Service\nport: .inf\n', 'f.yaml'), undefined, 'a non-finite number')
  t.equal(storeDocuments('kind: Service\nport: -0\n', 'f.yaml'), undefined, 'minus zero')
  t.type(storeDocuments('kind: Service\nport: 0\n', 'f.yaml'), 'string')
})

t.test('inputs: directories in name order, hidden entries and other extensions skipped, missing paths reported', async (t) => {
  const dir = t.testdir({
    'b.yaml': '',
    'a.json': '',
    'notes.txt': '',
    '.git': { 'x.yaml': '' },
    sub: { 'c.yml': '' },
  })
  const inputs = []
  for await (const input of manifestInputs([dir, `${dir}/notes.txt`, `${dir}/missing.yaml`, '-'])) inputs.push(input)
  t.same(inputs, [
    { file: `${dir}/a.json` },
    { file: `${dir}/b.yaml` },
    { file: `${dir}/sub/c.yml` },
    { file: `${dir}/notes.txt` },
    { file: `${dir}/missing.yaml`, error: 'cannot read: no such file or directory' },
    { file: 'stdin', stdin: true },
  ])
})
