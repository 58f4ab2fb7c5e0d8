import { _, type KeywordCxt, type SchemaObjCxt } from 'ajv'
import type { PolicyKeyword } from './definition.js'

/** The reason a string fails, or undefined when it passes. */
export type StringCheck = (value: string) => string | undefined

interface StringCheckDefinition {
  keyword: string
  description: string
  schemaType: 'string' | 'array'
  metaSchema: object
  /** runs once per schema node, at compile time; the returned check runs per value */
  compile(schema: never, parentSchema: Record<string, unknown>, it: SchemaObjCxt): StringCheck
}

/**
 * A keyword that checks one string, generated as Ajv code rather than a validate function. Ajv appends a
 * validate function's errors with `vErrors.concat(...)`, copying every error found so far on each failing value:
 * quadratic in the number of violations, so a slice of 100 000 bad addresses would hold the event loop for
 * minutes. Code keywords report through `vErrors.push` (linear) and skip a function-object allocation per value.
 * The error carries `params.detail`, which the renderer shows like any custom keyword's reason.
 */
export function stringCheckKeyword(def: StringCheckDefinition): PolicyKeyword {
  return {
    keyword: def.keyword,
    description: def.description,
    type: 'string',
    schemaType: def.schemaType,
    metaSchema: def.metaSchema,
    code(cxt: KeywordCxt) {
      const check = def.compile(cxt.schema as never, cxt.parentSchema, cxt.it)
      const fn = cxt.gen.scopeValue('keyword', { ref: check })
      const detail = cxt.gen.const('detail', _`${fn}(${cxt.data})`)
      cxt.setParams({ detail })
      cxt.fail(_`${detail} !== undefined`)
    },
    error: {
      message: ({ params }) => _`${params.detail}`,
      params: ({ params }) => _`{detail: ${params.detail}}`,
    },
  }
}
