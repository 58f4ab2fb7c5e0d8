import { _, type AnySchemaObject, type KeywordCxt, type SchemaObjCxt } from 'ajv'
import type { EvaluationContext } from '../context.js'
import type { PolicyKeyword } from './definition.js'
import type { KeywordErrorParams } from './keyword-error.js'

/**
 * The reason a string fails (or the error's params, when it carries more than a reason: a type, the values it
 * stands for, a writer mark), or undefined when it passes. `ctx` is the request being decided, when there is one
 * (keywords that look at the cluster); checks must treat it as read-only.
 */
export type StringCheck = (value: string, ctx: EvaluationContext | undefined) => string | KeywordErrorParams | undefined
export type ValueCheck = (value: unknown, ctx: EvaluationContext | undefined) => string | KeywordErrorParams | undefined

interface CheckDefinition<Check> {
  keyword: string
  /** what the keyword checks, as an editor shows it on hover (PolicyKeyword) */
  description: string
  schemaType: 'string' | 'array' | 'object' | Array<'string' | 'array' | 'object'>
  metaSchema: AnySchemaObject
  /** runs once per schema node, at compile time; the returned check runs per value */
  compile(schema: never, parentSchema: Record<string, unknown>, it: SchemaObjCxt): Check
}

/**
 * A keyword that checks one string, generated as Ajv code rather than a validate function. Ajv appends a
 * validate function's errors with `vErrors.concat(...)`, copying every error found so far on each failing value:
 * quadratic in the number of violations, so a slice of 100 000 bad addresses would hold the event loop for
 * minutes. Code keywords report through `vErrors.push` (linear) and skip a function-object allocation per value.
 * The error carries `params.detail`, which the renderer shows like any custom keyword's reason. The check gets
 * the evaluation context as the generated code's `this` (Ajv's passContext).
 */
export function stringCheckKeyword(def: CheckDefinition<StringCheck>): PolicyKeyword {
  return { ...valueCheckKeyword(def as CheckDefinition<ValueCheck>), type: 'string' }
}

/** The same, for a keyword that judges a value of any type (a string check sees only strings). */
export function valueCheckKeyword(def: CheckDefinition<ValueCheck>): PolicyKeyword {
  return {
    keyword: def.keyword,
    description: def.description,
    schemaType: def.schemaType,
    metaSchema: def.metaSchema,
    code(cxt: KeywordCxt) {
      const check = def.compile(cxt.schema as never, cxt.parentSchema, cxt.it)
      const fn = cxt.gen.scopeValue('keyword', { ref: check })
      const result = cxt.gen.const('result', _`${fn}(${cxt.data}, this)`)
      cxt.setParams({ result })
      cxt.fail(_`${result} !== undefined`)
    },
    error: {
      message: ({ params }) => _`typeof ${params.result} == "string" ? ${params.result} : ${params.result}.detail`,
      params: ({ params }) => _`typeof ${params.result} == "string" ? {detail: ${params.result}} : ${params.result}`,
    },
  }
}
