import type { ValidateFunction } from 'ajv'
import type { Operation } from '../kube/admission.js'

export type Action = 'deny' | 'warn' | 'audit' | 'mutate'

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>
}

/** A policy file as written by a policy author (after meta-schema validation). */
export interface PolicyDocument {
  id: string
  description: string
  action: Action
  match: {
    kinds: string[]
    operations?: Operation[]
    subresources?: string[]
    namespaces?: string[]
    namespaceSelector?: LabelSelector
    objectSelector?: LabelSelector
  }
  exclude?: { namespaces?: string[]; users?: string[]; groups?: string[] }
  schema: Record<string, unknown>
}

export interface CompiledPolicy {
  readonly id: string
  readonly file: string
  readonly action: Action
  readonly document: PolicyDocument
  readonly validate: ValidateFunction
}

/** The policies of one webhook that can match a request, in load order. */
export interface Candidates {
  readonly validating: readonly CompiledPolicy[]
  readonly mutating: readonly CompiledPolicy[]
}

/** A policy (or, with `kind`, an exception) of an earlier layer that a later layer's file of the same id replaced. */
export interface Replacement {
  id: string
  file: string
  by: string
  kind?: 'PolicyException'
}

/** A PolicyException file as written (after validation against schemas/policy-exception.schema.json). */
export interface PolicyExceptionDocument {
  kind: 'PolicyException'
  id: string
  policies: string[]
  match: { kinds?: string[]; namespaces?: string[]; names?: string[] }
  reason: string
  /** RFC 3339 date-time, or a date (valid through that day, UTC) */
  expires: string
}

/** A loaded exception: its document, file and the instant it stops applying. */
export interface PolicyException {
  readonly id: string
  readonly file: string
  readonly document: PolicyExceptionDocument
  /** Unix milliseconds from which it no longer applies */
  readonly expiresAt: number
}

export interface PolicySet {
  readonly policies: readonly CompiledPolicy[]
  readonly source: string
  /** what layering replaced, for the start-up and reload log */
  readonly replaced: readonly Replacement[]
  /** the PolicyException files of the directories, in load order */
  readonly exceptions: readonly PolicyException[]
  /**
   * The policies whose kinds, operations and subresources admit such a request, indexed once at load, so a request
   * touches only the policies that can match it (namespaces, users and selectors are still checked per request).
   */
  candidates(kind: string, operation: Operation, subResource: string): Candidates
}

/**
 * One reason an object fails a policy, as data; `render` turns it into the words users read.
 * `type` follows the Kubernetes field-error vocabulary so messages read like the API server's own.
 */
export type FindingType =
  | 'Invalid value'
  | 'Unsupported value'
  | 'Duplicate value'
  | 'Required value'
  | 'Forbidden'
  | 'Too many'
  | 'Not found'

export interface Violation {
  path: string
  type: FindingType
  /** the offending value, already rendered for display (quoted string, number), when there is one */
  value?: string
  detail: string
  /** the schema location of the rule that failed (Ajv's schemaPath): which rule, for ratcheting */
  rule?: string
  /**
   * The values the violation stands for when it is about several (the addresses a slice would inject), for
   * ratcheting: it is already present only when each of them was (see engine/ratchet.ts). Not shown.
   */
  values?: readonly string[]
  /**
   * The violation is about who is writing (the request's user), not about a value of the object: it is never
   * "already present", whatever the old object held.
   */
  writer?: true
  /** set when the shown path or value was cut (render.ts): a digest of the whole, so ratcheting tells them apart */
  digest?: string
  /**
   * Set on the one entry that stands for the violations past the render limit (render.ts, renderLimit): how many
   * it counts. Everything that counts violations counts it as that many (violationCount).
   */
  summarises?: number
}

/** How many violations an entry stands for: one, or the count of a summary entry. */
export function violationCount(v: Violation): number {
  return v.summarises ?? 1
}

export interface Finding extends Violation {
  policy: string
  action: Action
  /** an UPDATE left this violation as it was in oldObject, so it is reported but does not deny */
  preexisting: boolean
  /**
   * The exception that exempts it (reported as exempted, never dropped), or one that would have but has expired
   * (`expired`: the finding counts as if there were none, and a warning says the exception expired).
   */
  exception?: FindingException
  /** a deny finding that monitor mode (--enforcement warn) let pass: reported as what would have been denied */
  monitored?: true
}

export interface FindingException {
  id: string
  reason: string
  expires: string
  expired: boolean
}
