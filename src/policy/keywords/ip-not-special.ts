import { parseIp, specialRangeNames, specialRangeOf, specialRanges, type SpecialRange } from '../ip.js'
import { invalidIpUnlessChecked } from './invalid-ip.js'
import { stringCheckKeyword } from './string-check.js'

/**
 * `"ipNotSpecial": ["loopback", ...]`: the address is in none of the named special ranges. The address is judged
 * by its bytes as traffic would reach it: `::ffff:127.0.0.1`, `0:0::1` and `::127.0.0.1` are loopback too.
 */
export const ipNotSpecial = stringCheckKeyword({
  keyword: 'ipNotSpecial',
  description:
    'The string is an IP address in none of these special ranges: unspecified (0.0.0.0/8, ::), loopback (127.0.0.0/8, ::1), linkLocal (169.254.0.0/16, fe80::/10), multicast (224.0.0.0/4, ff00::/8), broadcast (255.255.255.255). Judged on the address\'s bytes: IPv4-mapped and IPv4-compatible addresses also by the IPv4 address they embed. A failure is an Invalid value.',
  schemaType: 'array',
  metaSchema: { type: 'array', items: { enum: specialRangeNames }, uniqueItems: true },
  compile(forbidden: SpecialRange[], parentSchema) {
    const checked = new Set(forbidden)
    return (data) => {
      const ip = parseIp(data)
      if (!ip.ok) return invalidIpUnlessChecked(ip.reason, parentSchema)
      const range = specialRangeOf(ip.address)
      if (range === undefined || !checked.has(range.name)) return undefined
      return `must not be ${specialRanges[range.name].words} (${range.cidr})`
    }
  },
})
