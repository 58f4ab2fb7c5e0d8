import type { PolicyKeyword } from './definition.js'

/**
 * `"message": "..."` or `{"pattern": "...", "required": "..."}`: an annotation, not a check. The renderer uses it
 * as the reason for errors raised at the same schema node, so policy authors choose the words users read. The
 * object form may only name `keywords` (those whose failures are reported under their own name): a key for
 * anything else would never be used, so it is refused at load rather than silently ignored.
 */
export function messageKeyword(keywords: readonly string[]): PolicyKeyword {
  return {
    keyword: 'message',
    description:
      'The reason users read for failures at this node, instead of endpoint-guard\'s own: a string for every failure here, or an object keyed by keyword ({"required": "...", "ipInCidrs": "..."}). "{default}" inserts the built-in reason.',
    schemaType: ['string', 'object'],
    metaSchema: {
      anyOf: [
        { type: 'string', minLength: 1 },
        {
          type: 'object',
          minProperties: 1,
          propertyNames: { enum: [...keywords] },
          additionalProperties: { type: 'string', minLength: 1 },
        },
      ],
    },
  }
}
