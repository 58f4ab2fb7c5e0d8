import type { DataValidateFunction, DataValidationCxt } from 'ajv/dist/types/index.js'
import { isObject } from '../../kube/object.js'
import type { PolicyKeyword } from './definition.js'
import { keywordError, setErrors } from './keyword-error.js'

type UniqueBySchema = string | { fields: string[]; defaults?: Record<string, unknown> }

/**
 * `"uniqueBy": "name"` or `{"fields": ["port", "protocol"], "defaults": {"protocol": "TCP"}}`: no two items
 * share the field (or the tuple). `defaults` stand in for absent fields, as the API server would default them;
 * an item missing a field without a default is skipped (a `required` elsewhere reports it).
 */
export const uniqueBy: PolicyKeyword = {
  keyword: 'uniqueBy',
  description:
    'No two items of the array share this field ("name"), or this tuple of fields ({"fields": ["port", "protocol"], "defaults": {"protocol": "TCP"}}; defaults stand in for absent fields, as the API server would default them). The later duplicate is a Duplicate value.',
  type: 'array',
  schemaType: ['string', 'object'],
  metaSchema: {
    anyOf: [
      { type: 'string', minLength: 1 },
      {
        type: 'object',
        properties: {
          fields: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
          defaults: { type: 'object' },
        },
        required: ['fields'],
        additionalProperties: false,
      },
    ],
  },
  errors: true,
  compile(schema: UniqueBySchema, parentSchema: Record<string, unknown>) {
    const fields = typeof schema === 'string' ? [schema] : schema.fields
    const defaults = typeof schema === 'string' ? {} : (schema.defaults ?? {})
    const single = fields.length === 1 ? fields[0] : undefined
    const validate: DataValidateFunction = (data: unknown[], cxt?: DataValidationCxt) => {
      const seen = new Set<string>()
      const errors = []
      for (let i = 0; i < data.length; i++) {
        const item = data[i]
        if (!isObject(item)) continue
        const values = fields.map((f) => (item[f] !== undefined ? item[f] : defaults[f]))
        if (values.includes(undefined)) continue
        const key = JSON.stringify(values)
        if (!seen.has(key)) {
          seen.add(key)
          continue
        }
        const base = `${cxt?.instancePath ?? ''}/${i}`
        const path = single === undefined ? base : `${base}/${single.replace(/~/g, '~0').replace(/\//g, '~1')}`
        const value = single === undefined ? fields.map((f, j) => `${f}=${String(values[j])}`).join(', ') : values[0]
        const detail = single === undefined ? `(${fields.join(', ')}) must be unique` : `${single} must be unique`
        errors.push(keywordError('uniqueBy', { detail, type: 'Duplicate value', value }, path))
      }
      return setErrors(validate, errors, parentSchema)
    }
    return validate
  },
}
