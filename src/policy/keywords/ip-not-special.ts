import type { KeywordDefinition } from 'ajv'
import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { effectiveAddress, parseIp, specialRangeNames, specialRangeOf, specialRanges, type SpecialRange } from '../ip.js'
import { keywordError, setErrors } from './keyword-error.js'
import { invalidIpUnlessChecked } from './invalid-ip.js'

/**
 * `"ipNotSpecial": ["loopback", ...]`: the address is in none of the named special ranges. IPv4-mapped IPv6
 * and non-canonical spellings are resolved first, so `::ffff:127.0.0.1` and `0:0::1` are loopback too.
 */
export const ipNotSpecial: KeywordDefinition = {
  keyword: 'ipNotSpecial',
  type: 'string',
  schemaType: 'array',
  metaSchema: { type: 'array', items: { enum: specialRangeNames }, uniqueItems: true },
  errors: true,
  compile(forbidden: SpecialRange[], parentSchema: Record<string, unknown>) {
    const checked = new Set(forbidden)
    const validate: DataValidateFunction = (data: string) => {
      const ip = parseIp(data)
      if (!ip.ok) return setErrors(validate, invalidIpUnlessChecked('ipNotSpecial', ip.reason, parentSchema), parentSchema)
      const range = specialRangeOf(ip.address)
      if (range === undefined || !checked.has(range)) return setErrors(validate, [])
      const { v4, v6, words } = specialRanges[range]
      const cidr = effectiveAddress(ip.address).kind() === 'ipv4' ? v4 : v6
      return setErrors(validate, [keywordError('ipNotSpecial', { detail: `must not be ${words} (${cidr})` })], parentSchema)
    }
    return validate
  },
}
