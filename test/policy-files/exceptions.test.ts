// Loading PolicyException files: validated at load against schemas/policy-exception.schema.json and the loaded
// policies, each problem named by its file and JSON pointer as for policies; layered as policies are.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { guardedKinds } from '../../src/kube/kinds.js'
import { bundledPaths } from '../../src/paths.js'
import { PolicyLoadError } from '../../src/policy/compile.js'
import { loadPolicies } from '../../src/policy-files/read.js'

function exception(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'PolicyException',
    id: 'legacy-proxy',
    policies: ['service-external-ips'],
    match: { kinds: ['Service'], namespaces: ['edge'], names: ['proxy'] },
    reason: 'edge proxy migration, NET-1234',
    expires: '2030-01-31T18:00:00Z',
    ...overrides,
  }
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

const bad: Array<{ name: string; doc: Record<string, unknown>; pointer: string; says: string }> = [
  { name: 'no reason', doc: (({ reason: _r, ...rest }) => rest)(exception()), pointer: '/', says: "must have required property 'reason'" },
  { name: 'an empty reason', doc: exception({ reason: '' }), pointer: '/reason', says: 'must NOT have fewer than 1 characters' },
  { name: 'no expiry', doc: (({ expires: _e, ...rest }) => rest)(exception()), pointer: '/', says: "must have required property 'expires'" },
  { name: 'a match with only kinds', doc: exception({ match: { kinds: ['Service'] } }), pointer: '/match', says: 'needs namespaces or names (or both)' },
  { name: 'an empty match', doc: exception({ match: {} }), pointer: '/match', says: 'needs namespaces or names' },
  { name: 'an expiry that is no RFC 3339 time', doc: exception({ expires: 'next Tuesday' }), pointer: '/expires', says: 'must be an RFC 3339 date-time' },
  { name: 'an expiry without a time zone', doc: exception({ expires: '2030-01-31T18:00:00' }), pointer: '/expires', says: 'must be an RFC 3339 date-time' },
  { name: 'an impossible date', doc: exception({ expires: '2030-02-30' }), pointer: '/expires', says: 'RFC 3339' },
  { name: 'a misspelt property', doc: { ...exception(), reasn: 'x' }, pointer: '/reasn', says: 'unknown property "reasn" (did you mean "reason"?)' },
  { name: 'a kind endpoint-guard does not guard', doc: exception({ match: { kinds: ['Pod'], names: ['x'] } }), pointer: '/match/kinds/0', says: 'must be one of' },
  { name: 'an id that is no DNS label', doc: exception({ id: 'Legacy_Proxy' }), pointer: '/id', says: 'must match pattern' },
  { name: 'a policy that is not loaded', doc: exception({ policies: ['service-external-ip'] }), pointer: '/policies/0', says: 'no policy "service-external-ip" is loaded (did you mean "service-external-ips"?)' },
  { name: 'a mutate policy', doc: exception({ policies: ['endpointslice-default-managed-by'] }), pointer: '/policies/0', says: 'is a mutate policy' },
]

for (const c of bad) {
  t.test(`an exception with ${c.name} is refused with its file and pointer`, async (t) => {
    const dir = t.testdir({ 'legacy-proxy.json': json(c.doc) })
    const err = await loadPolicies([bundledPaths.policies, dir]).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.type(err, PolicyLoadError)
    if (!(err instanceof PolicyLoadError)) return
    t.equal(err.file, path.join(dir, 'legacy-proxy.json'), 'names the file')
    t.equal(err.pointer === '' ? '/' : err.pointer, c.pointer, 'names the JSON pointer')
    t.match(err.problem, c.says)
  })
}

t.test('a valid exception loads beside the policies, with the instant it stops applying', async (t) => {
  const dir = t.testdir({ 'legacy-proxy.json': json(exception()), 'until-a-day.json': json(exception({ id: 'until-a-day', expires: '2030-01-31' })) })
  const set = await loadPolicies([bundledPaths.policies, dir])
  t.same(set.exceptions.map((e) => [e.id, e.expiresAt]), [
    ['legacy-proxy', Date.parse('2030-01-31T18:00:00Z')],
    ['until-a-day', Date.parse('2030-02-01T00:00:00Z')],
  ], 'a date applies through that whole day, UTC')
  t.notOk(set.policies.some((p) => p.id === 'legacy-proxy'), 'an exception is no policy')
})

t.test('layers: a later directory replaces an exception of the same id; two in one directory are an error', async (t) => {
  const root = t.testdir({ first: { 'a.json': json(exception()) }, second: { 'b.json': json(exception({ reason: 'renewed, NET-1300' })) } })
  const [first, second] = [path.join(root, 'first'), path.join(root, 'second')]
  const set = await loadPolicies([bundledPaths.policies, first, second])
  t.same(set.exceptions.map((e) => [e.id, e.document.reason]), [['legacy-proxy', 'renewed, NET-1300']])
  t.same(set.replaced.filter((r) => r.kind === 'PolicyException'), [{ id: 'legacy-proxy', file: path.join(first, 'a.json'), by: path.join(second, 'b.json'), kind: 'PolicyException' }])

  const twice = path.join(root, 'twice')
  mkdirSync(twice)
  writeFileSync(path.join(twice, 'a.json'), json(exception()))
  writeFileSync(path.join(twice, 'b.json'), json(exception()))
  await t.rejects(loadPolicies([bundledPaths.policies, twice]), { pointer: '/id', message: /exception id "legacy-proxy" is already defined in/ })
})

t.test('the shipped schema lists the guarded kinds', async (t) => {
  const schema = JSON.parse(readFileSync(bundledPaths.exceptionSchema, 'utf8')) as { properties: { match: { properties: { kinds: { items: { enum: string[] } } } } } }
  t.same(schema.properties.match.properties.kinds.items.enum, [...guardedKinds])
})
