import type { DataValidateFunction } from 'ajv/dist/types/index.js'
import { labelsOf } from '../../kube/object.js'
import type { EvaluationContext } from '../context.js'
import type { PolicyKeyword } from './definition.js'
import { keywordError, setErrors } from './keyword-error.js'
import { writerCheck, writersMetaSchema, type Writers } from './request-user-in.js'

interface LabelChangesBy {
  /** label key → what the label decides, in words ("switches endpoint-guard off for the namespace") */
  labels: Record<string, string>
  writers: Writers
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1')

/**
 * `"labelChangesBy": {"labels": {"environment": "decides whether the production rules apply"}, "writers":
 * {"groups": ["system:masters"]}}` at the root of an object's schema: adding, changing or removing one of these
 * labels (against the request's oldObject; on CREATE every one present is added) is reserved for the writers.
 * Other labels change freely. Its errors are about the writer: never ratcheted.
 */
export const labelChangesBy: PolicyKeyword = {
  keyword: 'labelChangesBy',
  description:
    'At the root of an object schema: adding, changing or removing these labels (against the request oldObject; on CREATE, every one present) is reserved for the writers (as for requestUserIn). Each label says what it decides, for the message. A failure is Forbidden, and about the writer: never ratcheted.',
  type: 'object',
  schemaType: 'object',
  metaSchema: {
    type: 'object',
    required: ['labels', 'writers'],
    additionalProperties: false,
    properties: {
      labels: { type: 'object', minProperties: 1, additionalProperties: { type: 'string', minLength: 1 } },
      writers: writersMetaSchema,
    },
  },
  errors: true,
  compile(schema: LabelChangesBy, parentSchema: Record<string, unknown>) {
    const writers = writerCheck(schema.writers)
    const guarded = Object.entries(schema.labels)
    const validate: DataValidateFunction = function (this: EvaluationContext | undefined, data: unknown, cxt) {
      if (writers.allows(this)) return setErrors(validate, [])
      const before = labelsOf(this?.request.operation === 'UPDATE' ? this.request.oldObject : undefined)
      const after = labelsOf(data)
      const user = this?.request.userInfo.username ?? 'this user'
      const errors = []
      for (const [key, why] of guarded) {
        const old = before[key]
        const now = after[key]
        if (old === now) continue
        const change = old === undefined ? 'adding this label' : now === undefined ? `removing this label (it was ${JSON.stringify(old)})` : `changing this label from ${JSON.stringify(old)}`
        const detail = `${change} is refused for ${user}: it ${why}; only ${writers.words} may add, change or remove it`
        errors.push(keywordError('labelChangesBy', { detail, type: 'Forbidden', value: now ?? old, writer: true }, `${cxt?.instancePath ?? ''}/metadata/labels/${escapePointer(key)}`))
      }
      return setErrors(validate, errors, parentSchema)
    }
    return validate
  },
}
