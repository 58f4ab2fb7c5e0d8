// check's fast first pass (src/manifest/plain-yaml.ts): what it stores is what the yaml reading stores, byte for
// byte, on every fixture, on the bench's manifests and on generated texts full of YAML's corners; and it is taken.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { documentAt, fileOf } from '../../bench/check-throughput.mjs'
import { storedDocuments } from '../../src/manifest/documents.js'
import { sharedDirCandidates } from '../deploy/support/render.js'
import { repoRoot } from '../support/fixtures.js'

// FUZZ_SEED=<n> replays a failing run: fast-check prints the seed and the shrunk counterexample.
const seed = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) }

/** What storeDocuments stores from `text` read both ways, and whether the plain reading was taken. */
function bothWays(text: string): { plain: boolean; same: boolean; fast: string | undefined; yaml: string | undefined } {
  const fast = storedDocuments(text, 'f.yaml', 'plain')
  const yaml = storedDocuments(text, 'f.yaml', 'yaml').json
  return { plain: fast.read === 'plain', same: fast.json === yaml, fast: fast.json, yaml }
}

function* manifestFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) yield* manifestFiles(file)
    else if (/\.(?:ya?ml|json)$/.test(name)) yield file
  }
}

t.test('every fixture is stored as yaml stores it', async (t) => {
  // ../shared holds the upstream examples next to the checkout; a clone without it still runs the rest.
  const shared = sharedDirCandidates().map((dir) => path.join(dir, 'fixtures'))
  const roots = [path.join(repoRoot, 'test', 'fixtures'), path.join(repoRoot, 'schemas'), ...shared].filter((dir) => existsSync(dir))
  let files = 0
  let plain = 0
  for (const root of roots) {
    for (const file of manifestFiles(root)) {
      const both = bothWays(readFileSync(file, 'utf8'))
      files++
      if (both.plain) plain++
      if (!both.same) t.equal(both.fast, both.yaml, path.relative(repoRoot, file))
    }
  }
  t.ok(files > 50, `${files} files`)
  t.ok(plain > 30, `${plain} of them read the plain way`)
})

t.test('the bench manifests take the plain reading, and store as yaml does', async (t) => {
  for (let first = 0; first < 200; first += 10) {
    const text = fileOf(Array.from({ length: 10 }, (_, i) => documentAt(first + i)))
    const both = bothWays(text)
    t.ok(both.plain, `documents ${first}-${first + 9} read the plain way`)
    t.equal(both.fast, both.yaml)
  }
})

/** `kubectl get svc,endpointslice -o yaml`-style output of single objects (a `kind: List` goes to yaml). */
const kubectlService = `apiVersion: v1
kind: Service
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"web","namespace":"shop"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}],"selector":{"app":"web"}}}
  creationTimestamp: "2025-03-01T10:22:31Z"
  labels:
    app.kubernetes.io/name: web
  name: web
  namespace: shop
  resourceVersion: "48213"
  uid: 5b1d2c3e-8f0a-4d6b-9c1e-2a3b4c5d6e7f
spec:
  clusterIP: 10.96.14.7
  clusterIPs:
  - 10.96.14.7
  internalTrafficPolicy: Cluster
  ipFamilies:
  - IPv4
  ipFamilyPolicy: SingleStack
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
  selector:
    app: web
  sessionAffinity: None
  type: ClusterIP
status:
  loadBalancer: {}
`
const kubectlSlice = `addressType: IPv4
apiVersion: discovery.k8s.io/v1
endpoints:
- addresses:
  - 10.244.1.17
  conditions:
    ready: true
    serving: true
    terminating: false
  nodeName: worker-1
  targetRef:
    kind: Pod
    name: web-7c9f8d6b5-x2k4q
    namespace: shop
    uid: 0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7
  zone: eu-west-1a
kind: EndpointSlice
metadata:
  annotations:
    endpoints.kubernetes.io/last-change-trigger-time: "2025-03-01T10:22:40Z"
  creationTimestamp: "2025-03-01T10:22:31Z"
  generateName: web-
  generation: 3
  labels:
    endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
    kubernetes.io/service-name: web
  name: web-8xq2m
  namespace: shop
  ownerReferences:
  - apiVersion: v1
    blockOwnerDeletion: true
    controller: true
    kind: Service
    name: web
    uid: 5b1d2c3e-8f0a-4d6b-9c1e-2a3b4c5d6e7f
  resourceVersion: "48260"
  uid: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d
ports:
- name: http
  port: 8080
  protocol: TCP
`

t.test('kubectl -o yaml output takes the plain reading, and stores as yaml does', async (t) => {
  for (const text of [kubectlService, kubectlSlice, `${kubectlService}---\n${kubectlSlice}`]) {
    const both = bothWays(text)
    t.ok(both.plain)
    t.equal(both.fast, both.yaml)
    t.type(both.fast, 'string')
  }
})

t.test('what the plain reading declines goes to yaml, with its errors and lines', async (t) => {
  const declined: Array<[string, string]> = [
    ['a: [1\n---\nkind: Service\n', 'a parse error'],
    ['kind: Service\na: 1\na: 2\n', 'a duplicate key'],
    ['kind: List\nitems:\n  - kind: Service\n', 'a List'],
    ['kind: Service\nnull: 1\n', 'a null key'],
    ['kind: Service\r\nport: 1\r\n', 'CRLF'],
    ['kind: Service\nx: &a 1\ny: *a\n', 'an anchor'],
    ['kind: Service\nx: !!str 1\n', 'a tag'],
    ['kind: Service\n? x\n: 1\n', 'an explicit key'],
    ['kind: Service\n[a]: 1\n', 'a collection as a key'],
    ['a: 1\n...\nb: 2\n', 'a document end'],
    ['kind: Service\nx: [1,\n  2]\n', 'a flow collection over lines'],
    ['kind: Service\nx: "a"#c\n', 'a comment right after a quoted scalar'],
    ['--- kind: Service\n', 'a mapping on a --- line'],
    [`kind: Service\n${'k'.repeat(1100)}: 1\n`, 'a key longer than yaml allows'],
    ['kind: Service\nx: |2\n  a\n', 'an indentation indicator'],
  ]
  for (const [text, what] of declined) {
    const both = bothWays(text)
    t.notOk(both.plain, what)
    t.equal(both.fast, both.yaml, what)
  }
})

// The generated texts: documents of block and flow collections, scalars in every form resolved by the YAML 1.2
// core schema and their near misses, quoted and block scalars, comments, markers, and the features the plain
// reading declines (so each run also checks that declining gives yaml's answer).
const plainScalars = [
  '~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'off', 'y', 'n',
  '0', '-0', '+0', '1', '+1', '-1', '012', '0o17', '0o8', '0O17', '0x1F', '0xff', '0X1F', '0x', '0b101', '1_000', '123456789012345678901234567890',
  '9007199254740993', '.5', '-.5', '1.', '1.0', '1.10', '+1.5', '1e3', '1E+3', '1e-3', '1.5e3', '1e', 'e3', '.e3', '.inf', '-.inf', '+.Inf', '.INF', '.iNF',
  '.nan', '.NaN', '.NAN', 'nan', 'NaN', 'Infinity', '-Infinity', '~x', 'x~', '2001-12-14', '2001-12-14T21:59:43.10-05:00', '12:30:00', '1:2', '190:20:30',
  'a b', 'a  b', 'http://example.com/a?b=c#d', 'a#b', 'x:y', '-x', '--x', ':x', '?x', 'a,b', 'a]', 'a}', '@x', '`x`', '%x', 'a: b', '- x', '10.0.0.1',
  '2001:db8::1', "it's", 'a"b', '=', '<', '<<', '--- x', '... x', '-', '?', 'a #b', 'a #', '"x" y', "'x' y", '0.', '00', '08', '0o', '+', '.', '-.',
  '\u00e9t\u00e9', '\u{1F600}', 'NULL ', 'true ',
  // multi-line plain scalars (their further lines one deeper than their key)
  'a\nb', 'a\n\nb', 'a b\n c d', '1\n2', 'true\nfalse', 'a\n\n\nb  ', 'x\n# not a comment?', 'a\n- b', 'a\nb: c', 'a:b\nc',
]
const quotedScalars = [
  '""', "''", '"x"', "'x'", '"1"', "'true'", '"a\\nb"', '"\\t\\"\\\\"', '"\\x41"', '"\\u00e9"', '"\\U0001F600"', '"\\ud83d\\ude00"', '"\\ud800"',
  '"\\/"', '"\\ "', '"\\N\\_\\L\\P"', '"\\e\\0\\a\\b\\v\\f\\r"', '"\\q"', '"\\x4"', "'it''s'", "'a\\nb'", '"#x"', "'# x'", '"a # b"', '"a: b"',
  '"null"', "'~'", '"a\\\n  b"', '"a\n  b"', "'a\n\n  b'", '"a\n\n  b  \n  c"', "'a\n  b'", '"unterminated', "'x'x", '"x"x', '"\\U00110000"', '"\\Uffffffff"', '"a\\\n\n  b"', '"a\\\n  b"',
]
const blockHeaders = ['|', '|-', '|+', '>', '>-', '>+', '|2', '>1', '|-2', '|2+', '| # c', '>  # c', '|0', '|10']
const keys = [
  'a', 'kind', 'items', 'name', 'port', '"a"', "'a'", '"a b"', 'a b', '1', '-1', '0x10', '1.0', '1e3', '.inf', 'true', 'True', 'null', '~', '""',
  '__proto__', 'toString', 'constructor', '"null"', 'x-y', 'a.b', 'a/b', '"\\u0041"', '1:2', '2001-12-14', '<<',
  // yaml's limit: a `:` at most 1024 characters after the start of its key
  `?${'k'.repeat(1023)}`.slice(1), `"${'k'.repeat(1030)}"`,
]
const comments = ['', '', '', '', '', '', ' # c', ' #c', '  # a: b', ' # ---', '#c']
const flows = [
  '{}', '[]', '{a: b}', '{ a: 1, b: [x, y] }', '[1, 2]', '[a, {b: c}]', '[a: b]', '{a}', '{a, b: c}', '[a, b, ]', '{a: b,}', '[[1], [2]]',
  '{"a": 1, "b": [true, null]}', '{a: 1}x', '[a b]', '{a: b c}', '[-1, .5, 0x1F, ~]', '{a: "x", b: \'y\'}', '[a, b', '{a: {b: {c: d}}}',
  '{kind: List, items: [{kind: Service}]}', '{"a":1}', '[ ]', '{ }', '[,]', '{a: [1, 2], b: {c: d}}',
]

interface Ctx {
  indent: number
}
type Render = (ctx: Ctx) => { inline: string; below: string[] }

/** What makes a text declined or an error (so the whole text goes to yaml): rarer, so that most texts are read both ways. */
const rare = (s: string) => /[&*!?<@`%\t]|^[-:]|^[^[{]*[[{][^\]}]*$|: |\\[qx]|^"[^"]*$|['"]\w|\n[-#]|^[|>].*\d|\.\.\./.test(s)
const pieces = (all: string[]) => fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...all.filter((s) => !rare(s))) }, { weight: 1, arbitrary: fc.constantFrom(...all.filter(rare)) })

const pad = (n: number) => ' '.repeat(n)
const scalar: fc.Arbitrary<Render> = fc
  .oneof({ weight: 3, arbitrary: pieces(plainScalars) }, { weight: 2, arbitrary: pieces(quotedScalars) }, { weight: 1, arbitrary: pieces(flows) })
  .map((s) => (ctx: Ctx) => {
    // Continuation lines of multi-line scalars go one deeper than the key that holds them.
    const [first = '', ...rest] = s.split('\n')
    return { inline: first, below: rest.map((line) => pad(ctx.indent + 1) + line.trimStart()) }
  })
const blockScalar: fc.Arbitrary<Render> = fc
  .tuple(fc.constantFrom(...blockHeaders), fc.array(pieces(['x', 'a b', '', '  more', ' one', 'k: v', '# not a comment', 'x  ', 'a: [b', '{c', '---']), { maxLength: 4 }), fc.constantFrom(1, 2, 3))
  .map(([header, body, step]) => (ctx: Ctx) => ({ inline: header, below: body.map((line) => (line === '' ? '' : pad(ctx.indent + step) + line)) }))

const { value } = fc.letrec<{ value: Render; map: Render; seq: Render }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, scalar, blockScalar, tie('map'), tie('seq')),
  map: fc
    .tuple(fc.array(fc.tuple(fc.constantFrom(...keys), tie('value'), fc.constantFrom(...comments)), { minLength: 1, maxLength: 4 }), fc.constantFrom(1, 2, 4))
    .map(([entries, step]) => (ctx: Ctx) => {
      const lines: string[] = []
      for (const [key, v, comment] of entries) {
        const child = v({ indent: ctx.indent + step })
        const isBlock = child.inline === '' && child.below.length > 0
        lines.push(`${pad(ctx.indent)}${key}:${child.inline === '' ? '' : ` ${child.inline}`}${isBlock || child.below.length === 0 ? comment : ''}`)
        lines.push(...child.below)
      }
      // A map below its key: its own lines; as a document: the same, inline is empty.
      return { inline: '', below: lines }
    }),
  seq: fc
    .tuple(fc.array(fc.tuple(tie('value'), fc.constantFrom(...comments)), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([items, sameIndent]) => (ctx: Ctx) => {
      // `key:\n- a` (a sequence as deep as its key) is allowed; else one deeper.
      const indent = sameIndent ? Math.max(ctx.indent - 2, 0) : ctx.indent
      const lines: string[] = []
      for (const [v, comment] of items) {
        const child = v({ indent: indent + 2 })
        if (child.inline === '' && child.below.length > 0 && child.below[0]?.startsWith(pad(indent + 2)) === true && !/^\s*$/.test(child.below[0] ?? '')) {
          // A map or sequence item: compact, its first line after the dash.
          lines.push(`${pad(indent)}- ${(child.below[0] ?? '').slice(indent + 2)}${comment}`)
          lines.push(...child.below.slice(1))
        } else {
          lines.push(`${pad(indent)}-${child.inline === '' ? '' : ` ${child.inline}`}${comment}`)
          lines.push(...child.below)
        }
      }
      return { inline: '', below: lines }
    }),
}))

const kindLine = fc.constantFrom('', 'kind: Service', 'kind: List', 'kind: ServiceList', 'apiVersion: v1')
const documentBody = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(kindLine, value).map(([kind, v]) => {
    const r = v({ indent: 0 })
    const lines = r.inline === '' ? r.below : [r.inline, ...r.below]
    // A kind only above a mapping.
    return kind === '' || r.inline !== '' || /^(?:- |-$|\s)/.test(lines[0] ?? '') ? lines : [kind, ...lines]
  }) },
  { weight: 1, arbitrary: fc.constantFrom([], ['# only a comment'], [''], ['  # indented comment', '']) },
  { weight: 1, arbitrary: fc.constantFrom(['kind: List', 'items:', '- kind: Service', '  metadata: {name: a}', '- kind: List', '  items: [{kind: Service}]']) },
)
const marker = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom('---', '---', '---', '--- # c', '---  ', '--- {a: 1}', '--- |', '--- >-\n  folded', '--- x', '--- [1, 2]', '--- "x"') },
  { weight: 1, arbitrary: fc.constantFrom('...', '...\n---', '---\n...', '...\n# c', '--- a: 1', '--- - a', '--- "a": b', '--- a:') },
)
const damage = fc.oneof({ weight: 12, arbitrary: fc.constantFrom('none', 'trailing', 'leading') }, { weight: 1, arbitrary: fc.constantFrom('crlf', 'tab', 'bom') })

const texts = fc
  .tuple(fc.array(fc.tuple(marker, documentBody), { minLength: 0, maxLength: 3 }), documentBody, fc.boolean(), damage, fc.nat())
  .map(([rest, first, firstMarker, how, at]) => {
    const lines: string[] = firstMarker ? ['---', ...first] : [...first]
    // After a marker with contents (`--- {a: 1}`), only that document, else a marker line and a body.
    for (const [m, body] of rest) lines.push(...m.split('\n'), ...(/^--- *[^ #]/.test(m) ? [] : body))
    const line = lines.length === 0 ? 0 : at % lines.length
    switch (how) {
      case 'crlf':
        return `${lines.join('\r\n')}\r\n`
      case 'tab':
        lines[line] = `${lines[line] ?? ''}\t`
        break
      case 'trailing':
        lines[line] = `${lines[line] ?? ''}  `
        break
      case 'bom':
        return `\uFEFF${lines.join('\n')}\n`
      case 'leading':
        lines.unshift('', '# leading', '')
        break
      case 'none':
        break
    }
    return lines.join('\n') + (at % 3 === 0 ? '' : '\n')
  })

t.test('generated texts: the plain reading stores what yaml stores, or declines', async (t) => {
  let plain = 0
  const numRuns = 2000
  fc.assert(
    fc.property(texts, (text) => {
      const both = bothWays(text)
      if (both.plain) plain++
      return both.same
    }),
    { numRuns, ...seed },
  )
  // Else the property says little about the plain reading itself.
  t.ok(plain > numRuns / 5, `${plain} of ${numRuns} read the plain way`)
})
