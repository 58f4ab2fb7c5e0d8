import type { KeywordDefinition } from 'ajv'
import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { isIpv4Mapped, parseIp } from '../ip.js'
import { keywordError, setErrors } from './keyword-error.js'

/** `"ipAddress": "IPv4" | "IPv6" | "any"`: the string is a strictly valid address of that family. */
export const ipAddress: KeywordDefinition = {
  keyword: 'ipAddress',
  type: 'string',
  schemaType: 'string',
  metaSchema: { enum: ['IPv4', 'IPv6', 'any'] },
  errors: true,
  compile(family: 'IPv4' | 'IPv6' | 'any') {
    const expected = family === 'any' ? 'an IP address' : `an ${family} address`
    const validate: DataValidateFunction = (data: string) => {
      const ip = parseIp(data)
      if (!ip.ok) return setErrors(validate, [keywordError('ipAddress', { detail: `${ip.reason}` })])
      if (family === 'any' || ip.family === family) return setErrors(validate, [])
      // ::ffff:a.b.c.d is IPv4 traffic in IPv6 clothing; Kubernetes rejects it as an IPv6 endpoint.
      const detail = isIpv4Mapped(ip.address)
        ? `must be ${expected}, not an IPv4-mapped IPv6 address`
        : `must be ${expected}`
      return setErrors(validate, [keywordError('ipAddress', { detail })])
    }
    return validate
  },
}
