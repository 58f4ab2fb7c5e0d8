// One answer per address: for random addresses, every spelling the strict parser accepts reads to the same bytes,
// the same lookup key and the same verdict of every IP keyword. Spellings: compressed or not, upper or lower case,
// leading zeros in groups, and the dotted tail for the last 32 bits.
import fc from 'fast-check'
import t from 'tap'
import { createAjv } from '../../src/policy/ajv.js'
import { addressKey, formatAddress, parseIp } from '../../src/policy/ip.js'

function groupsOf(bytes: readonly number[]): number[] {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0))
  return groups
}

/** Several spellings of the same 16 bytes. */
function spellings(bytes: readonly number[]): string[] {
  const groups = groupsOf(bytes)
  const hex = groups.map((g) => g.toString(16))
  const quad = bytes.slice(12).join('.')
  return [
    hex.join(':'),
    groups.map((g) => g.toString(16).padStart(4, '0')).join(':'),
    hex.join(':').toUpperCase(),
    `${hex.slice(0, 6).join(':')}:${quad}`,
    formatAddress({ kind: 'ipv6', bytes }),
  ]
}

// Bytes with some structure, so mapped, compatible, loopback and link-local addresses come up often.
const interesting = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((v4) => [...Array<number>(10).fill(0), 0xff, 0xff, ...v4]),
  fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((v4) => [...Array<number>(12).fill(0), ...v4]),
  fc.constantFrom([...Array<number>(12).fill(0), 127, 0, 0, 1], [...Array<number>(10).fill(0), 0xff, 0xff, 169, 254, 169, 254], [0xfe, 0x80, ...Array<number>(14).fill(0)]),
)

const schema = {
  type: 'array',
  items: { ipAddress: 'any', ipNotSpecial: ['unspecified', 'loopback', 'linkLocal', 'multicast', 'broadcast'], ipNotInCidrs: ['100.100.100.200/32', 'fd00:ec2::254/128', '10.0.0.0/8'] },
}

t.test('every accepted spelling of an address gets the same bytes, key and verdict', async (t) => {
  const validate = createAjv().compile(schema)
  const verdict = (text: string) => {
    const ok = validate([text])
    return { ok, reasons: (validate.errors ?? []).map((e) => String(e.message)).sort() }
  }
  fc.assert(
    fc.property(interesting, (bytes) => {
      const texts = spellings(bytes)
      const parsed = texts.map(parseIp)
      if (!parsed.every((p) => p.ok)) return false
      const keys = new Set(texts.map(addressKey))
      const bytesSeen = new Set(parsed.map((p) => (p.ok ? p.address.bytes.join('.') : '')))
      const verdicts = new Set(texts.map((text) => JSON.stringify(verdict(text))))
      return keys.size === 1 && bytesSeen.size === 1 && verdicts.size === 1
    }),
    { numRuns: 2000, seed: 9 },
  )
  t.pass('2000 addresses, five spellings each')
})

t.test('an IPv4 address and its mapped spelling are one address for lookups', async (t) => {
  t.equal(addressKey('::ffff:10.0.0.1'), addressKey('10.0.0.1'))
  t.equal(addressKey('0:0:0:0:0:ffff:a00:1'), '10.0.0.1')
  t.not(addressKey('::10.0.0.1'), addressKey('10.0.0.1'), 'IPv4-compatible is another address')
  t.equal(addressKey('::10.0.0.1'), addressKey('::a00:1'))
})
