import type { EvaluationContext } from '../context.js'
import { valueCheckKeyword } from './string-check.js'

export type Writers = string[] | { users?: string[]; groups?: string[] }

const names = { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } }

/** The meta-schema of a list of writers: user names, or `{users, groups}` (at least one of them). */
export const writersMetaSchema = {
  anyOf: [
    names,
    { type: 'object', additionalProperties: false, minProperties: 1, properties: { users: names, groups: names } },
  ],
}

export interface WriterCheck {
  /** whether the request's user is one of the writers */
  allows(ctx: EvaluationContext | undefined): boolean
  /** "system:apiserver or members of group system:masters", for messages */
  readonly words: string
}

/** The writers of an identity keyword's value, compiled once. */
export function writerCheck(writers: Writers): WriterCheck {
  const users = new Set(Array.isArray(writers) ? writers : (writers.users ?? []))
  const groups = new Set(Array.isArray(writers) ? [] : (writers.groups ?? []))
  const words = [...[...users], ...[...groups].map((g) => `members of group ${g}`)].join(' or ')
  return {
    words,
    allows(ctx) {
      const info = ctx?.request.userInfo
      if (users.has(info?.username ?? '')) return true
      return (info?.groups ?? []).some((g) => groups.has(g))
    },
  }
}

/**
 * `"requestUserIn": ["system:serviceaccount:kube-system:endpointslice-controller"]` (or `{"users": [...],
 * "groups": [...]}`): the value at this node may only be written by these users (or members of these groups).
 * Put it under an `if`/`then` to reserve one value for one writer, where a policy-wide `exclude.users` would let
 * every excluded user write every value. Its errors are about the writer, so ratcheting never lets them stay.
 * Offline (`check`) the user is `endpoint-guard-offline`, so reserved values are reported there too.
 */
export const requestUserIn = valueCheckKeyword({
  keyword: 'requestUserIn',
  description:
    'The value at this node may only be written by these users (request userInfo.username), or, in the {"users", "groups"} form, by members of these groups. Under if/then it reserves one value for one writer. Offline the user is endpoint-guard-offline. A failure is Forbidden, and about the writer: never ratcheted.',
  schemaType: ['array', 'object'],
  metaSchema: writersMetaSchema,
  compile(writers: Writers) {
    const check = writerCheck(writers)
    return (_value, ctx) => (check.allows(ctx) ? undefined : { detail: `may only be set by ${check.words}`, type: 'Forbidden', writer: true })
  },
})
