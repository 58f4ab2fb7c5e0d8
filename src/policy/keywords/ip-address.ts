import { formatAddress, parseIp } from '../ip.js'
import { stringCheckKeyword } from './string-check.js'

/**
 * `"ipAddress": "IPv4" | "IPv6" | "any"`: the string is a strictly valid address of that family, in a form
 * Kubernetes' strict validation accepts for new values. Two forms are refused whatever the family, so that an
 * address gets one answer in Endpoints (family "any") and in slices (IPv4 or IPv6):
 *   IPv4-mapped (`::ffff:10.0.0.1`): IPv4 traffic in IPv6 clothing; the API server's strict validation refuses it
 *     ("must not be an IPv4-mapped IPv6 address"), and it belongs to neither slice family;
 *   IPv4-compatible (`::10.0.0.1`, the same bytes as `::a00:1`): deprecated by RFC 4291, and read differently by
 *     different parsers (some rewrite it to the mapped form), so however it is spelt it is refused.
 */
export const ipAddress = stringCheckKeyword({
  keyword: 'ipAddress',
  description:
    'The string is a strictly valid IP address of this family: "IPv4" (four decimal parts without leading zeros; no hex, short or integer forms), "IPv6" (RFC 4291, no zone or brackets) or "any". Whatever the family, IPv4-mapped (::ffff:10.0.0.1) and IPv4-compatible (::10.0.0.1, the same as ::a00:1) addresses are refused, as Kubernetes\' strict validation refuses them. A failure is an Invalid value.',
  schemaType: 'string',
  metaSchema: { enum: ['IPv4', 'IPv6', 'any'] },
  compile(family: 'IPv4' | 'IPv6' | 'any') {
    const expected = family === 'any' ? 'an IP address' : `an ${family} address`
    return (data) => {
      const ip = parseIp(data)
      if (!ip.ok) return ip.reason
      if (ip.form === 'ipv4' || ip.form === 'ipv6') return family === 'any' || ip.family === family ? undefined : `must be ${expected}`
      const v4 = formatAddress({ kind: 'ipv4', bytes: ip.address.bytes.slice(12) })
      if (ip.form === 'mapped') return `must be ${expected}, not an IPv4-mapped IPv6 address (write ${v4})`
      return `must be ${expected}, not an IPv4-compatible IPv6 address (deprecated; for IPv4 write ${v4})`
    }
  },
})
