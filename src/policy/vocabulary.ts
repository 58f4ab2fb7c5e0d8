import type { FindingType } from './types.js'

interface StandardKeyword {
  /** what the keyword means to a policy author, as an editor shows it on hover */
  description: string
  /**
   * The Kubernetes field-error type a failure of this keyword is reported with (render.ts). Keywords without one
   * only apply subschemas or annotate: their failures are reported by the keywords inside them, so a `message`
   * cannot name them.
   */
  reason?: FindingType
}

/**
 * The JSON Schema 2020-12 keywords a policy's schema may use, in the order of the 2020-12 vocabularies. The shape
 * of each value comes from the vocabulary meta-schemas Ajv ships (meta-schema.ts reads them from Ajv, and throws
 * when this table and the vocabularies disagree); this table adds the words and the reason types. The keywords
 * the 2020-12 meta-schema keeps only for compatibility (`definitions`, `dependencies`, `$recursiveRef`,
 * `$recursiveAnchor`) are not offered: use `$defs`, `dependentRequired`/`dependentSchemas` and `$dynamicRef`.
 */
export const vocabulary = {
  // core
  $id: { description: 'The URI of this schema resource. A policy\'s schema is registered as its policy id without one.' },
  $schema: { description: 'The dialect of this schema; always JSON Schema 2020-12 here.' },
  $ref: {
    description:
      'Apply the referenced schema here: "#/$defs/name" in this schema, or another loaded policy by id, "endpointslice-addresses#/$defs/address". Nothing is fetched.',
  },
  $anchor: { description: 'A plain-name fragment ("#name") by which $ref can reach this subschema.' },
  $dynamicRef: { description: 'A reference resolved dynamically against $dynamicAnchor (for recursive extensible schemas).' },
  $dynamicAnchor: { description: 'An anchor that $dynamicRef resolves to, dynamically.' },
  $vocabulary: { description: 'For meta-schemas only: the vocabularies they use.' },
  $comment: { description: 'A note for policy authors; ignored when validating.' },
  $defs: { description: 'Reusable subschemas, reached with "$ref": "#/$defs/name" (or "<policy-id>#/$defs/name" from another policy).' },
  // applicator
  prefixItems: { description: 'Schemas for the first items of an array, position by position.' },
  items: { description: 'The schema every array item (after prefixItems) must satisfy; false allows no further items (Invalid value).', reason: 'Invalid value' },
  contains: { description: 'At least one array item (minContains/maxContains: how many) must satisfy this schema; the items\' failures are reported.' },
  additionalProperties: {
    description: 'The schema for properties not named in properties or matched by patternProperties; false forbids them (Forbidden, at the field).',
    reason: 'Forbidden',
  },
  properties: { description: 'The schema of each named property, when it is present (required makes it mandatory).' },
  patternProperties: { description: 'The schema of every property whose name matches the regular expression.' },
  dependentSchemas: { description: 'When the named property is present, the object must also satisfy this schema.' },
  propertyNames: { description: 'The schema every property name must satisfy; failures are reported at the property.' },
  if: { description: 'A condition: when the value satisfies it, then applies, else else. Its own failure is not reported.' },
  then: { description: 'Applies when if is satisfied.' },
  else: { description: 'Applies when if is not satisfied.' },
  allOf: { description: 'The value must satisfy every one of these schemas; their failures are reported.' },
  anyOf: {
    description: 'The value must satisfy at least one of these schemas; reported once, as an Invalid value (give the node a message: the branches\' own reasons are dropped).',
    reason: 'Invalid value',
  },
  oneOf: {
    description: 'The value must satisfy exactly one of these schemas; reported once, as an Invalid value (give the node a message).',
    reason: 'Invalid value',
  },
  not: { description: 'The value must not satisfy this schema: "is not allowed here" (Forbidden).', reason: 'Forbidden' },
  // unevaluated
  unevaluatedItems: { description: 'The schema for array items that no other keyword evaluated; false forbids them (Invalid value).', reason: 'Invalid value' },
  unevaluatedProperties: {
    description: 'The schema for properties that no other keyword (including in allOf, $ref, if/then) evaluated; false forbids them (Forbidden, at the field).',
    reason: 'Forbidden',
  },
  // validation
  type: { description: 'The JSON type(s) of the value: string, number, integer, boolean, object, array, null (Invalid value).', reason: 'Invalid value' },
  const: { description: 'The value must equal this one (Unsupported value). {"$data": "/metadata/namespace"} compares with another field.', reason: 'Unsupported value' },
  enum: { description: 'The value must be one of these: "supported values: ..." (Unsupported value).', reason: 'Unsupported value' },
  multipleOf: { description: 'The number must be a multiple of this (Invalid value).', reason: 'Invalid value' },
  maximum: { description: 'The number must be at most this (Invalid value).', reason: 'Invalid value' },
  exclusiveMaximum: { description: 'The number must be below this (Invalid value).', reason: 'Invalid value' },
  minimum: { description: 'The number must be at least this (Invalid value).', reason: 'Invalid value' },
  exclusiveMinimum: { description: 'The number must be above this (Invalid value).', reason: 'Invalid value' },
  maxLength: { description: 'The string has at most this many characters (Invalid value).', reason: 'Invalid value' },
  minLength: { description: 'The string has at least this many characters (Invalid value).', reason: 'Invalid value' },
  pattern: { description: 'The string matches this regular expression, unanchored unless it says ^...$ (Invalid value).', reason: 'Invalid value' },
  maxItems: { description: 'The array has at most this many items (Too many).', reason: 'Too many' },
  minItems: { description: 'The array has at least this many items (Invalid value).', reason: 'Invalid value' },
  uniqueItems: { description: 'No two array items are equal (Invalid value); for uniqueness by a field use uniqueBy.', reason: 'Invalid value' },
  maxContains: { description: 'At most this many items satisfy contains.' },
  minContains: { description: 'At least this many items satisfy contains (default 1; 0 makes contains always pass).' },
  maxProperties: { description: 'The object has at most this many properties (Too many).', reason: 'Too many' },
  minProperties: { description: 'The object has at least this many properties (Invalid value).', reason: 'Invalid value' },
  required: { description: 'These properties must be present: "must be set", at the missing field (Required value).', reason: 'Required value' },
  dependentRequired: { description: 'When the named property is present, these properties must be too (Invalid value).', reason: 'Invalid value' },
  // meta-data
  title: { description: 'A short title; ignored when validating.' },
  description: { description: 'What this part of the schema is for; ignored when validating.' },
  default: {
    description: 'The value a mutate policy sets when the property is absent (the difference becomes the JSON Patch); ignored by other actions.',
  },
  deprecated: { description: 'An annotation; ignored when validating.' },
  readOnly: { description: 'An annotation; ignored when validating.' },
  writeOnly: { description: 'An annotation; ignored when validating.' },
  examples: { description: 'Sample values, for readers; ignored when validating.' },
  // format-annotation
  format: {
    description:
      'A named string format, checked (Invalid value): the Kubernetes name formats dns1123-label, dns1123-subdomain, label-key, label-value, iana-svc-name, and the ajv-formats ones (ipv4, ipv6, hostname, uri, ...).',
    reason: 'Invalid value',
  },
  // content
  contentEncoding: { description: 'An annotation (e.g. base64); not checked.' },
  contentMediaType: { description: 'An annotation (e.g. application/json); not checked.' },
  contentSchema: { description: 'An annotation: the schema of the decoded content; not checked.' },
} as const satisfies Record<string, StandardKeyword>

export type StandardKeywordName = keyof typeof vocabulary

/** The Kubernetes field-error type a standard keyword's failure is reported with, if it reports its own. */
export function reasonTypeOf(keyword: string): FindingType | undefined {
  const entry: StandardKeyword | undefined = (vocabulary as Record<string, StandardKeyword>)[keyword]
  return entry?.reason
}

/** The standard keywords whose failures are reported under their own name, so a `message` may name them. */
export const reportingKeywords: readonly string[] = Object.entries(vocabulary as Record<string, StandardKeyword>)
  .filter(([, k]) => k.reason !== undefined)
  .map(([name]) => name)
