import type { KeywordDefinition, SchemaObjCxt } from 'ajv'
import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { cidrContains, parseCidr, parseIp, type Cidr } from '../ip.js'
import { keywordError, setErrors } from './keyword-error.js'
import { invalidIpUnlessChecked } from './invalid-ip.js'

function compileCidrs(keyword: string, list: string[], it: SchemaObjCxt): Cidr[] {
  return list.map((text, i) => {
    try {
      return parseCidr(text)
    } catch (err) {
      // The loader turns this schema path into the JSON pointer it reports for the policy file.
      throw new Error(`${it.errSchemaPath}/${keyword}/${i}: ${(err as Error).message}`)
    }
  })
}

function cidrKeyword(keyword: 'ipInCidrs' | 'ipNotInCidrs'): KeywordDefinition {
  const wantInside = keyword === 'ipInCidrs'
  return {
    keyword,
    type: 'string',
    schemaType: 'array',
    metaSchema: { type: 'array', items: { type: 'string' } },
    errors: true,
    compile(list: string[], parentSchema: Record<string, unknown>, it: SchemaObjCxt) {
      const cidrs = compileCidrs(keyword, list, it)
      const shown = cidrs.length === 0 ? 'none' : cidrs.map((c) => c.text).join(', ')
      const validate: DataValidateFunction = (data: string) => {
        const ip = parseIp(data)
        if (!ip.ok) return setErrors(validate, invalidIpUnlessChecked(keyword, ip.reason, parentSchema), parentSchema)
        const hit = cidrs.find((c) => cidrContains(c, ip.address))
        if (wantInside && hit === undefined) {
          return setErrors(validate, [keywordError(keyword, { detail: `must be inside the allowed CIDRs (${shown})` })], parentSchema)
        }
        if (!wantInside && hit !== undefined) {
          return setErrors(validate, [keywordError(keyword, { detail: `must not be inside the forbidden CIDR ${hit.text}` })], parentSchema)
        }
        return setErrors(validate, [])
      }
      return validate
    },
  }
}

/** `"ipInCidrs": ["203.0.113.0/24"]`: the address is inside one of the CIDRs (an empty list allows none). */
export const ipInCidrs = cidrKeyword('ipInCidrs')
/** `"ipNotInCidrs": ["10.96.0.0/12"]`: the address is inside none of the CIDRs. */
export const ipNotInCidrs = cidrKeyword('ipNotInCidrs')
