import { didYouMean } from './suggest.js'
import type { CompiledPolicy, PolicyExceptionDocument } from './types.js'

/* PolicyException files, after their schema: what the schema cannot say, and when each stops applying. Pure. */

/** The `kind` that makes a file in a policies directory an exception rather than a policy. */
export const exceptionKind = 'PolicyException'

export function isExceptionDocument(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as { kind?: unknown }).kind === exceptionKind
}

const day = 24 * 60 * 60 * 1000

/**
 * The Unix milliseconds from which an exception no longer applies: its date-time, or for a date the end of that
 * day in UTC (an exception "until 2027-01-31" still applies on the 31st). undefined when the text is no instant.
 */
export function expiresAt(expires: string): number | undefined {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(expires)
  const at = dateOnly ? Date.parse(`${expires}T00:00:00Z`) + day : Date.parse(expires)
  return Number.isNaN(at) ? undefined : at
}

/**
 * A problem of a schema-valid exception against the loaded policies, as a JSON pointer and message: every policy
 * it names is loaded and validating (a mutate policy's defaults are not findings that could be exempted).
 */
export function exceptionProblem(doc: PolicyExceptionDocument, policies: ReadonlyMap<string, CompiledPolicy>): { pointer: string; message: string } | undefined {
  for (const [i, id] of doc.policies.entries()) {
    const policy = policies.get(id)
    if (policy === undefined) return { pointer: `/policies/${i}`, message: `no policy "${id}" is loaded${didYouMean(id, policies.keys())}` }
    if (policy.action === 'mutate') return { pointer: `/policies/${i}`, message: `policy "${id}" is a mutate policy; exceptions exempt the findings of deny, warn and audit policies` }
  }
  if (expiresAt(doc.expires) === undefined) return { pointer: '/expires', message: `${JSON.stringify(doc.expires)} is not a valid instant` }
  return undefined
}
