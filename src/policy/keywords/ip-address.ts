import { isIpv4Mapped, parseIp } from '../ip.js'
import { stringCheckKeyword } from './string-check.js'

/** `"ipAddress": "IPv4" | "IPv6" | "any"`: the string is a strictly valid address of that family. */
export const ipAddress = stringCheckKeyword({
  keyword: 'ipAddress',
  description:
    'The string is a strictly valid IP address of this family: "IPv4" (four decimal parts without leading zeros), "IPv6" (no zone; an IPv4-mapped address such as ::ffff:10.0.0.1 is not IPv6) or "any". A failure is an Invalid value.',
  schemaType: 'string',
  metaSchema: { enum: ['IPv4', 'IPv6', 'any'] },
  compile(family: 'IPv4' | 'IPv6' | 'any') {
    const expected = family === 'any' ? 'an IP address' : `an ${family} address`
    return (data) => {
      const ip = parseIp(data)
      if (!ip.ok) return ip.reason
      // ::ffff:a.b.c.d is IPv4 traffic in IPv6 clothing: Kubernetes (net.ParseIP + To4) does not count it as an
      // IPv6 address, and it is not an IPv4 address either, so it belongs to neither family (only "any" accepts
      // it). Checking ip.family alone let it through as an address of an IPv6 EndpointSlice.
      const mapped = isIpv4Mapped(ip.address)
      if (family === 'any' || (ip.family === family && !mapped)) return undefined
      return mapped ? `must be ${expected}, not an IPv4-mapped IPv6 address` : `must be ${expected}`
    }
  },
})
