import type { KeywordDefinition } from 'ajv'

/**
 * `"message": "..."` or `{"pattern": "...", "required": "..."}`: an annotation, not a check. The renderer uses it
 * as the reason for errors raised at the same schema node, so policy authors choose the words users read.
 */
export const message: KeywordDefinition = {
  keyword: 'message',
  schemaType: ['string', 'object'],
  metaSchema: { anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: { type: 'string' } }] },
}
