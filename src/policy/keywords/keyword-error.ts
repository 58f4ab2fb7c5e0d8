import type { ErrorObject } from 'ajv'
import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { GuardError } from '../../errors.js'

/**
 * A keyword's value that cannot be compiled (a CIDR that is not one), thrown at compile time with the schema path
 * (`#/properties/...`) so the loader reports the JSON pointer of the value in the policy file.
 */
export class KeywordValueError extends GuardError {
  readonly schemaPath: string
  readonly problem: string
  constructor(schemaPath: string, problem: string) {
    super('EG_KEYWORD_VALUE', schemaPath, problem)
    this.schemaPath = schemaPath
    this.problem = problem
  }
}

/**
 * Custom keywords report through the same ErrorObject shape as built-in ones, so one renderer turns both into
 * messages. `detail` is the plain-words reason; `type` and `value` override what the renderer would infer.
 */
export interface KeywordErrorParams {
  detail: string
  type?: 'Invalid value' | 'Duplicate value' | 'Forbidden'
  value?: unknown
  /** what the violation stands for, when that is more than `value` (Violation.values) */
  values?: readonly string[]
  /** the error judges the request's user (Violation.writer): identity keywords set it, and it is never ratcheted */
  writer?: true
}

export function keywordError(keyword: string, params: KeywordErrorParams, instancePath?: string): ErrorObject {
  const err = { keyword, message: params.detail, params, schemaPath: '' } as unknown as ErrorObject
  if (instancePath !== undefined) err.instancePath = instancePath
  return err
}

/**
 * Ajv does not set `parentSchema` on errors that a compiled keyword reports (only on its own errors), so the
 * keyword passes it here: the renderer reads the `message` annotation of the schema node from it, and without
 * it `"message": {"ipInCidrs": "..."}` would be silently ignored for custom keywords.
 */
export function setErrors(fn: DataValidateFunction, errors: ErrorObject[], parentSchema?: object): boolean {
  if (parentSchema !== undefined) for (const err of errors) err.parentSchema = parentSchema
  fn.errors = errors
  return errors.length === 0
}
