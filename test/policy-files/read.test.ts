// Loading policy directories: a policy that cannot be used is named by its file and the JSON pointer of the
// problem (PRODUCT.md §3), and nothing from a bad directory is used. Each case writes a directory of its own.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { GuardError } from '../../src/errors.js'
import { bundledPaths } from '../../src/paths.js'
import { createAjv } from '../../src/policy/ajv.js'
import { PolicyLoadError } from '../../src/policy/compile.js'
import { loadPolicies, readMetaSchema } from '../../src/policy-files/read.js'

/** A small valid policy; cases change one thing in it. */
function policy(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: '../policy.schema.json',
    id: 'external-ips',
    description: 'No external IPs outside the allowed CIDRs.',
    action: 'deny',
    match: { kinds: ['Service'] },
    schema: {
      type: 'object',
      properties: { spec: { type: 'object', properties: { externalIPs: { type: 'array', items: { type: 'string', ipAddress: 'any', ipInCidrs: ['203.0.113.0/24'] } } } } },
    },
    ...overrides,
  }
}

/** The same schema with one node replaced at spec.externalIPs.items. */
function withItems(items: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', properties: { spec: { type: 'object', properties: { externalIPs: { type: 'array', items } } } } }
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

interface BadDirectory {
  name: string
  files: Record<string, string>
  /** the file named in the error, relative to the directory */
  file: string
  pointer: string
  /** fragments the message must contain besides the file and pointer */
  says: string[]
}

const bad: BadDirectory[] = [
  {
    name: 'invalid JSON',
    files: { 'external-ips.json': '{\n  "id": "external-ips",\n  "action": deny\n}\n' },
    file: 'external-ips.json',
    pointer: '/',
    says: ['not valid JSON'],
  },
  {
    name: 'invalid JSON that the parser can place: the line is given',
    files: { 'external-ips.json': '{\n  "id": "external-ips",\n  oops\n}\n' },
    file: 'external-ips.json',
    pointer: '/',
    says: ['not valid JSON', '(line 3)'],
  },
  {
    name: 'an unknown top-level property, pointed at itself, with the name it may have meant',
    files: { 'external-ips.json': json(policy({ matches: { kinds: ['Service'] } })) },
    file: 'external-ips.json',
    pointer: '/matches',
    says: ['unknown property "matches" (did you mean "match"?)'],
  },
  {
    name: 'a missing required property',
    files: { 'external-ips.json': json({ ...policy(), description: undefined }) },
    file: 'external-ips.json',
    pointer: '/',
    says: ["must have required property 'description'"],
  },
  {
    name: 'a bad action',
    files: { 'external-ips.json': json(policy({ action: 'block' })) },
    file: 'external-ips.json',
    pointer: '/action',
    says: ['must be one of "deny", "warn", "audit", "mutate"'],
  },
  {
    name: 'an id that is not a DNS-1123 label',
    files: { 'external-ips.json': json(policy({ id: 'External_IPs' })) },
    file: 'external-ips.json',
    pointer: '/id',
    says: ['must match pattern'],
  },
  {
    name: 'an unknown kind',
    files: { 'external-ips.json': json(policy({ match: { kinds: ['Service', 'Pod'] } })) },
    file: 'external-ips.json',
    pointer: '/match/kinds/1',
    says: ['must be one of "Service", "EndpointSlice", "Endpoints"'],
  },
  {
    name: 'an unknown keyword deep in the schema (a typo of a custom keyword)',
    files: { 'external-ips.json': json(policy({ schema: withItems({ type: 'string', ipAdress: 'any' }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/ipAdress',
    says: ['unknown keyword "ipAdress" (did you mean "ipAddress"?)'],
  },
  {
    name: 'a misspelt standard keyword (requried)',
    files: { 'external-ips.json': json(policy({ schema: { type: 'object', properties: { metadata: { type: 'object', requried: ['name'] } } } })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/metadata/requried',
    says: ['unknown keyword "requried" (did you mean "required"?)'],
  },
  {
    name: 'a message keyed by a keyword that does not exist (once silently ignored)',
    files: { 'external-ips.json': json(policy({ schema: withItems({ type: 'string', ipInCidrs: [], message: { ipInCidr: 'never shown' } }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/message/ipInCidr',
    says: ['message key "ipInCidr" is not a keyword (did you mean "ipInCidrs"?)'],
  },
  {
    name: 'a message keyed by a keyword that reports no failure of its own',
    files: { 'external-ips.json': json(policy({ schema: withItems({ if: { type: 'string' }, then: { ipAddress: 'any' }, message: { then: 'never shown' } }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/message/then',
    says: ['message key "then" is not allowed: then reports no failure of its own'],
  },
  {
    name: 'a keyword value of the wrong shape',
    files: { 'external-ips.json': json(policy({ schema: withItems({ type: 'string', ipInCidrs: '203.0.113.0/24' }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/ipInCidrs',
    says: ['must be array'],
  },
  {
    name: 'a bad CIDR in ipInCidrs',
    files: { 'external-ips.json': json(policy({ schema: withItems({ type: 'string', ipInCidrs: ['10.0.0.0/33'] }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/ipInCidrs/0',
    says: ['"10.0.0.0/33" is not a valid CIDR'],
  },
  {
    name: 'the second CIDR of ipNotInCidrs is bad',
    files: { 'external-ips.json': json(policy({ schema: withItems({ type: 'string', ipNotInCidrs: ['10.0.0.0/8', '10.0.0.1'] }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/ipNotInCidrs/1',
    says: ['"10.0.0.1" is not a valid CIDR'],
  },
  {
    name: 'an unknown special range in ipNotSpecial',
    files: { 'external-ips.json': json(policy({ schema: withItems({ type: 'string', ipNotSpecial: ['private'] }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/ipNotSpecial/0',
    says: ['must be one of "unspecified", "loopback", "linkLocal", "multicast", "broadcast"'],
  },
  {
    name: 'an unknown format',
    files: { 'external-ips.json': json(policy({ schema: withItems({ type: 'string', format: 'dns-label' }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/format',
    says: ['unknown format "dns-label"', '"dns1123-label"'],
  },
  {
    name: 'a $ref to a policy that does not exist',
    files: {
      'external-ips.json': json(
        policy({ schema: withItems({ $ref: 'endpointslice-addresses#/$defs/address', allOf: [{ $ref: 'no-such-policy#/$defs/address' }] }) }),
      ),
      // the first $ref resolves: the error must point at the one that does not
      'endpointslice-addresses.json': json(
        policy({ id: 'endpointslice-addresses', match: { kinds: ['EndpointSlice'] }, schema: { $defs: { address: { type: 'string' } } } }),
      ),
    },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/allOf/0/$ref',
    says: ['$ref "no-such-policy#/$defs/address": no policy "no-such-policy" is loaded'],
  },
  {
    name: 'a $ref to a definition a loaded policy does not have',
    files: {
      'external-ips.json': json(policy({ schema: withItems({ $ref: 'endpointslice-addresses#/$defs/adress' }) })),
      'endpointslice-addresses.json': json(
        policy({ id: 'endpointslice-addresses', match: { kinds: ['EndpointSlice'] }, schema: { $defs: { address: { type: 'string' } } } }),
      ),
    },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/$ref',
    says: ['$ref "endpointslice-addresses#/$defs/adress": policy "endpointslice-addresses" has nothing at /$defs/adress'],
  },
  {
    name: 'a $ref to a URL: nothing is fetched',
    files: { 'external-ips.json': json(policy({ schema: withItems({ $ref: 'https://example.com/address.json' }) })) },
    file: 'external-ips.json',
    pointer: '/schema/properties/spec/properties/externalIPs/items/$ref',
    says: ['$ref "https://example.com/address.json": not a loaded policy', 'nothing is fetched'],
  },
  {
    name: 'duplicate ids',
    files: { 'a-external-ips.json': json(policy()), 'b-external-ips.json': json(policy()) },
    file: 'b-external-ips.json',
    pointer: '/id',
    says: ['policy id "external-ips" is already defined in', 'a-external-ips.json'],
  },
]

for (const c of bad) {
  t.test(`rejects a directory with ${c.name}`, async (t) => {
    const dir = t.testdir(c.files)
    const file = path.join(dir, c.file)
    const err = await loadPolicies([dir]).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.type(err, PolicyLoadError, 'a PolicyLoadError')
    t.type(err, GuardError, 'which is a GuardError')
    if (!(err instanceof PolicyLoadError)) return
    t.equal(err.code, 'EG_POLICY_INVALID')
    t.equal(err.file, file, 'names the file')
    t.equal(err.pointer === '' ? '/' : err.pointer, c.pointer, 'names the JSON pointer')
    t.ok(err.message.startsWith(`${file}: ${c.pointer}: `), 'the message starts with the file and the pointer', { message: err.message })
    for (const fragment of c.says) t.match(err.message, fragment, `says ${JSON.stringify(fragment)}`)
  })
}

t.test('rejects an empty directory', async (t) => {
  const dir = t.testdir({})
  await t.rejects(loadPolicies([dir]), { name: 'GuardError', code: 'EG_POLICIES_EMPTY', message: `No policy files (*.json) found in ${dir}.` })
})

t.test('rejects a directory with no *.json files (only hidden ConfigMap entries and other files)', async (t) => {
  const dir = t.testdir({ 'README.md': '# policies\n', '..data': { 'external-ips.json': json(policy()) }, '.hidden.json': json(policy()) })
  await t.rejects(loadPolicies([dir]), { code: 'EG_POLICIES_EMPTY' })
})

t.test('rejects a directory that does not exist, naming it', async (t) => {
  const dir = path.join(t.testdir({}), 'missing')
  await t.rejects(loadPolicies([dir]), { code: 'EG_POLICY_INVALID', message: new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: /: cannot read the policies directory`) })
})

t.test('a valid cross-policy $ref works: one policy uses another policy\'s $defs by id', async (t) => {
  const dir = t.testdir({
    'endpointslice-addresses.json': json({
      id: 'endpointslice-addresses',
      description: 'Address rules, shared.',
      action: 'deny',
      match: { kinds: ['EndpointSlice'] },
      schema: { $defs: { address: { type: 'string', ipNotSpecial: ['loopback'] } } },
    }),
    'external-ips.json': json(policy({ schema: withItems({ ipAddress: 'any', $ref: 'endpointslice-addresses#/$defs/address' }) })),
  })
  const set = await loadPolicies([dir])
  t.same(set.policies.map((p) => p.id), ['endpointslice-addresses', 'external-ips'], 'both policies load, in file-name order')
  t.equal(set.source, dir)
  const external = set.policies.find((p) => p.id === 'external-ips')
  if (external === undefined) throw new Error('external-ips is not loaded')
  t.equal(external.validate({ spec: { externalIPs: ['10.0.0.1'] } }), true, 'an ordinary address passes')
  t.equal(external.validate({ spec: { externalIPs: ['127.0.0.1'] } }), false, 'the referenced rule applies')
  t.match(external.validate.errors?.[0], { keyword: 'ipNotSpecial', instancePath: '/spec/externalIPs/0' })
  t.ok(Object.isFrozen(set) && Object.isFrozen(set.policies), 'the policy set is frozen')
})

t.test('the meta-schema accepts every bundled policy and the chart\'s copies, and every bundled policy loads', async (t) => {
  const meta = await readMetaSchema()
  const check = createAjv().compile(meta)
  const files = readdirSync(bundledPaths.policies).filter((name) => name.endsWith('.json')).sort()
  t.ok(files.length >= 16, 'the bundled policies are found')
  const chartDir = path.join(bundledPaths.packageRoot, 'charts/endpoint-guard/policies')
  for (const [dir, name] of [...files.map((f) => [bundledPaths.policies, f]), ...readdirSync(chartDir).map((f) => [chartDir, f])] as Array<[string, string]>) {
    const doc = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { id?: unknown; $schema?: unknown }
    const shown = path.relative(bundledPaths.packageRoot, path.join(dir, name))
    t.ok(check(doc), `${shown} is a valid policy`, { errors: check.errors })
    t.equal(doc.id, name.replace(/\.json$/, ''), `${shown}: the file is named after the policy id`)
    if (dir === bundledPaths.policies) t.equal(doc.$schema, '../policy.schema.json', `${shown}: points editors at the meta-schema`)
  }
  const set = await loadPolicies()
  t.same(set.policies.map((p) => p.id).sort(), files.map((f) => f.replace(/\.json$/, '')).sort(), 'every bundled file is loaded')
})
