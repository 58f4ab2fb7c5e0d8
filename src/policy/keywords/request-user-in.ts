import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import type { EvaluationContext } from '../context.js'
import type { PolicyKeyword } from './definition.js'
import { keywordError, setErrors } from './keyword-error.js'

/**
 * `"requestUserIn": ["system:serviceaccount:kube-system:endpointslice-controller"]`: the value at this node may
 * only be written by these users. Put it under an `if`/`then` to reserve one value for one writer, where a
 * policy-wide `exclude.users` would let every excluded user write every value. Offline (`check`) the user is
 * `endpoint-guard-offline`, so reserved values are reported there too.
 */
export const requestUserIn: PolicyKeyword = {
  keyword: 'requestUserIn',
  description:
    'The value at this node may only be written by these users (request userInfo.username). Under if/then it reserves one value for one writer. Offline the user is endpoint-guard-offline. A failure is Forbidden.',
  schemaType: 'array',
  metaSchema: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
  errors: true,
  compile(users: string[], parentSchema: Record<string, unknown>) {
    const allowed = new Set(users)
    const validate: DataValidateFunction = function (this: EvaluationContext | undefined) {
      const user = this?.request.userInfo?.username ?? ''
      if (allowed.has(user)) return setErrors(validate, [])
      const detail = `may only be set by ${users.join(' or ')}`
      return setErrors(validate, [keywordError('requestUserIn', { detail, type: 'Forbidden' })], parentSchema)
    }
    return validate
  },
}
