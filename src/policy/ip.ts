import ipaddr from 'ipaddr.js'
import { guardError } from '../errors.js'

export type IpFamily = 'IPv4' | 'IPv6'
export type Address = ipaddr.IPv4 | ipaddr.IPv6

export type ParsedIp = { ok: true; family: IpFamily; address: Address } | { ok: false; reason: string }

/** Dotted quads with a leading zero are read as octal by some parsers and as decimal by others. */
const embeddedQuad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/

const dottedQuad = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/

/** parseIp without the cache. */
function parseUncached(value: string): ParsedIp {
  if (value.includes(':')) {
    if (value.includes('%')) return { ok: false, reason: 'must not carry an IPv6 zone' }
    const quad = embeddedQuad.exec(value)
    if (quad !== null && quad.slice(1).some((part) => part.length > 1 && part.startsWith('0'))) {
      return { ok: false, reason: 'must not have leading zeros in its IPv4 part' }
    }
    if (!ipaddr.IPv6.isValid(value)) return { ok: false, reason: 'must be a valid IP address' }
    return { ok: true, family: 'IPv6', address: ipaddr.IPv6.parse(value) }
  }
  const quad = dottedQuad.exec(value)
  if (quad === null) return { ok: false, reason: 'must be a valid IP address' }
  const parts = quad.slice(1)
  // Only blame leading zeros when there are some: "256.1.1.1" is out of range, not zero-padded.
  if (parts.some((part) => part.length > 1 && part.startsWith('0'))) {
    return { ok: false, reason: 'must be a valid IPv4 address without leading zeros' }
  }
  const octets = parts.map(Number)
  if (octets.some((o) => o > 255)) return { ok: false, reason: 'must be a valid IP address' }
  return { ok: true, family: 'IPv4', address: new ipaddr.IPv4(octets) }
}

// The longest textual IP is an IPv6 address with an embedded quad: 45 characters. Anything longer is not an IP,
// and is not worth parsing or remembering.
const maxIpLength = 45
// Slices repeat addresses across requests, and three keywords judge each address: parsing (ipaddr.js' regex
// parsers) was half of a decision's cost. Results are immutable; the cache is simply dropped when full.
const cacheLimit = 4096
const cache = new Map<string, ParsedIp>()

/**
 * Strict parsing, as Kubernetes validates new objects since v1.33: four-part decimal IPv4 without leading
 * zeros; IPv6 without a zone. IPv4-mapped IPv6 is reported as IPv6 here; `effectiveAddress` unwraps it.
 */
export function parseIp(value: string): ParsedIp {
  if (value.length > maxIpLength) return { ok: false, reason: 'must be a valid IP address' }
  let parsed = cache.get(value)
  if (parsed === undefined) {
    parsed = parseUncached(value)
    if (cache.size >= cacheLimit) cache.clear()
    cache.set(value, parsed)
  }
  return parsed
}

/** The address that traffic really goes to: ::ffff:a.b.c.d is the IPv4 address a.b.c.d. */
export function effectiveAddress(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address
}

export function isIpv4Mapped(address: Address): boolean {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
}

export interface Cidr {
  text: string
  range: [Address, number]
}

export function parseCidr(text: string): Cidr {
  if (!ipaddr.isValidCIDR(text)) throw guardError('EG_BAD_CIDR', text)
  return { text, range: ipaddr.parseCIDR(text) }
}

export function cidrContains(cidr: Cidr, address: Address): boolean {
  const addr = effectiveAddress(address)
  return addr.kind() === cidr.range[0].kind() && addr.match(cidr.range)
}

/** The special ranges a policy can forbid, with the CIDRs shown to users. Names follow ipaddr.js' range(). */
export const specialRanges = {
  unspecified: { v4: '0.0.0.0/8', v6: '::/128', words: 'an unspecified address' },
  loopback: { v4: '127.0.0.0/8', v6: '::1/128', words: 'a loopback address' },
  linkLocal: { v4: '169.254.0.0/16', v6: 'fe80::/10', words: 'a link-local address' },
  multicast: { v4: '224.0.0.0/4', v6: 'ff00::/8', words: 'a multicast address' },
  broadcast: { v4: '255.255.255.255/32', v6: undefined, words: 'the broadcast address' },
} as const
export type SpecialRange = keyof typeof specialRanges
export const specialRangeNames = Object.keys(specialRanges) as SpecialRange[]

export function specialRangeOf(address: Address): SpecialRange | undefined {
  const range = effectiveAddress(address).range()
  return (specialRangeNames as string[]).includes(range) ? (range as SpecialRange) : undefined
}

/**
 * The one spelling of an address, for looking it up by value: IPv4-mapped IPv6 as its IPv4 address, IPv6 in its
 * RFC 5952 form. Undefined for what is not an address.
 */
export function addressKey(text: string): string | undefined {
  const ip = parseIp(text)
  return ip.ok ? effectiveAddress(ip.address).toString() : undefined
}

/** `10.1.2.0/24` for 10.1.2.3 and 24: the network an address falls in at a prefix length, as a lookup key. */
export function networkKey(address: Address, prefixLength: number): string {
  const bytes = address.toByteArray()
  let bits = prefixLength
  const masked = bytes.map((b) => {
    const keep = Math.max(0, Math.min(8, bits))
    bits -= 8
    return keep === 0 ? 0 : b & (0xff << (8 - keep)) & 0xff
  })
  return `${address.kind()}:${masked.join('.')}/${prefixLength}`
}
