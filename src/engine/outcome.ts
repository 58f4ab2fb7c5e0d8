import type { Finding } from '../policy/types.js'

/**
 * The one vocabulary for what a decision means, used by the server's log line and metrics, `check`, `test` and
 * `audit` alike (each renders it in its own words, from this value):
 *   denied   a deny finding that the request introduces
 *   patched  allowed, and the mutating policies changed the object
 *   warned   allowed with warnings (warn findings, or deny findings that ratcheting let stay)
 *   audited  allowed with audit annotations only
 *   allowed  no finding
 *   errored  a policy failed: never an allow
 */
export const outcomes = ['allowed', 'patched', 'warned', 'audited', 'denied', 'errored'] as const
export type Outcome = (typeof outcomes)[number]

/** Whether a finding denies the request: deny-action and introduced by it (not ratcheted). */
export function denies(f: Finding): boolean {
  return f.action === 'deny' && !f.preexisting
}

/** Whether a finding becomes a warning of the answer: warn-action, or a deny that ratcheting let stay. */
export function warns(f: Finding): boolean {
  return f.action === 'warn' || (f.action === 'deny' && f.preexisting)
}

/** The outcome of an evaluated request, from its findings and whether it was patched. Precedence as listed above. */
export function outcomeOf(findings: readonly Finding[], patched: boolean): Exclude<Outcome, 'errored'> {
  if (findings.some(denies)) return 'denied'
  if (patched) return 'patched'
  if (findings.some(warns)) return 'warned'
  if (findings.some((f) => f.action === 'audit')) return 'audited'
  return 'allowed'
}
