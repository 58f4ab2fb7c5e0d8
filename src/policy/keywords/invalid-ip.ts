import type { ErrorObject } from 'ajv'
import { keywordError } from './keyword-error.js'

/**
 * Range keywords fail closed on strings that are not IPs, unless the same schema also has `ipAddress`, which
 * already reports them: one reason per value, never a silent pass.
 */
export function invalidIpUnlessChecked(
  keyword: string,
  reason: string,
  parentSchema: Record<string, unknown>,
): ErrorObject[] {
  return 'ipAddress' in parentSchema ? [] : [keywordError(keyword, { detail: reason })]
}
