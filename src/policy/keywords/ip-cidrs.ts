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

function cidrKeyword(keyword: 'ipInCidrs' | 'ipNotInCidrs') {
  const wantInside = keyword === 'ipInCidrs'
  return stringCheckKeyword({
    keyword,
    schemaType: 'array',
    metaSchema: { type: 'array', items: { type: 'string' } },
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
