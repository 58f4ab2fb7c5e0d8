import type { AnySchemaObject, KeywordDefinition } from 'ajv'

/**
 * A custom keyword as endpoint-guard registers it: Ajv's definition, plus what policy authors and their editors
 * need. `metaSchema` (the shape of the keyword's value) is checked by Ajv when a policy compiles, and with
 * `description` it goes into schemas/policy.schema.json, which is generated from the registered keywords
 * (`npm run schemas`; test/policy/meta-schema.test.ts fails when the shipped file is out of date). Both are
 * required, so a new keyword cannot reach Ajv without reaching editors too.
 */
export type PolicyKeyword = KeywordDefinition & {
  keyword: string
  /** what the keyword checks, in a sentence or two, as an editor shows it on hover */
  description: string
  metaSchema: AnySchemaObject
}
