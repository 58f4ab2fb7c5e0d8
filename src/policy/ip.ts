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

// Parsed values are shared through the cache below and must not change; they are readonly by type rather than
// frozen, because freezing each result was a measurable share of the per-address cost.
export type ParsedIp =
  | {
      readonly ok: true
      readonly family: IpFamily
      readonly form: IpForm
      readonly address: Address
      /** the address traffic goes to (IPv4-mapped as IPv4): effectiveAddress(address), computed once */
      readonly effective: Address
      /** addressKey of the text, computed once */
      readonly key: string
    }
  | { readonly ok: false; readonly reason: string }

const invalid = 'must be a valid IP address'
const dot = 0x2e
const colon = 0x3a
const digit0 = 0x30
const digit9 = 0x39

/**
 * text[from, end) as four decimal octets, none above 255, none with a leading zero (octal to libc, decimal to Go).
 * Scanned by character code, without regexes or splits: every address of every request comes here.
 * The reasons, in order: not four parts; a part of digits with a leading zero; a part that is not 1-3 digits or is
 * above 255.
 */
function parseV4(text: string, from: number, end: number): number[] | string {
  const octets = [0, 0, 0, 0]
  let parts = 0
  let start = from
  let value = 0
  let digitsOnly = true
  let leadingZero = false
  let valid = true
  for (let i = from; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : dot
    if (c !== dot) {
      if (c >= digit0 && c <= digit9) value = value * 10 + (c - digit0)
      else digitsOnly = false
      continue
    }
    if (parts === 4) return invalid
    const length = i - start
    const zeroFirst = length > 1 && text.charCodeAt(start) === digit0
    if (digitsOnly && zeroFirst) leadingZero = true
    if (!digitsOnly || length === 0 || length > 3 || zeroFirst || value > 255) valid = false
    octets[parts++] = value
    start = i + 1
    value = 0
    digitsOnly = true
  }
  if (parts !== 4) return invalid
  if (leadingZero) return 'leading zeros'
  return valid ? octets : invalid
}

/** The value of a hex digit's character code, or -1. */
function hexValue(c: number): number {
  if (c >= digit0 && c <= digit9) return c - digit0
  const lower = c | 0x20
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1
}

/**
 * The colon-separated groups of text[from, end) (none when it is empty) into groups[at...]: how many, or -1 when
 * one is not 1-4 hex digits or they do not fit in 8.
 */
function scanGroups(text: string, from: number, end: number, groups: number[], at: number): number {
  if (from === end) return 0
  let n = 0
  let value = 0
  let digits = 0
  for (let i = from; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : colon
    if (c === colon) {
      if (digits === 0 || at + n === 8) return -1
      groups[at + n++] = value
      value = 0
      digits = 0
      continue
    }
    const v = hexValue(c)
    if (v < 0 || ++digits > 4) return -1
    value = value * 16 + v
  }
  return n
}

/**
 * RFC 4291 §2.2 text: 1-4 hex digits a group, at most one `::`, a dotted quad only as the last 32 bits. Scanned
 * by character code, like parseV4. The reasons, in order: a zone; a character that is not hex, `:` or `.`; the
 * quad's own; then any other fault is simply invalid.
 */
function parseV6(text: string): number[] | string {
  if (text.includes('%')) return 'must not carry an IPv6 zone'
  let hasDot = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === dot) hasDot = true
    else if (c !== colon && hexValue(c) < 0) return invalid
  }
  let head = text
  let quad: number[] | undefined
  if (hasDot) {
    const lastColon = text.lastIndexOf(':')
    const v4 = parseV4(text, lastColon + 1, text.length)
    if (v4 === 'leading zeros') return 'must not have leading zeros in its IPv4 part'
    if (typeof v4 === 'string') return invalid
    quad = v4
    // The quad stands for the last two groups.
    head = `${text.slice(0, lastColon + 1)}0:0`
  }
  // At most one `::` (counted as String.split counts them: `:::` is one, then a stray colon).
  let compressedAt = -1
  for (let i = 0; i + 1 < head.length; i++) {
    if (head.charCodeAt(i) !== colon || head.charCodeAt(i + 1) !== colon) continue
    if (compressedAt >= 0) return invalid
    compressedAt = i++
  }
  const groups = [0, 0, 0, 0, 0, 0, 0, 0]
  let count: number
  if (compressedAt < 0) {
    count = scanGroups(head, 0, head.length, groups, 0)
    if (count !== 8) return invalid
  } else {
    const left = scanGroups(head, 0, compressedAt, groups, 0)
    const right = left < 0 ? -1 : scanGroups(head, compressedAt + 2, head.length, groups, left)
    if (right < 0 || left + right > 7) return invalid
    // The right-hand groups go to the end, the `::` fills the middle with zeros.
    for (let k = right - 1; k >= 0; k--) {
      groups[8 - right + k] = groups[left + k] ?? 0
      groups[left + k] = 0
    }
  }
  const bytes: number[] = []
  for (let g = 0; g < 8; g++) bytes.push((groups[g] ?? 0) >> 8, (groups[g] ?? 0) & 0xff)
  if (quad !== undefined) for (let i = 0; i < 4; i++) bytes[12 + i] = quad[i] ?? 0
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

/** parseIp without the cache. */
function parseUncached(value: string): ParsedIp {
  if (value.includes(':')) {
    const bytes = parseV6(value)
    if (typeof bytes === 'string') return { ok: false, reason: bytes }
    const form = formOf(bytes)
    const address: Address = { kind: 'ipv6', bytes }
    const effective = effectiveAddress(address)
    return { ok: true, family: 'IPv6', form, address, effective, key: formatAddress(effective) }
  }
  const octets = parseV4(value, 0, value.length)
  if (octets === 'leading zeros') return { ok: false, reason: 'must be a valid IPv4 address without leading zeros' }
  if (typeof octets === 'string') return { ok: false, reason: octets }
  const address: Address = { kind: 'ipv4', bytes: octets }
  // Strictly parsed IPv4 text is already its one spelling (decimal, no leading zeros): it is its own key.
  return { ok: true, family: 'IPv4', form: 'ipv4', address, effective: address, key: value }
}

// The longest textual IP is an IPv6 address with an embedded quad: 45 characters. Anything longer is not an IP,
// and is not worth parsing or remembering.
const maxIpLength = 45
// Slices repeat addresses across requests (and an UPDATE's old object repeats the new one's), and several keywords
// judge each address. Measured against no cache and a one-entry memo: it costs well under a microsecond per
// distinct address and saves most of the parse of a repeated one (IPv6 above all). Results are readonly; the
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
  return { kind: 'ipv4', bytes }
}

/** The address that traffic really goes to: ::ffff:a.b.c.d is the IPv4 address a.b.c.d (the same 16 bytes). */
export function effectiveAddress(address: Address): Address {
  return isMapped(address) ? ipv4(address.bytes.slice(12)) : address
}

function isMapped(address: Address): boolean {
  return address.kind === 'ipv6' && formOf(address.bytes) === 'mapped'
}

/** RFC 5952 for IPv6 (lower case, the longest run of zero groups compressed), dotted decimal for IPv4. */
export function formatAddress(address: Address): string {
  const b = address.bytes
  if (address.kind === 'ipv4') return `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0))
  let bestStart = -1
  let bestLength = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestLength < 2) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
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

/** The mask of a byte of which the first `bits` bits (any number; ≤ 0 none, ≥ 8 all) are in a prefix. */
function byteMask(bits: number): number {
  return bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff
}

/** Whether a[from...] and b share their first `bits` bits. */
function samePrefix(a: readonly number[], from: number, b: readonly number[], bits: number): boolean {
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = byteMask(bits)
    if (((a[from + i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false
  }
  return true
}

/** Whether the address is inside the CIDR; IPv4-mapped IPv6 is compared as the IPv4 address it is. */
export function cidrContains(cidr: Cidr, address: Address): boolean {
  // The mapped address's IPv4 bytes are read in place, not copied out: this runs per address and CIDR.
  if (isMapped(address)) return cidr.address.kind === 'ipv4' && samePrefix(address.bytes, 12, cidr.address.bytes, cidr.prefixLength)
  return address.kind === cidr.address.kind && samePrefix(address.bytes, 0, cidr.address.bytes, cidr.prefixLength)
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

interface SpecialHit {
  readonly cidr: Cidr
  /** the answer of specialRangeOf, built once */
  readonly found: { readonly name: SpecialRange; readonly cidr: string }
}

function specialHits(family: 'v4' | 'v6'): readonly SpecialHit[] {
  return specialRangeNames.flatMap((name) => {
    const text = specialRanges[name][family]
    return text === undefined ? [] : [{ cidr: parseCidr(text), found: Object.freeze({ name, cidr: text }) }]
  })
}

const specialV4 = specialHits('v4')
const specialV6 = specialHits('v6')

/** The first range of `hits` that holds bytes[from...], if any. */
function rangeHolding(hits: readonly SpecialHit[], bytes: readonly number[], from: number): SpecialHit['found'] | undefined {
  for (const hit of hits) if (samePrefix(bytes, from, hit.cidr.address.bytes, hit.cidr.prefixLength)) return hit.found
  return undefined
}

/**
 * The special range an address falls in, and the CIDR to show. The address is judged as traffic would reach it:
 * IPv4-mapped as its IPv4 address, and an IPv4-compatible address also by the IPv4 address it embeds, so
 * `::127.0.0.1` and `::7f00:1` (one address) get one answer.
 */
export function specialRangeOf(address: Address): { readonly name: SpecialRange; readonly cidr: string } | undefined {
  const bytes = address.bytes
  if (address.kind === 'ipv4') return rangeHolding(specialV4, bytes, 0)
  const form = formOf(bytes)
  if (form === 'mapped') return rangeHolding(specialV4, bytes, 12)
  const found = rangeHolding(specialV6, bytes, 0)
  return found === undefined && form === 'compatible' ? rangeHolding(specialV4, bytes, 12) : found
}

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
  const bytes = address.bytes
  let key = `${address.kind}:`
  let bits = prefixLength
  for (let i = 0; i < bytes.length; i++, bits -= 8) {
    const masked = (bytes[i] ?? 0) & byteMask(bits)
    key += i === 0 ? `${masked}` : `.${masked}`
  }
  return `${key}/${prefixLength}`
}
