import type { Finding } from '../policy/types.js'
import { exempted } from './exceptions.js'

/**
 * The one vocabulary for what a decision means, used by the server's log line and metrics, `check`, `test` and
 * `audit` alike (each renders it in its own words, from this value):
 *   denied   a deny finding that the request introduces (and no exception exempts, and monitor mode is off)
 *   patched  allowed, and the mutating policies changed the object
 *   warned   allowed with warnings (warn findings, or deny findings that ratcheting, an exception or monitor
 *            mode let pass)
 *   audited  allowed with audit annotations only
 *   allowed  no finding
 *   errored  a policy failed: never an allow
 */
export const outcomes = ['allowed', 'patched', 'warned', 'audited', 'denied', 'errored'] as const
export type Outcome = (typeof outcomes)[number]

/** Whether a finding denies the request: deny-action, introduced by it (not ratcheted), not exempted, not monitored. */
export function denies(f: Finding): boolean {
  return f.action === 'deny' && !f.preexisting && !exempted(f) && f.monitored !== true
}

/** Whether a finding becomes a warning of the answer: warn-action, or a deny that did not deny. */
export function warns(f: Finding): boolean {
  return f.action === 'warn' || (f.action === 'deny' && !denies(f))
}

/** The outcome of an evaluated request, from its findings and whether it was patched. Precedence as listed above. */
export function outcomeOf(findings: readonly Finding[], patched: boolean): Exclude<Outcome, 'errored'> {
  if (findings.some(denies)) return 'denied'
  if (patched) return 'patched'
  if (findings.some(warns)) return 'warned'
  if (findings.some((f) => f.action === 'audit')) return 'audited'
  return 'allowed'
}
