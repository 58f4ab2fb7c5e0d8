import type { SchemaObjCxt } from 'ajv'
import { describeError } from '../../errors.js'
import { cidrContains, parseCidr, parseIp, type Cidr } from '../ip.js'
import { invalidIpUnlessChecked } from './invalid-ip.js'
import { KeywordValueError } from './keyword-error.js'
import { stringCheckKeyword } from './string-check.js'

function compileCidrs(keyword: string, list: string[], it: SchemaObjCxt): Cidr[] {
  return list.map((text, i) => {
    try {
      return parseCidr(text)
    } catch (err) {
      throw new KeywordValueError(`${it.errSchemaPath}/${keyword}/${i}`, describeError(err))
    }
  })
}

const descriptions = {
  ipInCidrs:
    'The string is an IP address inside one of these CIDRs (an empty list allows none). IPv4-mapped IPv6 is compared as IPv4; a string that is not an IP fails unless the same node has ipAddress. A failure is an Invalid value.',
  ipNotInCidrs:
    'The string is an IP address inside none of these CIDRs. IPv4-mapped IPv6 is compared as IPv4; a string that is not an IP fails unless the same node has ipAddress. A failure is an Invalid value.',
}

function cidrKeyword(keyword: 'ipInCidrs' | 'ipNotInCidrs') {
  const wantInside = keyword === 'ipInCidrs'
  return stringCheckKeyword({
    keyword,
    description: descriptions[keyword],
    schemaType: 'array',
    // Each CIDR is parsed when the policy compiles; a bad one is a load error at its own pointer.
    metaSchema: { type: 'array', items: { type: 'string', description: 'a CIDR: 203.0.113.0/24, 2001:db8::/32' } },
    compile(list: string[], parentSchema, it) {
      const cidrs = compileCidrs(keyword, list, it)
      const shown = cidrs.length === 0 ? 'none' : cidrs.map((c) => c.text).join(', ')
      return (data) => {
        const ip = parseIp(data)
        if (!ip.ok) return invalidIpUnlessChecked(ip.reason, parentSchema)
        const hit = cidrs.find((c) => cidrContains(c, ip.effective))
        if (wantInside && hit === undefined) return `must be inside the allowed CIDRs (${shown})`
        if (!wantInside && hit !== undefined) return `must not be inside the forbidden CIDR ${hit.text}`
        return undefined
      }
    },
  })
}

/** `"ipInCidrs": ["203.0.113.0/24"]`: the address is inside one of the CIDRs (an empty list allows none). */
export const ipInCidrs = cidrKeyword('ipInCidrs')
/** `"ipNotInCidrs": ["10.96.0.0/12"]`: the address is inside none of the CIDRs. */
export const ipNotInCidrs = cidrKeyword('ipNotInCidrs')
