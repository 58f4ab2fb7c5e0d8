import { guardError } from '../errors.js'

/*
 * The one IP parser of every policy and every context lookup. Strings are read the way Kubernetes' strict
 * validation (v1.33+, StrictIPCIDRValidation) reads them, and every decision is taken on the address's bytes, never
 * on its spelling, so two spellings of one address always get one answer. Own code rather than a library: the
 * common JavaScript parsers accept hex, octal and short IPv4 forms, rewrite `::a.b.c.d` to `::ffff:a.b.c.d` (other
 * bytes than the text says) and read embedded quads with parseInt, so the same digits meant different addresses
 * depending on where they stood.
 */

export type IpFamily = 'IPv4' | 'IPv6'

/** An address as bytes: 4 for IPv4, 16 for IPv6. Immutable by convention. */
export interface Address {
  readonly kind: 'ipv4' | 'ipv6'
  readonly bytes: readonly number[]
}

/**
 * How the text spelled the address, where that decides a verdict: `mapped` is `::ffff:a.b.c.d` in any spelling
 * (IPv4 traffic in IPv6 clothing), `compatible` the deprecated IPv4-compatible `::a.b.c.d` (RFC 4291 §2.5.5.1;
 * `::` and `::1` are not counted), whether written with a dotted quad or in hex (`::7f00:1`).
 */
export type IpForm = 'ipv4' | 'ipv6' | 'mapped' | 'compatible'

export type ParsedIp =
  | {
      ok: true
      family: IpFamily
      form: IpForm
      address: Address
      /** the address traffic goes to (IPv4-mapped as IPv4): effectiveAddress(address), computed once */
      effective: Address
      /** addressKey of the text, computed once */
      key: string
    }
  | { ok: false; reason: string }

const invalid = 'must be a valid IP address'
const octet = /^(0|[1-9][0-9]{0,2})$/
const zeroPadded = /^0[0-9]/
const hexGroup = /^[0-9a-fA-F]{1,4}$/
const ipv6Characters = /^[0-9a-fA-F:.]+$/

/** Four decimal octets, none above 255, none with a leading zero (octal to libc, decimal to Go). */
function parseV4(text: string): number[] | string {
  const parts = text.split('.')
  if (parts.length !== 4) return invalid
  if (parts.some((p) => zeroPadded.test(p) && /^[0-9]+$/.test(p))) return 'leading zeros'
  if (!parts.every((p) => octet.test(p))) return invalid
  const octets = parts.map(Number)
  return octets.every((o) => o <= 255) ? octets : invalid
}

/** RFC 4291 §2.2 text: 1-4 hex digits a group, at most one `::`, a dotted quad only as the last 32 bits. */
function parseV6(text: string): number[] | string {
  if (text.includes('%')) return 'must not carry an IPv6 zone'
  if (!ipv6Characters.test(text)) return invalid
  let head = text
  let quad: number[] | undefined
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':')
    const v4 = parseV4(text.slice(lastColon + 1))
    if (v4 === 'leading zeros') return 'must not have leading zeros in its IPv4 part'
    if (typeof v4 === 'string') return invalid
    quad = v4
    // The quad stands for the last two groups.
    head = `${text.slice(0, lastColon + 1)}0:0`
  }
  const halves = head.split('::')
  if (halves.length > 2) return invalid
  const groupsOf = (half: string | undefined): string[] => (half === undefined || half === '' ? [] : half.split(':'))
  const left = groupsOf(halves[0])
  const right = groupsOf(halves[1])
  if (![...left, ...right].every((g) => hexGroup.test(g))) return invalid
  const compressed = halves.length === 2
  const count = left.length + right.length
  if (compressed ? count > 7 : count !== 8) return invalid
  const groups = [...left, ...Array<string>(8 - count).fill('0'), ...right].map((g) => parseInt(g, 16))
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff])
  if (quad !== undefined) quad.forEach((octet, i) => (bytes[12 + i] = octet))
  return bytes
}

function isZero(bytes: readonly number[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false
  return true
}

function formOf(bytes: readonly number[]): IpForm {
  if (!isZero(bytes, 0, 10)) return 'ipv6'
  if (bytes[10] === 0xff && bytes[11] === 0xff) return 'mapped'
  if (bytes[10] === 0 && bytes[11] === 0 && !(isZero(bytes, 12, 15) && (bytes[15] ?? 0) <= 1)) return 'compatible'
  return 'ipv6'
}

function parsed(family: IpFamily, form: IpForm, address: Address): ParsedIp {
  const effective = effectiveAddress(address)
  return Object.freeze({ ok: true, family, form, address, effective, key: formatAddress(effective) })
}

/** parseIp without the cache. */
function parseUncached(value: string): ParsedIp {
  if (value.includes(':')) {
    const bytes = parseV6(value)
    if (typeof bytes === 'string') return { ok: false, reason: bytes }
    return parsed('IPv6', formOf(bytes), Object.freeze({ kind: 'ipv6', bytes: Object.freeze(bytes) }))
  }
  const octets = parseV4(value)
  if (octets === 'leading zeros') return { ok: false, reason: 'must be a valid IPv4 address without leading zeros' }
  if (typeof octets === 'string') return { ok: false, reason: octets }
  return parsed('IPv4', 'ipv4', Object.freeze({ kind: 'ipv4', bytes: Object.freeze(octets) }))
}

// The longest textual IP is an IPv6 address with an embedded quad: 45 characters. Anything longer is not an IP,
// and is not worth parsing or remembering.
const maxIpLength = 45
// Slices repeat addresses across requests, and several keywords judge each address. Results are immutable; the
// cache is simply dropped when full.
const cacheLimit = 4096
const cache = new Map<string, ParsedIp>()

/**
 * Strict parsing, as Kubernetes validates new objects since v1.33: four-part decimal IPv4 without leading zeros
 * (no hex, octal, or short forms such as `127.1` or `2130706433`); IPv6 per RFC 4291 without a zone, brackets or
 * white space, an embedded quad held to the same IPv4 rules. IPv4-mapped and IPv4-compatible text parses (its
 * `form` says so), so that keywords can refuse it by name and lookups can find it by value.
 */
export function parseIp(value: string): ParsedIp {
  if (value.length > maxIpLength) return { ok: false, reason: invalid }
  let parsed = cache.get(value)
  if (parsed === undefined) {
    parsed = parseUncached(value)
    if (cache.size >= cacheLimit) cache.clear()
    cache.set(value, parsed)
  }
  return parsed
}

function ipv4(bytes: readonly number[]): Address {
  return Object.freeze({ kind: 'ipv4', bytes: Object.freeze([...bytes]) })
}

/** The address that traffic really goes to: ::ffff:a.b.c.d is the IPv4 address a.b.c.d (the same 16 bytes). */
export function effectiveAddress(address: Address): Address {
  return address.kind === 'ipv6' && formOf(address.bytes) === 'mapped' ? ipv4(address.bytes.slice(12)) : address
}

/** RFC 5952 for IPv6 (lower case, the longest run of zero groups compressed), dotted decimal for IPv4. */
export function formatAddress(address: Address): string {
  if (address.kind === 'ipv4') return address.bytes.join('.')
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((address.bytes[i] ?? 0) << 8) | (address.bytes[i + 1] ?? 0))
  let best = { start: -1, length: 0 }
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > best.length) best = { start: i, length: j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best.length < 2) return hex.join(':')
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`
}

export interface Cidr {
  /** as written in the policy or the object */
  readonly text: string
  readonly address: Address
  readonly prefixLength: number
}

const prefixText = /^(0|[1-9][0-9]{0,2})$/

/**
 * `address/prefix`, strictly: the address as parseIp reads it (no IPv4-mapped or -compatible prefix), a decimal
 * prefix length without leading zeros that fits the family. Bits set past the prefix are ignored, as Go's
 * net.ParseCIDR does.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/')
  const ip = slash < 0 ? undefined : parseIp(text.slice(0, slash))
  const prefix = slash < 0 ? '' : text.slice(slash + 1)
  if (ip === undefined || !ip.ok || (ip.form !== 'ipv4' && ip.form !== 'ipv6') || !prefixText.test(prefix)) {
    throw guardError('EG_BAD_CIDR', text)
  }
  const prefixLength = Number(prefix)
  if (prefixLength > ip.address.bytes.length * 8) throw guardError('EG_BAD_CIDR', text)
  return Object.freeze({ text, address: ip.address, prefixLength })
}

function samePrefix(a: readonly number[], b: readonly number[], bits: number): boolean {
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false
  }
  return true
}

/** Whether the address is inside the CIDR; IPv4-mapped IPv6 is compared as the IPv4 address it is. */
export function cidrContains(cidr: Cidr, address: Address): boolean {
  const addr = effectiveAddress(address)
  return addr.kind === cidr.address.kind && samePrefix(addr.bytes, cidr.address.bytes, cidr.prefixLength)
}

/** The special ranges a policy can forbid, with the CIDRs shown to users. */
export const specialRanges = {
  unspecified: { v4: '0.0.0.0/8', v6: '::/128', words: 'an unspecified address' },
  loopback: { v4: '127.0.0.0/8', v6: '::1/128', words: 'a loopback address' },
  linkLocal: { v4: '169.254.0.0/16', v6: 'fe80::/10', words: 'a link-local address' },
  multicast: { v4: '224.0.0.0/4', v6: 'ff00::/8', words: 'a multicast address' },
  broadcast: { v4: '255.255.255.255/32', v6: undefined, words: 'the broadcast address' },
} as const
export type SpecialRange = keyof typeof specialRanges
export const specialRangeNames = Object.keys(specialRanges) as SpecialRange[]

const specialCidrs: ReadonlyArray<[SpecialRange, Cidr]> = specialRangeNames.flatMap((name) => {
  const { v4, v6 } = specialRanges[name]
  return [v4, v6].flatMap((text): Array<[SpecialRange, Cidr]> => (text === undefined ? [] : [[name, parseCidr(text)]]))
})

/**
 * The special range an address falls in, and the CIDR to show. The address is judged as traffic would reach it:
 * IPv4-mapped as its IPv4 address, and an IPv4-compatible address also by the IPv4 address it embeds, so
 * `::127.0.0.1` and `::7f00:1` (one address) get one answer.
 */
export function specialRangeOf(address: Address): { name: SpecialRange; cidr: string } | undefined {
  // Parsed addresses are cached and immutable, so their range is worth remembering too (several keywords ask).
  const known = rangeMemo.get(address)
  if (known !== undefined) return known === 'none' ? undefined : known
  let found: { name: SpecialRange; cidr: string } | undefined
  const candidates = [effectiveAddress(address)]
  if (address.kind === 'ipv6' && formOf(address.bytes) === 'compatible') candidates.push(ipv4(address.bytes.slice(12)))
  for (const candidate of candidates) {
    const hit = specialCidrs.find(([, cidr]) => cidrContains(cidr, candidate))
    if (hit !== undefined) {
      found = Object.freeze({ name: hit[0], cidr: hit[1].text })
      break
    }
  }
  rangeMemo.set(address, found ?? 'none')
  return found
}

const rangeMemo = new WeakMap<Address, { name: SpecialRange; cidr: string } | 'none'>()

/**
 * The one spelling of an address, for looking it up by value: IPv4-mapped IPv6 as its IPv4 address, IPv6 in its
 * RFC 5952 form. Undefined for what is not an address.
 */
export function addressKey(text: string): string | undefined {
  const ip = parseIp(text)
  return ip.ok ? ip.key : undefined
}

/** `ipv4:10.1.2.0/24` for 10.1.2.3 and 24: the network an address falls in at a prefix length, as a lookup key. */
export function networkKey(address: Address, prefixLength: number): string {
  let bits = prefixLength
  const masked = address.bytes.map((b) => {
    const keep = Math.max(0, Math.min(8, bits))
    bits -= 8
    return keep === 0 ? 0 : b & (0xff << (8 - keep)) & 0xff
  })
  return `${address.kind}:${masked.join('.')}/${prefixLength}`
}
