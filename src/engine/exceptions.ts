import type { Finding, FindingException, PolicyException } from '../policy/types.js'

/** What an exception's match is compared with: the judged object's kind, namespace (a Namespace's own name) and name. */
export interface ExceptionTarget {
  kind: string
  namespace: string
  name: string | undefined
}

function covers(e: PolicyException, target: ExceptionTarget): boolean {
  const { kinds, namespaces, names } = e.document.match
  if (kinds !== undefined && !kinds.includes(target.kind)) return false
  if (namespaces !== undefined && !namespaces.includes(target.namespace)) return false
  // The schema requires namespaces or names, so no exception reaches this point covering every object.
  if (names !== undefined && (target.name === undefined || !names.includes(target.name))) return false
  return true
}

function asFindingException(e: PolicyException, expired: boolean): FindingException {
  return { id: e.id, reason: e.document.reason, expires: e.document.expires, expired }
}

/**
 * The findings with their exceptions: each finding of a policy that an exception covering the object names gets
 * that exception (an unexpired one first, in load order), marked expired when `now` is at or past its expiry.
 * Findings are never removed: what an exception exempts is still reported, as exempted.
 */
export function withExceptions(findings: readonly Finding[], exceptions: readonly PolicyException[], target: ExceptionTarget, now: number): Finding[] {
  const covering = exceptions.filter((e) => covers(e, target))
  if (covering.length === 0 || findings.length === 0) return [...findings]
  return findings.map((f) => {
    const named = covering.filter((e) => e.document.policies.includes(f.policy))
    const active = named.find((e) => now < e.expiresAt)
    const chosen = active ?? named[0]
    return chosen === undefined ? f : { ...f, exception: asFindingException(chosen, active === undefined) }
  })
}

/** Whether an exception exempts the finding (one that has expired does not). */
export function exempted(f: Finding): boolean {
  return f.exception !== undefined && !f.exception.expired
}
