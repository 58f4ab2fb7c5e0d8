import { effectiveAddress, parseIp, specialRangeNames, specialRangeOf, specialRanges, type SpecialRange } from '../ip.js'
import { invalidIpUnlessChecked } from './invalid-ip.js'
import { stringCheckKeyword } from './string-check.js'

/**
 * `"ipNotSpecial": ["loopback", ...]`: the address is in none of the named special ranges. IPv4-mapped IPv6
 * and non-canonical spellings are resolved first, so `::ffff:127.0.0.1` and `0:0::1` are loopback too.
 */
export const ipNotSpecial = stringCheckKeyword({
  keyword: 'ipNotSpecial',
  description:
    'The string is an IP address in none of these special ranges: unspecified (0.0.0.0/8, ::), loopback (127.0.0.0/8, ::1), linkLocal (169.254.0.0/16, fe80::/10), multicast (224.0.0.0/4, ff00::/8), broadcast (255.255.255.255). IPv4-mapped and non-canonical IPv6 spellings are resolved first. A failure is an Invalid value.',
  schemaType: 'array',
  metaSchema: { type: 'array', items: { enum: specialRangeNames }, uniqueItems: true },
  compile(forbidden: SpecialRange[], parentSchema) {
    const checked = new Set(forbidden)
    return (data) => {
      const ip = parseIp(data)
      if (!ip.ok) return invalidIpUnlessChecked(ip.reason, parentSchema)
      const range = specialRangeOf(ip.address)
      if (range === undefined || !checked.has(range)) return undefined
      const { v4, v6, words } = specialRanges[range]
      const cidr = effectiveAddress(ip.address).kind() === 'ipv4' ? v4 : v6
      return `must not be ${words} (${cidr})`
    }
  },
})
